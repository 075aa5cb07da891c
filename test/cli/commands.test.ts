// SPDX-License-Identifier: MIT
// The commands that read a run, on a run trained in seconds: --run takes a run folder or a
// checkpoint folder (caption also a captioner folder), -o/--out chooses where they write,
// captions reach the terminal escaped; --version; pretrain-stream's --preset/--cfg/--set.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, hasRawControl, tempFolder, tinySet } from './helpers.js';
import { repoRoot } from '../helpers/parity.js';

const tmp = tempFolder('mg-cli-commands-');
const cache = path.join(tmp.dir, 'cache');
const run = path.join(tmp.dir, 'run');
const ckpt = (n: number) => path.join(run, 'checkpoints', `iter_${String(n).padStart(7, '0')}`);
let image: string;

beforeAll(async () => {
  ensureBuilt();
  // Checkpoints at iterations 1 and 2 (the latest).
  const r = await cli(['train', '--preset', 'cpu', ...tinySet(cache, ['train.snapshotInterval=1']), '--out', run, '--no-progress'], { killAfterMs: 240_000 });
  if (r.status !== 0) throw new Error(`training the test run failed:\n${r.stderr}`);
  image = path.join(tmp.dir, 'red.png');
  await sharp({ create: { width: 48, height: 48, channels: 3, background: { r: 220, g: 30, b: 30 } } }).png().toFile(image);
}, 300_000);
afterAll(() => tmp.remove());

describe('mirrorgan --version', () => {
  it("prints package.json's version", async () => {
    const r = await cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version);
  });
});

describe('--run <run folder | checkpoint folder>', () => {
  it('generate: the run folder means its latest checkpoint; a checkpoint folder means that one; -o chooses the folder', async () => {
    const outs = { run: path.join(tmp.dir, 'g-run'), latest: path.join(tmp.dir, 'g-2'), first: path.join(tmp.dir, 'g-1') };
    for (const [name, from] of [['run', run], ['latest', ckpt(2)], ['first', ckpt(1)]] as const) {
      const r = await cli(['generate', '--run', from, '-o', outs[name], '--seed', '4', 'an emoji']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${path.join(outs[name], '000.png')}  64x64  seed 4  "an emoji"\n`);
    }
    const png = (dir: string) => fs.readFileSync(path.join(dir, '000.png'));
    expect(png(outs.latest).equals(png(outs.run))).toBe(true);
    expect(png(outs.first).equals(png(outs.run))).toBe(false);  // iteration 1's weights, not the latest
  });

  it('a captioner folder or a plain folder is refused with what was expected', async () => {
    const r = await cli(['generate', '--run', path.join(run, 'stream'), 'an emoji']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`for --run but ${path.join(run, 'stream')} is a captioner folder`);
    const plain = await cli(['probe', '--run', path.join(run, 'samples')]);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/^mirrorgan: Expected a run folder .* or a checkpoint folder .* for --run but .*samples is none of these \[ERR_FILE\]\n$/);
  });

  it('caption: a run folder, a checkpoint folder and the captioner folder itself give the same captions', async () => {
    const outputs: string[] = [];
    for (const from of [run, ckpt(1), path.join(run, 'stream')]) {
      const r = await cli(['caption', image, '--run', from, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const [row] = JSON.parse(r.stdout) as { image: string; caption: string }[];
      expect(row!.image).toBe(image);
      outputs.push(r.stdout);
    }
    expect(new Set(outputs).size).toBe(1);
  });

  it('report: a checkpoint folder means its run; -o chooses the file', async () => {
    const r = await cli(['report', '--run', ckpt(1)]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${path.join(run, 'report.html')}\n`);
    const page = path.join(tmp.dir, 'pages', 'run.html');
    const o = await cli(['report', run, '-o', page]);
    expect(o.stdout).toBe(`${page}\n`);
    expect(fs.readFileSync(page, 'utf8')).toContain('<html');
  });
});

describe('captions reach the terminal escaped', () => {
  it('generate prints a caption with ESC and BEL as \\u001b and \\u0007; caption escapes file names', async () => {
    const caption = 'an \u001b[2J\u001b]0;owned\u0007emoji';
    const r = await cli(['generate', '--run', run, '-o', path.join(tmp.dir, 'g-esc'), caption]);
    expect(r.status, r.stderr).toBe(0);
    expect(hasRawControl(r.stdout)).toBe(false);
    expect(r.stdout).toContain('"an \\u001b[2J\\u001b]0;owned\\u0007emoji"');
    const odd = path.join(tmp.dir, 'odd\u001b[31mname.png');
    fs.copyFileSync(image, odd);
    const c = await cli(['caption', image, odd, '--run', run]);
    expect(c.status, c.stderr).toBe(0);
    expect(hasRawControl(c.stdout)).toBe(false);
    expect(c.stdout).toContain('odd\\u001b[31mname.png: ');
  });
});

describe('pretrain-stream takes --preset/--cfg/--set like train', () => {
  it('trains the captioner the configuration describes (the same as train\'s STREAM phase)', async () => {
    const out = path.join(tmp.dir, 'stream');
    const cfg = path.join(tmp.dir, 'stream.yml');
    fs.writeFileSync(cfg, 'stream:\n  imageSize: 32\n  lr: 0.005\n');
    const r = await cli(['pretrain-stream', '--preset', 'cpu', '--cfg', cfg, ...tinySet(cache, ['stream.hiddenSize=6', 'train.seed=7']), '--epochs', '1', '-o', out, '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'captioner.json'), 'utf8')) as {
      epochs: number; decoder: { hiddenSize: number; embedSize: number }; training: Record<string, unknown>;
    };
    expect(saved.epochs).toBe(1);
    expect(saved.training).toMatchObject({ imageSize: 32, lr: 0.005, batchSize: 8, seed: 7, wordsNum: 8, dataset: 'openmoji' });
    expect(saved.decoder).toMatchObject({ hiddenSize: 12, embedSize: 16 });  // CAP.hidden_size x 2, as the official trainer
  });
});
