// SPDX-License-Identifier: MIT
/**
 * Word vocabulary in the official scheme (reference §1.1): index 0 is `<end>` and is used
 * only as padding; there is no `<start>` and no `<unk>`. A vocabulary is saved as JSON beside
 * model weights so a checkpoint is self-contained, and can be read from AttnGAN's
 * `captions.pickle` so converted checkpoints keep their word ids.
 */
import { readFile } from 'node:fs/promises';

import { DataError, invalidArg } from '../../lib/errors.js';
import { readPickleFile } from '../util/pickle.js';
import { writeFileAtomic } from '../util/atomic.js';
import { tokenize } from './tokenizer.js';

/** The padding token at index 0. */
export const END_TOKEN = '<end>';

/** JSON form written by {@link Vocabulary.toJSON}. */
export interface VocabularyJSON {
  /** Always `"mirrorgan-vocabulary"`. */
  format: 'mirrorgan-vocabulary';
  /** Format version, currently 1. */
  version: 1;
  /** Word of each id; `words[0]` is `<end>`. */
  words: string[];
}

/** Result of {@link Vocabulary.encode}. */
export interface EncodeResult {
  /** Ids of the known words, in caption order. */
  ids: number[];
  /** Words that are not in the vocabulary and were dropped (in caption order, repeats kept). */
  unknown: string[];
}

/** Contents of AttnGAN's `captions.pickle`. */
export interface CaptionsPickle {
  /** Vocabulary from `ixtoword`. */
  vocabulary: Vocabulary;
  /** Train captions as word ids, image-major (`n_images × captions_per_image`). */
  train: number[][];
  /** Test captions as word ids, image-major. */
  test: number[][];
}

/**
 * A word ↔ id table.
 *
 * Unknown-word policy (for user captions at generation time): {@link Vocabulary.encode}
 * drops words it does not know and returns them in `unknown` so the caller can warn;
 * {@link Vocabulary.encodeCaption} additionally throws a {@link DataError} with code
 * `ERR_CAPTION_EMPTY` (no tokens) or `ERR_CAPTION_UNKNOWN` (no known tokens).
 */
export class Vocabulary {
  private readonly words: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  private constructor(words: string[]) {
    if (words[0] !== END_TOKEN) {
      throw new DataError('ERR_DATA_BAD_FORMAT', `Vocabulary must start with ${END_TOKEN} but starts with ${JSON.stringify(words[0])}`);
    }
    const index = new Map<string, number>();
    words.forEach((word, id) => {
      if (typeof word !== 'string' || word.length === 0) {
        throw new DataError('ERR_DATA_BAD_FORMAT', `Vocabulary word ${id} is not a non-empty string`);
      }
      if (index.has(word)) throw new DataError('ERR_DATA_BAD_FORMAT', `Vocabulary word ${JSON.stringify(word)} appears twice`);
      index.set(word, id);
    });
    this.words = Object.freeze(words.slice());
    this.index = index;
  }

  /**
   * Builds a vocabulary from tokenized captions. Ids 1..N follow sorted (UTF-16 code unit)
   * word order, so the same caption set always gives the same ids regardless of item order.
   */
  static fromTokens(captions: Iterable<readonly string[]>): Vocabulary {
    const seen = new Set<string>();
    for (const tokens of captions) for (const t of tokens) seen.add(t);
    seen.delete(END_TOKEN);
    const sorted = [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return new Vocabulary([END_TOKEN, ...sorted]);
  }

  /** Builds a vocabulary from an id-ordered word list whose first entry is `<end>`. */
  static fromWords(words: readonly string[]): Vocabulary {
    return new Vocabulary([...words]);
  }

  /** Restores a vocabulary from {@link Vocabulary.toJSON} output. */
  static fromJSON(json: unknown): Vocabulary {
    const j = json as Partial<VocabularyJSON> | null;
    if (!j || j.format !== 'mirrorgan-vocabulary' || j.version !== 1 || !Array.isArray(j.words)) {
      throw new DataError('ERR_DATA_BAD_FORMAT', 'Not a mirrorgan-vocabulary version 1 JSON object');
    }
    return new Vocabulary(j.words);
  }

  /**
   * Reads AttnGAN's `captions.pickle` (or MirrorGAN's `bird_captions.pickle`):
   * `[train_captions, test_captions, ixtoword, wordtoix]`. Ids are kept exactly.
   */
  static async fromPickle(path: string): Promise<CaptionsPickle> {
    const value = await readPickleFile(path);
    if (!Array.isArray(value) || value.length < 3) {
      throw new DataError('ERR_DATA_BAD_FORMAT', `${path}: expected a list [train_captions, test_captions, ixtoword, wordtoix]`);
    }
    const [train, test, ixtoword] = value as unknown[];
    if (!(ixtoword instanceof Map)) throw new DataError('ERR_DATA_BAD_FORMAT', `${path}: ixtoword is not a dict`);
    // n distinct ids in 0..n-1 fill every slot; a stray 1e9 would otherwise make a billion-slot array.
    const words: string[] = new Array<string>(ixtoword.size);
    for (const [k, v] of ixtoword) {
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= ixtoword.size || typeof v !== 'string') {
        throw new DataError('ERR_DATA_BAD_FORMAT', `${path}: ixtoword must map the ints 0..${ixtoword.size - 1} to str`);
      }
      words[k] = v;
    }
    const vocabulary = new Vocabulary(words);
    const toIds = (caps: unknown, which: string): number[][] => {
      if (!Array.isArray(caps)) throw new DataError('ERR_DATA_BAD_FORMAT', `${path}: ${which} captions are not a list`);
      return caps.map((cap: unknown) => {
        if (!Array.isArray(cap) || cap.some((id) => typeof id !== 'number' || !Number.isInteger(id) || id <= 0 || id >= words.length)) {
          throw new DataError('ERR_DATA_BAD_FORMAT', `${path}: ${which} caption is not a list of word ids`);
        }
        return cap as number[];
      });
    };
    return { vocabulary, train: toIds(train, 'train'), test: toIds(test, 'test') };
  }

  /** Reads a vocabulary JSON file written by {@link Vocabulary.save}. */
  static async load(path: string): Promise<Vocabulary> {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (cause) {
      throw new DataError('ERR_DATA_BAD_FORMAT', `Cannot read vocabulary ${path}: ${(cause as Error).message}`, { cause });
    }
    return Vocabulary.fromJSON(json);
  }

  /** Number of ids including `<end>` (the embedding's row count, `n_words`). */
  get size(): number {
    return this.words.length;
  }

  /** Id of `word`, or `undefined`. */
  id(word: string): number | undefined {
    return this.index.get(word);
  }

  /** Word of `id`, or `undefined` when out of range. */
  word(id: number): string | undefined {
    return this.words[id];
  }

  /** Encodes tokens, dropping (and reporting) unknown ones. */
  encode(tokens: readonly string[]): EncodeResult {
    const ids: number[] = [];
    const unknown: string[] = [];
    for (const t of tokens) {
      const id = this.index.get(t);
      if (id === undefined || id === 0) unknown.push(t);
      else ids.push(id);
    }
    return { ids, unknown };
  }

  /**
   * Tokenizes and encodes a user caption. Unknown words are dropped and listed in `unknown`;
   * throws `ERR_CAPTION_EMPTY` / `ERR_CAPTION_UNKNOWN` when no usable word is left.
   */
  encodeCaption(caption: string): EncodeResult & { tokens: string[] } {
    const tokens = tokenize(caption);
    if (tokens.length === 0) {
      throw new DataError('ERR_CAPTION_EMPTY', `Caption ${JSON.stringify(caption)} contains no words`);
    }
    const result = this.encode(tokens);
    if (result.ids.length === 0) {
      throw new DataError(
        'ERR_CAPTION_UNKNOWN',
        `None of the words of caption ${JSON.stringify(caption)} is in the vocabulary (${this.size} words): ${[...new Set(result.unknown)].join(', ')}`,
      );
    }
    return { ...result, tokens };
  }

  /** Words of `ids`, stopping at the first `0` (padding). */
  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id === 0) break;
      const w = this.words[id];
      if (w === undefined) throw invalidArg('ids', `word ids between 0 and ${this.size - 1} (the vocabulary's size is ${this.size})`, id);
      out.push(w);
    }
    return out;
  }

  /** JSON form (`{ format, version, words }`). */
  toJSON(): VocabularyJSON {
    return { format: 'mirrorgan-vocabulary', version: 1, words: [...this.words] };
  }

  /** Writes the JSON form atomically. */
  async save(path: string): Promise<void> {
    await writeFileAtomic(path, `${JSON.stringify(this.toJSON())}\n`);
  }
}
