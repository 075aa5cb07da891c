// SPDX-License-Identifier: MIT
// `mirrorgan train` end to end at a tiny size: DAMSM, STREAM, GAN, report; then load + generate.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { generateCommand } from '../../src/cli/generate.js';
import { run } from '../../src/cli/main.js';
import { probeCommand } from '../../src/cli/probe.js';
import { OPENMOJI_PROBE_CAPTIONS } from '../../src/data/index.js';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { Vocabulary } from '../../src/text/index.js';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import { writeManifest } from '../../src/train/checkpoint_manifest.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-pipeline-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TINY = [
  `dataset.cacheDir=${path.join(tmp, 'cache')}`, 'dataset.limit=40', 'text.embeddingDim=32', 'text.wordsNum=8',
  'damsm.epochs=1', 'damsm.batchSize=8', 'stream.epochs=1', 'stream.batchSize=8', 'stream.hiddenSize=16', 'stream.embedSize=32',
  'gan.gfDim=4', 'gan.dfDim=4', 'gan.rNum=1', 'gan.zDim=8', 'gan.conditionDim=8', 'train.batchSize=4',
  'train.maxIterations=2', 'train.sampleInterval=1', 'train.snapshotInterval=2', 'train.seed=3',
];

async function runGenerate(args: string[]): Promise<string> {
  let stdout = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  try {
    await new Command('mirrorgan').exitOverride().addCommand(generateCommand().exitOverride()).parseAsync(['generate', ...args], { from: 'user' });
  } finally {
    o.mockRestore();
  }
  return stdout;
}

describe('MirrorGAN.train (the pipeline of `npx mirrorgan train`)', () => {
  const runDir = path.join(tmp, 'run');

  it('pretrains STEM and STREAM, trains GLAM, writes samples, checkpoints and the report', async () => {
    const iterations: number[] = [];
    const result = await MirrorGAN.train({ preset: 'cpu', set: TINY, runDir, progress: false }, { onIteration: (i) => void iterations.push(i.iteration) });
    expect(result.damsm).not.toBeNull();
    expect(result.stream).not.toBeNull();
    expect(result.gan.iterations).toBe(2);
    expect(iterations).toHaveLength(2);
    for (const f of ['config.json', 'metrics.jsonl', 'report.html', 'damsm/text_encoder.safetensors', 'stream', 'checkpoints/latest.json']) {
      expect(fs.existsSync(path.join(runDir, f)), f).toBe(true);
    }
    const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
    expect(config.dataset.skinTones).toBe('base');
    // The grid opens with the OpenMoji probes this subset's vocabulary can say, then test captions.
    const vocabulary = await Vocabulary.load(path.join(runDir, 'vocabulary.json'));
    const known = OPENMOJI_PROBE_CAPTIONS.filter((c) => c.split(' ').every((w) => vocabulary.id(w) !== undefined));
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'samples', 'iter_000002.json'), 'utf8'));
    expect(info.captions.slice(0, known.length)).toEqual(known);
    expect(info.captions.length).toBeGreaterThan(known.length);
    expect(info.rows).toBe(Math.ceil(info.captions.length / 4));
  }, 300_000);

  it('loads the run and generates images, one PNG each and a grid', async () => {
    const model = await MirrorGAN.load(runDir);
    const images = await model.generate(['an emoji', 'emoji with a face'], { seed: 1 });
    expect(images.map((i) => i.size)).toEqual([128, 128]);
    expect(images[1].caption).toBe('emoji with a face');
    const again = await model.generate(['an emoji', 'emoji with a face'], { seed: 1 });
    expect(again[0].png.equals(images[0].png)).toBe(true);  // same seed, same image
    // The mean sentence code instead of a sampled one: still deterministic, and a different image.
    const mean1 = await model.generate(['an emoji', 'emoji with a face'], { seed: 1, conditioningNoise: false });
    const mean2 = await model.generate(['an emoji', 'emoji with a face'], { seed: 1, conditioningNoise: false });
    expect(mean1[0].png.equals(mean2[0].png)).toBe(true);
    expect(mean1[0].png.equals(images[0].png)).toBe(false);
    const out = path.join(tmp, 'generated');
    const stdout = await runGenerate(['--run', runDir, '--out', out, '--grid', '2', 'an emoji', 'emoji', 'a face']);
    expect(stdout).toContain(path.join(out, '000.png'));
    expect(stdout).toContain(`${path.join(out, 'grid.png')}  grid of 3, 2 per row`);
    const meanOut = path.join(tmp, 'generated-mean');
    await runGenerate(['--run', runDir, '--out', meanOut, '--seed', '1', '--no-conditioning-noise', 'an emoji', 'emoji with a face']);
    expect(fs.readFileSync(path.join(meanOut, '000.png')).equals(mean1[0].png)).toBe(true);
    const meta = await sharp(path.join(out, 'grid.png')).metadata();
    expect([meta.width, meta.height]).toEqual([2 * 128 + 3 * 2, 2 * 128 + 3 * 2]);
    await expect(runGenerate(['--run', runDir, '--grid', '0', 'emoji'])).rejects.toThrow(/between 1 and 64 for --grid/);
    await expect(MirrorGAN.writeGrid(path.join(out, 'x.png'), images, 0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    // Sentence features in input order, whatever the length sort does inside.
    const feats = await model.sentenceFeatures(['an emoji', 'emoji with a face', 'an emoji']);
    expect(feats.map((f) => f.length)).toEqual(new Array(3).fill(model.config.text.embeddingDim));
    expect(feats[0]).toEqual(feats[2]);
    const [alone] = await model.sentenceFeatures(['emoji with a face']);
    expect(Array.from(alone!).every((v, k) => Math.abs(v - feats[1]![k]!) < 1e-6)).toBe(true);
    expect(Array.from(alone!).some((v, k) => Math.abs(v - feats[0]![k]!) > 1e-4)).toBe(true);
    await expect(model.sentenceFeatures([])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  }, 120_000);

  it('mirrorgan probe refuses a run whose vocabulary lacks the probe words, naming them', async () => {
    // With attribute captions even a 40-emoji subset says every probe word, so take a copy of the
    // run whose vocabulary spells two of them differently (same size: the models still load).
    const bare = path.join(tmp, 'run-without-probe-words');
    fs.cpSync(runDir, bare, { recursive: true });
    const rename: Record<string, string> = { heart: 'hearth', purple: 'purpled' };
    for (const f of fs.readdirSync(bare, { recursive: true }).map(String).filter((f) => f.endsWith('vocabulary.json'))) {
      const v = JSON.parse(fs.readFileSync(path.join(bare, f), 'utf8')) as { words: string[] };
      v.words = v.words.map((w) => rename[w] ?? w);
      fs.writeFileSync(path.join(bare, f), JSON.stringify(v));
    }
    // The edited checkpoints get manifests of their new files (a damaged one would be skipped).
    for (const c of await listCheckpoints(bare)) await writeManifest(c.dir, c.iteration);
    const vocabulary = await Vocabulary.load(path.join(bare, 'vocabulary.json'));
    const missing = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'brown', 'black', 'circle', 'square', 'heart'].filter((w) => vocabulary.id(w) === undefined);
    expect(missing.sort()).toEqual(['heart', 'purple']);
    const probe = new Command('mirrorgan').exitOverride().addCommand(probeCommand().exitOverride());
    const err = await probe.parseAsync(['probe', '--run', bare], { from: 'user' }).then(() => null, (e: Error & { code?: string }) => e);
    expect(err?.code).toBe('ERR_INVALID_ARG');
    const named = err?.message.split('lacks probe words: ')[1]?.split(', ') ?? [];
    expect(named.sort()).toEqual(missing.sort());
    // A bad option value of a subcommand is a usage error (exit 2), not an exit from inside commander.
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await run(['node', 'mirrorgan', 'probe', '--run', runDir, '--seeds', '0'])).toBe(2);
      expect(await run(['node', 'mirrorgan', 'pretrain-damsm', '--epochs', '-1'])).toBe(2);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/'--seeds <n>' argument '0' is invalid\. expected an integer >= 1/);
    } finally {
      stderr.mockRestore();
    }
  }, 120_000);

  it('reuses a pretrained STEM and STREAM, and train.damsmWeight adds the DAMSM term with STEM\'s image encoder', async () => {
    const netE = path.join(runDir, 'damsm', 'text_encoder.safetensors');
    const reuse = [...TINY, `train.netE=${netE}`, `train.captioner=${path.join(runDir, 'stream')}`, 'train.maxIterations=1'];
    const second = path.join(tmp, 'run-damsm');
    const result = await MirrorGAN.train({ preset: 'cpu', set: [...reuse, 'train.damsmWeight=5'], runDir: second, progress: false });
    expect(result.damsm).toBeNull();  // nothing pretrained again
    expect(result.stream).toBeNull();
    const first = JSON.parse(fs.readFileSync(path.join(second, 'metrics.jsonl'), 'utf8').split('\n')[0]);
    expect(first.loss.DAMSM).toBeGreaterThan(0);
    expect(first.loss.STREAM).toBeGreaterThan(0);

    // Without the DAMSM folder next to netE, the term cannot be computed: a clear error, no run.
    const lone = path.join(tmp, 'lone');
    fs.mkdirSync(lone);
    fs.copyFileSync(netE, path.join(lone, 'text_encoder.safetensors'));
    await expect(MirrorGAN.train({
      preset: 'cpu', set: [...reuse, `train.netE=${path.join(lone, 'text_encoder.safetensors')}`, 'train.damsmWeight=5'], runDir: path.join(tmp, 'run-lone'), progress: false,
    })).rejects.toMatchObject({ code: 'ERR_FILE', message: expect.stringContaining('damsm_state.json') });
  }, 120_000);

  it('resumes a run whose saved config.json still has the retired hard-negative keys, with one note', async () => {
    const file = path.join(runDir, 'config.json');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    Object.assign(saved.train, { mismatch: 'neighbour', neighbours: 4 });
    saved.damsm.neighbours = 2;
    fs.writeFileSync(file, JSON.stringify(saved, null, 1));
    let printed = '';
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
    let code: number;
    try {
      code = await run(['node', 'mirrorgan', 'train', '--resume', '--out', runDir, '--set', 'train.maxIterations=3', '--no-progress']);
    } finally {
      stderr.mockRestore();
    }
    expect(code, printed).toBe(0);
    const notes = printed.split('\n').filter((l) => l.includes('retired'));
    expect(notes).toEqual([`mirrorgan: note: ${file}: ignoring retired keys train.mismatch, train.neighbours, damsm.neighbours (hard-negative experiments; the official shifted mismatch is used)`]);
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', 'latest.json'), 'utf8')).iteration).toBe(3);
    const rewritten = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect('mismatch' in rewritten.train || 'neighbours' in rewritten.train || 'neighbours' in rewritten.damsm).toBe(false);
  }, 120_000);
});
