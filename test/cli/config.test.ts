// SPDX-License-Identifier: MIT
// `mirrorgan config --print / --keys`, and what official cfg files mean here (src/config/official.ts).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaults, FIELDS, getField, resolveConfig } from '../../src/config/index.js';
import { cli, ensureBuilt, tempFolder, tinySet } from './helpers.js';

const tmp = tempFolder('mg-cli-config-');
afterAll(() => tmp.remove());
beforeAll(() => ensureBuilt(), 300_000);

function yml(name: string, text: string): string {
  const f = path.join(tmp.dir, name);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
  return f;
}

// The official MirrorGAN cfg/train_bird.yml (its fields and values).
const TRAIN_BIRD = `CONFIG_NAME: 'MirrorGAN'
DATASET_NAME: 'birds'
DATA_DIR: '../data/birds'
GPU_ID: 3
WORKERS: 4
OUTPUT_PATH: '/data/qtt/MirrorGAN/'
TREE:
  BRANCH_NUM: 3
TRAIN:
  FLAG: True
  NET_G: ''
  B_NET_D: True
  BATCH_SIZE: 12
  MAX_EPOCH: 650
  SNAPSHOT_INTERVAL: 50
  DISCRIMINATOR_LR: 0.0002
  GENERATOR_LR: 0.0002
  NET_E: '../data/STEM/text_encoder.pth'
  SMOOTH:
    GAMMA1: 4.0
    GAMMA2: 5.0
    GAMMA3: 10.0
    LAMBDA: 0.0
    LAMBDA1: 10.0
CAP:
  embed_size: 256
  hidden_size: 256
  num_layers: 1
  learning_rate: 0.001
  caption_cnn_path: '../data/STREAM/cnn_encoder.ckpt'
  caption_rnn_path: '../data/STREAM/rnn_decoder.ckpt'
GAN:
  DF_DIM: 64
  GF_DIM: 32
  Z_DIM: 100
  R_NUM: 2
TEXT:
  EMBEDDING_DIM: 256
  CAPTIONS_PER_IMAGE: 10
`;

describe('mirrorgan config', () => {
  it('--print writes the resolved configuration as YAML that --cfg reads back; --json as JSON; -o to a file', async () => {
    const args = ['--preset', 'cpu', '--set', 'train.batchSize=8', '--set', 'GAN.GF_DIM=16'];
    const expected = resolveConfig({ preset: 'cpu', set: ['train.batchSize=8', 'GAN.GF_DIM=16'] });
    const y = await cli(['config', '--print', ...args]);
    expect(y.status, y.stderr).toBe(0);
    expect(YAML.parse(y.stdout)).toEqual(expected);
    expect(resolveConfig({ files: [yml('printed.yml', y.stdout)] })).toEqual(expected);
    const j = await cli(['config', '--print', '--json', ...args]);
    expect(JSON.parse(j.stdout)).toEqual(expected);
    const file = path.join(tmp.dir, 'out', 'resolved.yml');
    const o = await cli(['config', '--print', ...args, '-o', file]);
    expect(o.stdout.trim()).toBe(file);
    expect(YAML.parse(fs.readFileSync(file, 'utf8'))).toEqual(expected);
  });

  it('--keys lists every schema field with its type, range, default and official name', async () => {
    const r = await cli(['config', '--keys', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { key: string; type: string; range: string; default: unknown; official: string | null }[];
    expect(rows.map((x) => x.key)).toEqual(FIELDS.map((f) => f.key));
    const base = defaults();
    for (const row of rows) expect(row.default, row.key).toEqual(getField(base, row.key));
    expect(rows.find((x) => x.key === 'gan.gfDim')).toEqual({ key: 'gan.gfDim', type: 'int', range: '1 .. 1024', default: 32, official: 'GAN.GF_DIM' });
    expect(rows.find((x) => x.key === 'train.snapshotEpochs')?.official).toBe('TRAIN.SNAPSHOT_INTERVAL');
    const table = await cli(['config', '--keys']);
    expect(table.stdout.split('\n')[0]).toMatch(/^key +type +range +default +official$/);
    expect(table.stdout).toMatch(/\ngan\.gfDim +int +1 \.\. 1024 +32 +GAN\.GF_DIM\n/);
  });

  it('needs exactly one of --print and --keys (usage error, exit 2)', async () => {
    for (const args of [['config'], ['config', '--print', '--keys']]) {
      const r = await cli(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('Expected exactly one of --print or --keys');
    }
  });
});

describe('official cfg files', () => {
  const notes: string[] = [];
  const onNote = (line: string) => void notes.push(line);

  it('train_bird.yml starts from the birds preset (it used to land on top of the cpu preset); --preset still wins', async () => {
    const file = yml('train_bird.yml', TRAIN_BIRD);
    notes.length = 0;
    const c = resolveConfig({ files: [file], onNote });
    expect(c.preset).toBe('birds');
    expect(c.dataset).toMatchObject({ name: 'cub', root: '../data/birds' });
    // The birds preset's own values where the file is silent (the cpu preset has 8 / 12 / 2000).
    expect(c.tree.branchNum).toBe(3);
    expect(c.text.wordsNum).toBe(18);
    expect(c.train.maxIterations).toBe(0);
    expect(c.train).toMatchObject({ batchSize: 12, maxEpoch: 650, streamWeight: 10, damsmWeight: 0, netE: '../data/STEM/text_encoder.pth' });
    expect(notes).toContain(`${file}: an official cfg file (CONFIG_NAME/DATASET_NAME); starting from the birds preset (--preset chooses another)`);
    expect(resolveConfig({ preset: 'cpu', files: [file] }).preset).toBe('cpu');
    // The CLI prints the notes on stderr and the configuration on stdout.
    const r = await cli(['config', '--print', '--json', '--cfg', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(c);
    expect(r.stderr).toContain('mirrorgan: note: ');
    expect(r.stderr).toContain('starting from the birds preset');
  });

  it('the preset follows DATASET_NAME; a file of overrides in official names stays on top of the preset', () => {
    expect(resolveConfig({ files: [yml('coco.yml', "CONFIG_NAME: 'glu-gan2'\nDATASET_NAME: 'coco'\nDATA_DIR: '../data/coco'\n")] }).preset).toBe('coco');
    expect(resolveConfig({ files: [yml('noname.yml', "CONFIG_NAME: 'x'\nDATA_DIR: '../data/birds'\n")] }).preset).toBe('birds');  // upstream's default DATASET_NAME
    const overrides = resolveConfig({ files: [yml('mine.yml', 'TRAIN:\n  BATCH_SIZE: 8\n')] });
    expect(overrides.preset).toBe('cpu');
    expect(overrides.train.batchSize).toBe(8);
    expect(resolveConfig({ files: [yml('own.yml', "preset: cpu\nCONFIG_NAME: 'x'\n")] }).preset).toBe('cpu');
  });

  it('CAP.caption_cnn_path and caption_rnn_path in one folder set train.captioner; otherwise a clear error', () => {
    notes.length = 0;
    const c = resolveConfig({ files: [yml('train_bird2.yml', TRAIN_BIRD)], onNote });
    expect(c.train.captioner).toBe('../data/STREAM');
    expect(notes.some((n) => n.endsWith('CAP.caption_cnn_path and CAP.caption_rnn_path name the captioner folder ../data/STREAM (train.captioner)'))).toBe(true);
    expect(resolveConfig({ set: ['CAP.caption_cnn_path=runs/cap/cnn_encoder.safetensors', 'CAP.caption_rnn_path=runs/cap/rnn_decoder.safetensors'] }).train.captioner).toBe('runs/cap');
    expect(() => resolveConfig({ files: [yml('apart.yml', 'CAP:\n  caption_cnn_path: a/cnn.ckpt\n  caption_rnn_path: b/rnn.ckpt\n')] }))
      .toThrow(/CAP\.caption_cnn_path \(a\/cnn\.ckpt\) and CAP\.caption_rnn_path \(b\/rnn\.ckpt\) are in different folders/);
    expect(() => resolveConfig({ files: [yml('half.yml', 'CAP:\n  caption_cnn_path: a/cnn.ckpt\n')] }))
      .toThrow(/CAP\.caption_cnn_path is set but CAP\.caption_rnn_path is not/);
    expect(resolveConfig({ files: [yml('empty-cap.yml', "CAP:\n  caption_cnn_path: ''\n  caption_rnn_path: ''\n")] }).train.captioner).toBe('');
  });

  it('TRAIN.SNAPSHOT_INTERVAL counts epochs (train.snapshotEpochs); train.snapshotInterval counts iterations', () => {
    notes.length = 0;
    const c = resolveConfig({ files: [yml('train_bird3.yml', TRAIN_BIRD)], onNote });
    expect(c.train.snapshotEpochs).toBe(50);
    expect(c.train.snapshotInterval).toBe(defaults().train.snapshotInterval);
    expect(notes.some((n) => n.includes('TRAIN.SNAPSHOT_INTERVAL 50 counts epochs as in the official code (train.snapshotEpochs)'))).toBe(true);
  });

  it('train refuses official PyTorch files before any work, with the conversion command', async () => {
    const stream = path.join(tmp.dir, 'STREAM');
    fs.mkdirSync(stream, { recursive: true });
    for (const f of ['cnn_encoder.ckpt', 'rnn_decoder.ckpt']) fs.writeFileSync(path.join(stream, f), 'not really a checkpoint');
    const cfg = yml('bird-local.yml', TRAIN_BIRD.replaceAll('../data/STREAM', stream).replace("NET_E: '../data/STEM/text_encoder.pth'", "NET_E: ''"));
    const out = path.join(tmp.dir, 'never-created');
    const cap = await cli(['train', '--cfg', cfg, '--out', out]);
    expect(cap.status).toBe(1);
    expect(cap.stderr).toContain(`train.captioner ${stream} (also set by CAP.caption_cnn_path/caption_rnn_path) holds official PyTorch files (cnn_encoder.ckpt, rnn_decoder.ckpt), which need conversion first`);
    expect(cap.stderr.trimEnd().endsWith('[ERR_FILE]')).toBe(true);
    const netE = await cli(['train', '--cfg', yml('bird-nete.yml', TRAIN_BIRD), '--out', out]);
    expect(netE.status).toBe(1);
    expect(netE.stderr).toContain('train.netE (TRAIN.NET_E) ../data/STEM/text_encoder.pth is a PyTorch checkpoint, which this project does not read; convert it first: python3 scripts/pth2safetensors.py ../data/STEM/text_encoder.pth ../data/STEM/text_encoder.safetensors');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a training run checkpoints after every N-th epoch with TRAIN.SNAPSHOT_INTERVAL N, as upstream', async () => {
    const run = path.join(tmp.dir, 'snap');
    const set = tinySet(path.join(tmp.dir, 'cache'), ['TRAIN.SNAPSHOT_INTERVAL=1', 'train.snapshotInterval=100000', 'train.sampleInterval=100000']);
    // One epoch and a bit: the per-epoch checkpoint plus the final one.
    const first = await cli(['train', '--preset', 'cpu', ...set, '--set', 'train.maxIterations=3', '--set', 'train.batchSize=16', '--out', run, '--no-progress'], { killAfterMs: 240_000 });
    expect(first.status, first.stderr).toBe(0);
    const epochs = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; iteration: number }).filter((m) => m.type === 'epoch');
    expect(epochs.length).toBeGreaterThanOrEqual(1);
    const names = fs.readdirSync(path.join(run, 'checkpoints')).filter((n) => n.startsWith('iter_')).sort();
    expect(names).toContain(`iter_${String(epochs[0]!.iteration).padStart(7, '0')}`);
    expect(names).toContain('iter_0000003');
  }, 300_000);
});
