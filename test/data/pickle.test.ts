// SPDX-License-Identifier: MIT
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { readClassInfo } from '../../src/data/layout.js';
import { readPickle, type PickleValue } from '../../src/util/pickle.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { repoRoot } from '../helpers/parity.js';
import { canon, sortPairs } from '../helpers/pickle_canon.js';
import { NpInt, PyStr, put, tempDir, writePickle } from './helpers.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'pickle');
const fixture = (name: string): Buffer => fs.readFileSync(path.join(fixtures, name));
const bad = expect.objectContaining({ code: 'ERR_DATA_BAD_FORMAT' });
const hex = (h: string): Buffer => Buffer.from(h, 'hex');

describe('readPickle', () => {
  it('reads lists of Python 2 str and unicode keys', () => {
    expect(readPickle(writePickle([new PyStr('001.Black_footed_Albatross/a_1'), 'b/c']))).toEqual(['001.Black_footed_Albatross/a_1', 'b/c']);
  });

  it('reads numpy int64 scalars with memoised globals', () => {
    expect(readPickle(writePickle([new NpInt(1), new NpInt(200), new NpInt(70000), new NpInt(-3)]))).toEqual([1, 200, 70000, -3]);
  });

  it('reads dicts and nested lists', () => {
    const v = readPickle(writePickle([[[1, 2]], new Map<number, string>([[0, '<end>']])]));
    expect(v).toEqual([[[1, 2]], new Map([[0, '<end>']])]);
  });

  it('reads Python 3 protocol-4 output (FRAME, SHORT_BINUNICODE, MEMOIZE)', () => {
    // pickle.dumps(['ab', 300, {'k': 1}], protocol=4)
    const hex = '80049516000000000000005d94288c026162944d2c017d948c016b944b0173652e';
    expect(readPickle(Buffer.from(hex, 'hex'))).toEqual(['ab', 300, new Map([['k', 1]])]);
  });

  it('reads numpy 2 / Python 3 protocol-2 output (_codecs.encode bytes)', () => {
    // pickle.dumps([np.int64(1), np.int64(200)], protocol=2) with numpy 2.4
    const hex =
      '80025d710028636e756d70792e5f636f72652e6d756c746961727261790a7363616c61720a7101636e756d70790a64747970650a71025802000000693871038988877104527105284b0358010000003c71064e4e4e4affffffff4affffffff4b0074710762635f636f646563730a656e636f64650a710858080000000100000000000000710958060000006c6174696e31710a86710b52710c86710d52710e6801680568085809000000c38800000000000000710f680a867110527111867112527113652e';
    expect(readPickle(Buffer.from(hex, 'hex'))).toEqual([1, 200]);
    // pickle.dumps([b'ab'], protocol=2)
    expect(readPickle(Buffer.from('80025d7100635f636f646563730a656e636f64650a710158020000006162710258060000006c6174696e317103867104527105612e', 'hex'))).toEqual([
      new Uint8Array([0x61, 0x62]),
    ]);
  });

  it('refuses arbitrary callables and truncated data', () => {
    const evil = Buffer.concat([Buffer.from([0x80, 2]), Buffer.from('cos\nsystem\n', 'latin1'), Buffer.from([0x58, 2, 0, 0, 0]), Buffer.from('ls'), Buffer.from([0x85, 0x52, 0x2e])]);
    expect(() => readPickle(evil)).toThrowError(expect.objectContaining({ code: 'ERR_DATA_BAD_FORMAT' }));
    const good = writePickle(['abc']);
    expect(() => readPickle(good.subarray(0, good.length - 3))).toThrow(/truncated|underflow|opcode/);
  });
});

describe('readPickle matches CPython (fixtures from scripts/pickle_fixtures.py)', () => {
  const expected = JSON.parse(fixture('expected.json').toString('utf8')) as Record<string, unknown>;
  const corpus = JSON.parse(fixture('corpus.json').toString('utf8')) as {
    refused: { name: string; hex: string; python: string }[];
    accepted: { name: string; hex: string; value: unknown }[];
  };

  it('reads what Python 2 (protocols 0, 1, 2; pickle and cPickle) and Python 3 (0-5, numpy) wrote', () => {
    const names = Object.keys(expected);
    expect(names).toEqual(expect.arrayContaining(['py27-cpickle-p0', 'py27-pickle-p0', 'py27-class-info-p0', 'py3-p0', 'py3-p5', 'py3-numpy-p0']));
    for (const name of names) {
      expect({ name, value: canon(readPickle(fixture(`${name}.pickle`))) }).toEqual({ name, value: sortPairs(expected[name]) });
    }
  });

  it('Python 2 protocol 0 (the AttnGAN era default) reads to the expected JS values', () => {
    expect(readPickle(fixture('py27-class-info-p0.pickle'))).toEqual([1, 1, 2, 200, 3]);
    const v = readPickle(fixture('py27-cpickle-p0.pickle')) as PickleValue[];
    expect((v[2] as Map<number, string>).get(4)).toBe('caf\u00e9');
    const misc = v[4] as Map<PickleValue, PickleValue>;
    // ints past Number.MAX_SAFE_INTEGER (2^53 - 1) are bigints
    expect(misc.get('ints')).toEqual(expect.arrayContaining([2n ** 53n, 2n ** 62n, -(2n ** 70n), -(2 ** 31)]));
    expect(misc.get('strings')).toEqual(['', 'it\'s "quoted"', 'tab\tnew\nline\\back', '\x00\x01\x7f\x80\xff', 'snow \u2603 \u{1f600}', 'back\\slash\nnl']);
    const shared = misc.get('shared') as PickleValue[];
    expect(shared[0]).toBe(shared[1]);  // one list, memoised (PUT/GET)
  });

  it('refuses every input CPython refuses (PROTO 99, bad frames, unhashable keys, ...)', () => {
    expect(corpus.refused.length).toBeGreaterThanOrEqual(50);
    for (const c of corpus.refused) {
      expect(() => readPickle(hex(c.hex)), c.name).toThrowError(bad);
    }
  });

  it('accepts the unusual inputs CPython accepts, with the same values', () => {
    for (const c of corpus.accepted) expect({ name: c.name, value: canon(readPickle(hex(c.hex))) }).toEqual({ name: c.name, value: sortPairs(c.value) });
  });
});

describe('readPickle: the cases of issue #18', () => {
  it('INT beyond 2^53 is a bigint, not Infinity; malformed INT/LONG/FLOAT are refused, not NaN', () => {
    expect(readPickle(Buffer.from(`I${'9'.repeat(400)}\n.`))).toBe(10n ** 400n - 1n);
    expect(readPickle(Buffer.from('I-9007199254740993\n.'))).toBe(-9007199254740993n);
    expect(readPickle(Buffer.from('L12L\n.'))).toBe(12);
    for (const text of ['Iabc\n.', 'I\n.', 'I1e3\n.', 'I0x10\n.', 'I010\n.', 'I-0\n.', 'I 1\n.', 'I+1\n.', 'I1_0\n.', 'Labc\n.', 'LL\n.', 'F1_0\n.', 'F0x1p3\n.', 'F\n.', 'F1.5.\n.']) {
      expect(() => readPickle(Buffer.from(text, 'latin1')), text).toThrowError(bad);
    }
    expect(() => readPickle(Buffer.from('Iabc\n.'))).toThrow("Pickle: 'abc' is not a decimal integer (INT at byte 0)");
  });

  it('a 300,000-item APPENDS and 100,000-deep nesting read without growing the call stack', () => {
    const n = 300_000;
    const appends = Buffer.concat([Buffer.from(']('), Buffer.alloc(n * 2, 0), Buffer.from('e.')]);
    for (let i = 0; i < n; i++) appends.write('K\x07', 2 + 2 * i, 'latin1');
    const list = readPickle(appends) as number[];
    expect(list.length).toBe(n);
    expect(list[n - 1]).toBe(7);
    const depth = 100_000;
    // (((...))) built with MARK/LIST, and ]]]...aaa built with EMPTY_LIST/APPEND
    for (const bytes of [Buffer.from(`${'('.repeat(depth)}${'l'.repeat(depth)}.`), Buffer.from(`${']'.repeat(depth)}${'a'.repeat(depth - 1)}.`)]) {
      let v = readPickle(bytes) as PickleValue[];
      let d = 1;
      while (v.length === 1) {
        v = v[0] as PickleValue[];
        d++;
      }
      expect(d).toBe(depth);
    }
  });

  it('protocol and frame errors: PROTO 99, frames longer than the data or ending inside an argument', () => {
    expect(() => readPickle(hex('80634e2e'))).toThrow('unsupported pickle protocol 99 (PROTO at byte 0)');
    expect(() => readPickle(hex('800495ff00000000000000' + '4b012e'))).toThrow(/truncated: a length of 255 bytes/);
    expect(() => readPickle(hex('8004950300000000000000' + '4a01000000' + '2e'))).toThrow('pickle exhausted before end of frame (BININT at byte 11)');
  });

  it('unhashable dict keys (a list, a dict, a tuple holding a list) and appends to non-lists are refused', () => {
    expect(() => readPickle(Buffer.from('(]Nd.'))).toThrow('unhashable dict key of type list (DICT at byte 3)');
    expect(() => readPickle(Buffer.from('}(K\x01K\x02tNs.', 'latin1'))).not.toThrow();  // a tuple of ints is a fine key
    expect(() => readPickle(Buffer.from(')Na.'))).toThrow('APPEND on a tuple, not a list');
  });

  it('invalid UTF-8 in BINUNICODE is refused, not replaced; encoded surrogates pass as in Python', () => {
    expect(() => readPickle(hex('5802000000c3282e'))).toThrow(/not valid UTF-8/);
    expect(readPickle(hex('5805000000eda080c3a92e'))).toBe('\ud800\u00e9');
  });

  it('a memo index beyond the pickle (CPython\'s C unpickler would allocate 2^31 slots) is refused', () => {
    expect(() => readPickle(hex('4e72000000802e'))).toThrow('LONG_BINPUT index 2147483648 is beyond the size of the pickle (7 bytes)');
    expect(() => readPickle(Buffer.from('Np99\n.'))).toThrow('PUT index 99 is beyond the size of the pickle');
    expect(readPickle(Buffer.from('((lp0\ng0\nl.'))).toEqual([[], []]);
  });

  it('numpy dtypes: only the arguments and state numpy writes for a plain numeric dtype', () => {
    const scalar = (dtypeArgs: string, state: string): Buffer =>
      Buffer.from(`cnumpy.core.multiarray\nscalar\n(cnumpy\ndtype\n(${dtypeArgs}tR(${state}tbS'\\x07\\x00\\x00\\x00'\ntR.`, 'latin1');
    expect(readPickle(scalar("S'i4'\nI0\nI1\n", "I3\nS'<'\nNNNI-1\nI-1\nI0\n"))).toBe(7);
    expect(readPickle(scalar("S'i4'\nI0\nI1\n", "I3\nS'>'\nNNNI-1\nI-1\nI0\n"))).toBe(7 * 2 ** 24);
    expect(() => readPickle(scalar("S'i4'\nI0\nI1\n", "I67\nS'<'\nNNNI-1\nI-1\nI0\n"))).toThrow(/numpy.dtype state other than/);
    expect(() => readPickle(scalar("S'i4'\nI0\nI1\n", "I3\nS'<'\nNNNI-1\nI-1\nI16\n"))).toThrow(/numpy.dtype state other than/);
    expect(() => readPickle(scalar("S'i4'\nI40\nI1\n", "I3\nS'<'\nNNNI-1\nI-1\nI0\n"))).toThrow(/numpy.dtype arguments other than/);
    expect(() => readPickle(scalar("S'O8'\nI0\nI1\n", "I3\nS'|'\nNNNI-1\nI-1\nI63\n"))).toThrow(/unsupported numpy dtype O8/);
  });

  it('never calls a global outside the short list, and names the file when reading one', async () => {
    const evil = Buffer.concat([Buffer.from('cos\nsystem\n(S\'ls\'\ntR.')]);
    expect(() => readPickle(evil)).toThrow(/refusing the global os.system/);
    const { dir, cleanup } = await tempDir();
    try {
      await put(path.join(dir, 'captions.pickle'), evil);
      await expect(Vocabulary.fromPickle(path.join(dir, 'captions.pickle'))).rejects.toThrow(`${path.join(dir, 'captions.pickle')}: Pickle: refusing the global`);
    } finally {
      await cleanup();
    }
  });
});

describe('class ids and word ids are validated where they are used', () => {
  it('class_info.pickle: NaN, 2.5, negative or huge class ids are refused (an Int32Array would keep 0 and 2)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const write = (v: string): Promise<void> => put(path.join(dir, 'train', 'class_info.pickle'), Buffer.from(v, 'latin1'));
      await write('(lp0\nI1\naI2\na.');
      expect(await readClassInfo(dir, 'train', 2)).toEqual([1, 2]);
      for (const [body, shown] of [['Fnan\n', 'NaN'], ['F2.5\n', '2.5'], ['I-1\n', '-1'], ['I4294967296\n', '4294967296'], ['L99999999999999999999L\n', '99999999999999999999'], ['N', 'null']]) {
        await write(`(lp0\nI1\na${body}a.`);
        await expect(readClassInfo(dir, 'train', 2)).rejects.toThrow(`class id 1 is ${shown}, not an integer between 0 and 2147483647`);
      }
    } finally {
      await cleanup();
    }
  });

  it('captions.pickle: word ids must be integers and ixtoword must be exactly 0..n-1', async () => {
    const { dir, cleanup } = await tempDir();
    const file = path.join(dir, 'captions.pickle');
    const words = new Map<number, string>([[0, '<end>'], [1, 'red'], [2, 'bird']]);
    try {
      await put(file, writePickle([[[1, 2]], [[2]], words, new Map()]));
      expect((await Vocabulary.fromPickle(file)).train).toEqual([[1, 2]]);
      await put(file, writePickle([[[1, 2]], [[2]], new Map([...words, [1_000_000_000, 'far']]), new Map()]));
      await expect(Vocabulary.fromPickle(file)).rejects.toThrow('ixtoword must map the ints 0..3 to str');
      await put(file, Buffer.from("(l(l(lF1.5\naaa(la(dI0\nS'<end>'\nsI1\nS'a'\nsI2\nS'b'\nsa(da.", 'latin1'));
      await expect(Vocabulary.fromPickle(file)).rejects.toThrow('train caption is not a list of word ids');
    } finally {
      await cleanup();
    }
  });
});
