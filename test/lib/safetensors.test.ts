// SPDX-License-Identifier: MIT
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dispose, loadSafetensors, loadTorchPickle, maxAbsDiff, Module, readSafetensorsHeader, saveSafetensors, saveTorchPickle, tensor,
} from '../../lib/index.js';
import { parityDir } from '../helpers/parity.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-st-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('safetensors', () => {
  it('round-trips every dtype, shapes, scalars, empties and metadata', async () => {
    const src = new Map([
      ['a.weight', tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3])],
      ['b.double', tensor(new Float64Array([Math.PI]), [1])],
      ['c.count', tensor(new BigInt64Array([42n]), [])],
      ['d.int', tensor(new Int32Array([-1, 7]), [2])],
      ['e.bytes', tensor(new Uint8Array([9, 8, 7]), [3])],
      ['f.mask', tensor(new Uint8Array([1, 0, 1]), [3], { dtype: 'bool' })],
      ['g.empty', tensor(new Float32Array([]), [0, 4])],
    ]);
    const file = path.join(dir, 'all.safetensors');
    await saveSafetensors(file, src, { note: 'hello' });
    const buf = fs.readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);  // data aligned to 8 bytes
    const { tensors, metadata } = await loadSafetensors(file);
    expect(metadata).toEqual({ note: 'hello' });
    expect([...tensors.keys()].sort()).toEqual([...src.keys()].sort());
    for (const [k, t] of src) {
      const u = tensors.get(k)!;
      expect(u.dtype).toBe(t.dtype);
      expect(u.shape).toEqual(t.shape);
      expect(u.dataSync()).toEqual(t.dataSync());
    }
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    dispose([src, tensors]);
  });

  it('reads the files written by the reference implementation (parity fixtures)', async () => {
    const h = await readSafetensorsHeader(path.join(parityDir(), 'ca_net.safetensors'));
    expect(h.entries.map((e) => e.name)).toEqual(expect.arrayContaining(['fc.weight', 'fc.bias', 'in.eps']));
    expect(h.metadata).toHaveProperty('torch');
    const { tensors } = await loadSafetensors(path.join(parityDir(), 'ca_net.safetensors'));
    expect(tensors.get('fc.weight')!.shape).toEqual([400, 256]);
    // writing and reading back preserves every byte of every tensor
    const file = path.join(dir, 'copy.safetensors');
    await saveSafetensors(file, tensors);
    const again = await loadSafetensors(file);
    for (const [k, t] of tensors) expect(maxAbsDiff(t, again.tensors.get(k)!)).toBe(0);
    dispose([tensors, again.tensors]);
  });

  it('a module saves and loads through safetensors', async () => {
    const a = new Module('CA_NET', { tDim: 256, cDim: 100 });
    const b = new Module('CA_NET', { tDim: 256, cDim: 100 });
    const file = path.join(dir, 'ca.safetensors');
    await a.save(file);
    const { metadata } = await b.load(file);
    expect(metadata.module).toBe('CA_NET');
    const wa = a.namedStateDict();
    const wb = b.namedStateDict();
    expect(maxAbsDiff(wa.get('fc.weight')!, wb.get('fc.weight')!)).toBe(0);
    dispose([wa, wb]);
  });

  it('torch.save zip files written by LibTorch load as a dict of tensors', async () => {
    const file = path.join(dir, 'sd.pth');
    const t = tensor([1, 2, 3]);
    await saveTorchPickle(file, { 'fc.bias': t });
    const back = await loadTorchPickle(file);
    expect(back.get('fc.bias')!.toArray()).toEqual([1, 2, 3]);
    dispose([t, back]);
  });
});
