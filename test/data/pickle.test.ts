// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';

import { readPickle } from '../../src/util/pickle.js';
import { NpInt, PyStr, writePickle } from './helpers.js';

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
