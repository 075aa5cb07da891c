// SPDX-License-Identifier: MIT
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { DataError } from '../../lib/errors.js';
import { END_TOKEN, Vocabulary } from '../../src/text/vocabulary.js';
import { NpInt, PyStr, tempDir, writePickle } from '../data/helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await (cleanups.pop() as () => Promise<void>)();
});

describe('Vocabulary', () => {
  const vocab = Vocabulary.fromTokens([
    ['the', 'red', 'bird'],
    ['a', 'bird', 'with', 'wings'],
  ]);

  it('puts <end> at 0 and sorts the other words', () => {
    expect(vocab.word(0)).toBe(END_TOKEN);
    expect(vocab.toJSON().words).toEqual([END_TOKEN, 'a', 'bird', 'red', 'the', 'wings', 'with']);
    expect(vocab.size).toBe(7);
  });

  it('gives the same ids whatever the caption order', () => {
    const other = Vocabulary.fromTokens([['wings', 'with', 'a', 'bird'], ['bird', 'red', 'the']]);
    expect(other.toJSON()).toEqual(vocab.toJSON());
  });

  it('encodes and decodes, stopping at padding', () => {
    const { ids, unknown } = vocab.encode(['the', 'red', 'bird']);
    expect(unknown).toEqual([]);
    expect(vocab.decode([...ids, 0, 0])).toEqual(['the', 'red', 'bird']);
  });

  it('drops unknown words and lists them', () => {
    const r = vocab.encodeCaption('The BLUE bird, with sparkly wings');
    expect(r.tokens).toEqual(['the', 'blue', 'bird', 'with', 'sparkly', 'wings']);
    expect(vocab.decode(r.ids)).toEqual(['the', 'bird', 'with', 'wings']);
    expect(r.unknown).toEqual(['blue', 'sparkly']);
  });

  it('rejects an all-unknown or empty caption with a code', () => {
    expect(() => vocab.encodeCaption('purple dragon')).toThrowError(expect.objectContaining({ code: 'ERR_CAPTION_UNKNOWN' }));
    expect(() => vocab.encodeCaption('?!')).toThrowError(expect.objectContaining({ code: 'ERR_CAPTION_EMPTY' }));
    expect(() => vocab.encode(['<end>'])).not.toThrow();
    expect(vocab.encode(['<end>']).unknown).toEqual(['<end>']);
  });

  it('round-trips through JSON and an atomically written file', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'vocab.json');
    await vocab.save(path);
    expect(await readdir(dir)).toEqual(['vocab.json']);
    const loaded = await Vocabulary.load(path);
    expect(loaded.toJSON()).toEqual(vocab.toJSON());
    expect(JSON.parse(await readFile(path, 'utf8')).format).toBe('mirrorgan-vocabulary');
    await writeFile(path, '{"format":"other"}');
    await expect(Vocabulary.load(path)).rejects.toBeInstanceOf(DataError);
  });

  it('rejects malformed word lists', () => {
    expect(() => Vocabulary.fromWords(['a', 'b'])).toThrow(/<end>/);
    expect(() => Vocabulary.fromWords([END_TOKEN, 'a', 'a'])).toThrow(/twice/);
  });

  it('reads AttnGAN captions.pickle keeping the ids', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const ixtoword = new Map<number | PyStr, number | PyStr>([
      [0, new PyStr('<end>')],
      [1, new PyStr('bird')],
      [2, new PyStr('small')],
      [3, new PyStr('red')],
    ]);
    const wordtoix = new Map<PyStr | number, PyStr | number>([...ixtoword].map(([k, v]) => [v, k]));
    const path = join(dir, 'captions.pickle');
    await writeFile(path, writePickle([[[2, 1], [3, 1]], [[1]], ixtoword, wordtoix]));
    const p = await Vocabulary.fromPickle(path);
    expect(p.vocabulary.toJSON().words).toEqual(['<end>', 'bird', 'small', 'red']);
    expect(p.train).toEqual([[2, 1], [3, 1]]);
    expect(p.test).toEqual([[1]]);
    await writeFile(path, writePickle([[[9]], [], ixtoword, wordtoix]));
    await expect(Vocabulary.fromPickle(path)).rejects.toThrow(/word ids/);
    expect(new NpInt(1).value).toBe(1);
  });
});
