// SPDX-License-Identifier: MIT
// pretrainStream on a tiny folder dataset: checkpoints, history with validation CE and BLEU,
// resume, refusal of an existing directory and of a vocabulary mismatch, and the caption CLI.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { MirrorganError } from '../../lib/errors.js';
import { captionCommand } from '../../src/cli/stream.js';
import { Vocabulary } from '../../src/text/index.js';
import { CAPTIONER_FILES, frozenCaptioner, loadCaptioner, pretrainStream, readCaptionImages, type PretrainStreamOptions } from '../../src/stream/index.js';
import { dispose } from '../../lib/index.js';

const ITEMS: [string, string, 'train' | 'test'][] = [
  ['red', 'a red square', 'train'],
  ['blue', 'a blue square', 'train'],
  ['green', 'a green square', 'train'],
  ['yellow', 'a yellow square', 'train'],
  ['purple', 'a purple square', 'train'],
  ['cyan', 'a cyan square', 'train'],
  ['red2', 'a red square', 'test'],
  ['blue2', 'a blue square', 'test'],
];
const RGB: Record<string, [number, number, number]> = {
  red: [220, 30, 30], blue: [30, 30, 220], green: [30, 200, 30], yellow: [230, 220, 20], purple: [140, 30, 160], cyan: [20, 210, 220],
  red2: [200, 40, 20], blue2: [40, 20, 200],
};

describe('pretrainStream on a tiny folder dataset', () => {
  let root: string;
  let base: PretrainStreamOptions;
  const lines: string[] = [];
  const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warning: ${m}`) };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mg-stream-'));
    const data = join(root, 'data');
    mkdirSync(data);
    const jsonl: string[] = [];
    for (const [name, caption, split] of ITEMS) {
      const [r, g, b] = RGB[name]!;
      await sharp({ create: { width: 40, height: 40, channels: 3, background: { r, g, b } } }).png().toFile(join(data, `${name}.png`));
      jsonl.push(JSON.stringify({ image: `${name}.png`, captions: [caption], split }));
    }
    writeFileSync(join(data, 'captions.jsonl'), `${jsonl.join('\n')}\n`);
    base = {
      out: join(root, 'run'),
      dataset: 'folder',
      root: data,
      cacheDir: join(root, 'cache'),
      imageSize: 32,
      batchSize: 3,
      lr: 1e-2,
      encoder: { ndf: 8, embedSize: 32, bnMomentum: 0.3 },
      decoder: { hiddenSize: 32 },
      progress: false,
      logger,
    };
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('trains, validates, writes a checkpoint each epoch, and resumes', async () => {
    const epochs: number[] = [];
    const first = await pretrainStream({ ...base, epochs: 2 }, { onEpoch: (r) => void epochs.push(r.epoch) });
    expect(epochs).toEqual([1, 2]);
    for (const f of Object.values(CAPTIONER_FILES)) expect(existsSync(join(base.out, f)), f).toBe(true);
    expect(first.config.epochs).toBe(2);
    const rec = first.config.history[1]!;
    expect(rec.trainCE).toBeGreaterThan(0);
    expect(Number.isFinite(rec.valCE)).toBe(true);
    expect(rec.bleu).toHaveLength(4);
    expect(lines.some((l) => /^epoch 2\/2: train CE .* val CE .* BLEU-1\.\.4/.test(l))).toBe(true);

    await expect(pretrainStream({ ...base, epochs: 3 })).rejects.toMatchObject({ code: 'ERR_FILE' });
    const resumed = await pretrainStream({ ...base, epochs: 12, resume: true });
    expect(resumed.config.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(lines.some((l) => l.includes('resuming') && l.includes('after epoch 2'))).toBe(true);
    const last = resumed.config.history.at(-1)!;
    expect(last.trainCE).toBeLessThan(first.config.history[0]!.trainCE);
  });

  it('refuses a vocabulary mismatch when resuming and when loading', async () => {
    const other = Vocabulary.fromTokens([['a', 'red', 'square', 'circle']]);
    const err = await pretrainStream({ ...base, epochs: 13, resume: true, vocabulary: other }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MirrorganError);
    expect((err as MirrorganError).code).toBe('ERR_VOCAB_MISMATCH');
    expect((err as MirrorganError).message).toMatch(/Vocabulary mismatch: the captioner in .* has \d+ words/);
    await expect(loadCaptioner(base.out, { vocabulary: other })).rejects.toMatchObject({ code: 'ERR_VOCAB_MISMATCH' });
    const own = await Vocabulary.load(join(base.out, CAPTIONER_FILES.vocabulary));
    const ok = await loadCaptioner(base.out, { vocabulary: own });
    expect(ok.vocabulary.size).toBe(own.size);
  });

  it('`mirrorgan caption` prints one caption per image; the frozen captioner agrees', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    try {
      const imgs = [join(base.root!, 'red.png'), join(base.root!, 'blue.png')];
      await captionCommand().parseAsync([...imgs, '--run', base.out], { from: 'user' });
      await captionCommand().parseAsync([imgs[0]!, '--run', base.out, '--beam', '3'], { from: 'user' });
    } finally {
      spy.mockRestore();
    }
    const text = out.join('');
    const rows = text.trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/red\.png: \S/);
    expect(rows[1]).toMatch(/blue\.png: \S/);
    const cap = await loadCaptioner(base.out);
    const images = await readCaptionImages([join(base.root!, 'red.png')], 32);
    const frozen = frozenCaptioner(cap);
    expect(rows[0]!.split(': ')[1]).toBe(frozen.describe(images, cap.vocabulary)[0]);
    expect(rows[2]).toBe(frozen.describe(images, cap.vocabulary, { beamSize: 3 })[0]);
    console.log(`tiny pretrain: captions ${JSON.stringify(rows)}`);
    dispose(images);
  });
});
