// SPDX-License-Identifier: MIT
// Misuse must end in a one-line MirrorganError with a stable code — never a crash, never a
// multi-kilobyte C++ backtrace.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Adam, callNative, loadSafetensors, loadTorchPickle, MirrorganError, Module, ones, randn, saveSafetensors, setNumThreads, manualSeed, tensor, zeros,
} from '../../lib/index.js';
import { checkInt, DataError, ERROR_CODES, invalidArg, isErrorCode } from '../../lib/errors.js';
import { nativeBinding } from '../../lib/native.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-err-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function expectError(fn: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(Error);
  const err = caught as MirrorganError;
  expect(err.code).toBe(code);
  expect(err.message).not.toContain('\n');
  expect(err.message).not.toMatch(/frame #|Exception raised from/);
  expect(err.message.length).toBeLessThan(400);
  if (message) expect(err.message).toMatch(message);
}

async function expectRejection(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const err = (await p.then(() => undefined, (e) => e)) as MirrorganError;
  expect(err, `expected ${code}`).toBeInstanceOf(Error);
  expect(err.code).toBe(code);
  expect(err.message).not.toMatch(/frame #/);
  if (message) expect(err.message).toMatch(message);
}

function writeBytes(name: string, bytes: Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
}

function header(obj: unknown, pad = true): Buffer {
  let json = Buffer.from(JSON.stringify(obj));
  if (pad) json = Buffer.concat([json, Buffer.alloc((8 - ((8 + json.length) % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json]);
}

describe('misuse gives clear errors', () => {
  it('1. shape mismatch in a module input', () => {
    const ca = new Module('CA_NET', { tDim: 256, cDim: 100 });
    expectError(() => ca.forward({ sent_emb: zeros([2, 3]) }), 'ERR_SHAPE', /CA_NET sent_emb: expected shape \[\*, 256\] but got \[2, 3\]/);
  });
  it('2. shape mismatch inside LibTorch (matmul) keeps only the short message', () => {
    expectError(() => zeros([2, 3]).matmul(zeros([2, 3])), 'ERR_TORCH', /mat1 and mat2 shapes cannot be multiplied/);
  });
  it('3. data length does not match the shape', () => {
    expectError(() => tensor([1, 2, 3], [2, 2]), 'ERR_SHAPE', /3 elements but the shape needs 4/);
  });
  it('4. typed array does not match the dtype', () => {
    expectError(() => tensor(new Float32Array(4), [4], { dtype: 'int32' }), 'ERR_DTYPE');
  });
  it('5. unknown dtype', () => {
    expectError(() => zeros([2], { dtype: 'float16' as never }), 'ERR_DTYPE', /Unknown dtype 'float16'/);
  });
  it('6. integer tensors cannot require grad', () => {
    expectError(() => tensor([1, 2], [2], { dtype: 'int64', requiresGrad: true }), 'ERR_DTYPE');
  });
  it('7. wrong dtype for a module input', () => {
    const lin = new Module('Linear', { inFeatures: 2, outFeatures: 2 });
    expectError(() => lin.forward({ input: tensor([1, 2], [1, 2], { dtype: 'int32' }) }), 'ERR_DTYPE', /floating-point/);
  });
  it('8. a disposed tensor', () => {
    const t = ones([2]);
    t.dispose();
    expectError(() => t.shape, 'ERR_DISPOSED');
    expectError(() => t.add(1), 'ERR_DISPOSED');
    const ca = new Module('CA_NET', { tDim: 256, cDim: 100 });
    const s = randn([1, 256]);
    s.dispose();
    expectError(() => ca.forward({ sent_emb: s }), 'ERR_DISPOSED', /inputs.sent_emb/);
  });
  it('9. a tensor on another device', () => {
    const a = zeros([2]);
    const b = zeros([2]).to('meta');
    expect(b.device).toBe('meta');
    expectError(() => a.add(b), 'ERR_DEVICE', /different devices \(cpu and meta\)/);
    const ca = new Module('CA_NET', { tDim: 256, cDim: 100 });
    expectError(() => ca.forward({ sent_emb: zeros([1, 256]).to('meta') }), 'ERR_DEVICE', /is on meta but the module is on cpu/);
    expectError(() => b.dataSync(), 'ERR_DEVICE');
  });
  it('10. CUDA asked for where there is none (or an unknown device)', () => {
    if (!nativeBinding().cudaAvailable()) expectError(() => zeros([1], { device: 'cuda' }), 'ERR_DEVICE', /CUDA is not available/);
    expectError(() => zeros([1], { device: 'tpu' as never }), 'ERR_DEVICE', /Unknown device 'tpu'/);
  });
  it('11. NaN in a module input', () => {
    const ca = new Module('CA_NET', { tDim: 256, cDim: 100 });
    const x = randn([2, 256]).mul(Number.NaN);
    expectError(() => ca.forward({ sent_emb: x }), 'ERR_NON_FINITE', /'sent_emb' contains NaN or Inf/);
  });
  it('12. NaN gradients refused by Adam', () => {
    const p = tensor([1], [1], { requiresGrad: true });
    p.mul(Number.POSITIVE_INFINITY).sum().backward();
    expectError(() => new Adam([p]).step(), 'ERR_NON_FINITE');
  });
  it('13. missing module input', () => {
    expectError(() => new Module('CA_NET', { tDim: 256, cDim: 100 }).forward({}), 'ERR_INVALID_ARG', /missing input tensor 'sent_emb'/);
  });
  it('14. unknown module kind and unknown native function', () => {
    expectError(() => new Module('NO_SUCH_NET'), 'ERR_UNKNOWN_MODULE', /Unknown native module 'NO_SUCH_NET'/);
    expectError(() => callNative('no_such_fn', {}), 'ERR_UNKNOWN_MODULE');
  });
  it('15. wrong argument types from JS (typed layer)', () => {
    expectError(() => tensor('abc' as never, [3]), 'ERR_INVALID_ARG', /Expected a typed array or number\[\] for data/);
    expectError(() => zeros([2, -1]), 'ERR_INVALID_ARG', /non-negative integers/);
    expectError(() => new Module('CA_NET', { tDim: 'big' as never, cDim: 100 }), 'ERR_INVALID_ARG', /option 'tDim'/);
    expectError(() => new Module('CA_NET', { tDim: 2.5, cDim: 100 }), 'ERR_INVALID_ARG', /Expected an integer for option 'tDim' but received 2\.5/);
    // Native modules get every value from the TS side: a missing one is named, not defaulted.
    expectError(() => new Module('CA_NET', { tDim: 256 }), 'ERR_INVALID_ARG', /Expected an integer for option 'cDim' but received nothing \(the option is required\)/);
    // Modes become enums once, at construction, with the accepted names listed.
    const attention = { idf: 16, cdf: 256, cDim: 100, sentenceAttention: 'official' };
    expectError(() => new Module('GLAttentionGeneral', { ...attention, maskTiling: 'sideways' }), 'ERR_INVALID_ARG',
      /Expected one of 'official', 'fixed' for option 'maskTiling' but received 'sideways'/);
    expectError(() => setNumThreads(0), 'ERR_INVALID_ARG');
    expectError(() => manualSeed(-1), 'ERR_INVALID_ARG');
    expectError(() => new Module('Linear', { inFeatures: 2, outFeatures: 2 }).forward({ input: 5 as never }), 'ERR_INVALID_ARG');
  });
  it('16. wrong argument types straight into the native binding', () => {
    const b = nativeBinding();
    expectError(() => b.NativeTensor.fromBuffer(null as never, [1], 'float32', 'cpu', false), 'ERR_INVALID_ARG');
    expectError(() => b.NativeTensor.fromBuffer(new Float32Array(1), 'x' as never, 'float32', 'cpu', false), 'ERR_INVALID_ARG');
    expectError(() => b.ops.add({} as never, 1), 'ERR_INVALID_ARG', /Expected Tensor/);
    expectError(() => new (b.NativeTensor as unknown as new () => unknown)(), 'ERR_INVALID_ARG', /cannot be constructed from JS/);
    expectError(() => new b.NativeModule(42 as never), 'ERR_INVALID_ARG', /Expected string for kind/);
    expectError(() => new b.NativeAdam('nope' as never), 'ERR_INVALID_ARG');
    expectError(() => b.call('kl_loss', 'x' as never), 'ERR_INVALID_ARG');
  });
  it('17. backward on something without a graph, and on a non-scalar', () => {
    expectError(() => ones([2]).backward(), 'ERR_INVALID_ARG', /does not require grad/);
    expectError(() => ones([2], { requiresGrad: true }).mul(2).backward(), 'ERR_SHAPE', /needs a scalar/);
    expectError(() => ones([2]).item(), 'ERR_SHAPE', /exactly one element/);
  });
  it('18. loading a state dict with a wrong shape, a missing key, an extra key', () => {
    const ca = new Module('CA_NET', { tDim: 256, cDim: 100 });
    expectError(() => ca.loadStateDict({ 'fc.weight': zeros([400, 255]), 'fc.bias': zeros([400]) }), 'ERR_STATE_DICT', /'fc.weight': expected shape \[400, 256\]/);
    expectError(() => ca.loadStateDict({ 'fc.weight': zeros([400, 256]) }), 'ERR_STATE_DICT', /missing key 'fc.bias'/);
    expectError(() => ca.loadStateDict({ 'fc.weight': zeros([400, 256]), 'fc.bias': zeros([400]), extra: zeros([1]) }), 'ERR_STATE_DICT', /unexpected key 'extra'/);
    expectError(() => ca.loadStateDict({ 'fc.weight': zeros([400, 256], { dtype: 'float64' }), 'fc.bias': zeros([400]) }), 'ERR_STATE_DICT', /dtype float32/);
    // nothing was copied by the failed loads
    const r = ca.loadStateDict({ 'fc.bias': ones([400]) }, { strict: false });
    expect(r.missing).toEqual(['fc.weight']);
  });
  it('19. concurrent native jobs on one module are refused', async () => {
    const lin = new Module('Linear', { inFeatures: 256, outFeatures: 256 });
    const x = randn([1024, 256]);
    const first = lin.forwardAsync({ input: x });
    await expectRejection(lin.forwardAsync({ input: x }), 'ERR_BUSY', /busy/);
    expectError(() => lin.train(), 'ERR_BUSY');
    await first;
    // the raw native guard too
    const raw = lin.native;
    const p = raw.forwardAsync({ input: x.handle });
    expectError(() => raw.forward({ input: x.handle }), 'ERR_BUSY');
    await p;
  });
  it('20. missing weight file', async () => {
    await expectRejection(loadSafetensors(path.join(dir, 'nope.safetensors')), 'ERR_FILE', /does not exist/);
    await expectRejection(new Module('CA_NET', { tDim: 256, cDim: 100 }).load(path.join(dir, 'nope.safetensors')), 'ERR_FILE');
  });
  it('21. corrupt weight files: bad JSON, bad dtype, bad offsets, holes, trailing bytes, tiny file', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['tiny', Buffer.from([1, 2, 3]), /shorter than the 8-byte header/],
      ['huge-header', (() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(1n << 40n); return b; })(), /over the 100 MB limit/],
      ['json', Buffer.concat([(() => { const b = Buffer.alloc(8); b.writeBigUInt64LE(5n); return b; })(), Buffer.from('{oops')]), /not valid JSON/],
      ['dtype', Buffer.concat([header({ a: { dtype: 'Q8', shape: [1], data_offsets: [0, 1] } }), Buffer.alloc(1)]), /unsupported dtype/],
      ['size', Buffer.concat([header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }), Buffer.alloc(4)]), /needs 8/],
      ['hole', Buffer.concat([header({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }), Buffer.alloc(8)]), /leaving bytes 0\.\.4 unused \(hole\)/],
      ['trailing', Buffer.concat([header({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }), Buffer.alloc(9)]), /unexpected bytes/],
      ['array', Buffer.concat([header([1, 2])]), /not a JSON object/],
    ];
    for (const [name, bytes, re] of cases) {
      await expectRejection(loadSafetensors(writeBytes(`${name}.safetensors`, bytes)), 'ERR_FILE', re);
    }
  });
  it('22. truncated weight file', async () => {
    const f = path.join(dir, 'full.safetensors');
    await saveSafetensors(f, { w: randn([64, 64]) });
    const bytes = fs.readFileSync(f);
    const cut = writeBytes('cut.safetensors', bytes.subarray(0, bytes.length - 100));
    await expectRejection(loadSafetensors(cut), 'ERR_FILE', /truncated/);
    const headerOnly = writeBytes('cut2.safetensors', bytes.subarray(0, 20));
    await expectRejection(loadSafetensors(headerOnly), 'ERR_FILE', /truncated/);
  });
  it('23. a weight file for another module', async () => {
    const f = path.join(dir, 'linear.safetensors');
    await new Module('Linear', { inFeatures: 3, outFeatures: 2 }).save(f);
    await expectRejection(new Module('CA_NET', { tDim: 256, cDim: 100 }).load(f), 'ERR_STATE_DICT', /linear\.safetensors: .*missing key 'fc.weight'/);
    await expectRejection(new Adam(new Module('CA_NET', { tDim: 256, cDim: 100 })).load(f), 'ERR_STATE_DICT', /does not hold an Adam state/);
  });
  it('24. non-zip and garbage torch.save files', async () => {
    await expectRejection(loadTorchPickle(writeBytes('legacy.pth', Buffer.from([0x80, 0x02, 0x8a, 0x0a]))), 'ERR_FILE', /not a zip-format/);
    await expectRejection(loadTorchPickle(writeBytes('garbage.pth', Buffer.from('PK\x03\x04garbage'))), 'ERR_FILE', /could not be unpickled/);
  });
  it('25. writing to a folder that does not exist leaves nothing behind', async () => {
    await expectRejection(saveSafetensors(path.join(dir, 'no', 'such', 'x.safetensors'), { a: ones([1]) }), 'ERR_FILE', /cannot create/);
  });
  it('26. errors thrown by the native layer are MirrorganErrors with a JS stack', () => {
    let caught: unknown;
    try {
      zeros([2, 3]).matmul(zeros([2, 3]));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MirrorganError);
    expect((caught as Error).stack).toContain('errors.test.ts');
  });
});

describe('error codes and the argument-error sentence', () => {
  it('lists every code the native layer raises (native/core/error.h) in the closed ErrorCode list', () => {
    const header = fs.readFileSync(new URL('../../native/core/error.h', import.meta.url), 'utf8');
    const native = [...header.matchAll(/"(ERR_[A-Z_]+)"/g)].map((m) => m[1]!);
    expect(native.length).toBeGreaterThan(10);
    for (const code of native) expect(isErrorCode(code), code).toBe(true);
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const code of ['ERR_ABORTED', 'ERR_VOCAB_MISMATCH', 'ERR_DATA_EMPTY', 'ERR_CAPTION_UNKNOWN', 'ERR_ADDON_LOAD']) expect(isErrorCode(code), code).toBe(true);
    expect(isErrorCode('ERR_DATA_INVALID_OPTION')).toBe(false);
  });

  it('builds `Expected <what> for <name> but received <value> of type <type>` for every kind of value', () => {
    const shown = (v: unknown) => invalidArg('x', 'a thing', v).message.replace('Expected a thing for x but received ', '');
    expect(invalidArg('batchSize', 'integer between 1 and 4096', 0)).toMatchObject({
      code: 'ERR_INVALID_ARG', name: 'MirrorganError', message: 'Expected integer between 1 and 4096 for batchSize but received 0 of type number',
    });
    expect(shown('abc')).toBe("'abc' of type string");
    expect(shown('a'.repeat(50))).toBe(`'${'a'.repeat(40)}…' of type string`);
    expect(shown(true)).toBe('true of type boolean');
    expect(shown(3n)).toBe('3 of type bigint');
    expect(shown(undefined)).toBe('undefined of type undefined');
    expect(shown(null)).toBe('null of type null');
    expect(shown([1, 2])).toBe('an array of length 2 of type array');
    expect(shown(new Float32Array(2))).toBe('a Float32Array of type object');
    expect(shown(new Map())).toBe('a Map of type object');
    expect(shown({ a: 1 })).toBe('an object of type object');
    expect(shown(() => 1)).toBe('a function of type function');
    expect(() => checkInt('n', 2.5, 1, 3)).toThrow('Expected integer between 1 and 3 for n but received 2.5 of type number');
    expect(checkInt('n', 3, 1, 3)).toBe(3);
  });

  it('raises data errors as DataError, a MirrorganError', () => {
    const e = new DataError('ERR_DATA_EMPTY', 'nothing left');
    expect(e).toBeInstanceOf(MirrorganError);
    expect(e).toMatchObject({ name: 'DataError', code: 'ERR_DATA_EMPTY' });
  });
});
