// SPDX-License-Identifier: MIT
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MirrorganError } from '../../lib/errors.js';
import { openMojiOptionsOf, resolveConfig, sampleCaptionsOf } from '../../src/config/index.js';
import { repoRoot } from '../helpers/parity.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-cfg-'));
function yml(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

// The official MirrorGAN cfg/train_bird.yml, verbatim in content.
const TRAIN_BIRD = fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'config', 'train_bird.yml'), 'utf8');

describe('configuration', () => {
  it('the cpu preset is the default and validates', () => {
    const c = resolveConfig();
    expect(c.preset).toBe('cpu');
    expect(c.dataset.name).toBe('openmoji');
    expect(c.dataset.skinTones).toBe('base');
    expect(c.train).toMatchObject({ streamWeight: 10, damsmWeight: 5, emaWarmup: true });
    expect(c.tree.branchNum).toBe(2);
    expect(c.dataset).toMatchObject({ attributeCaptions: true, recolour: 3 });
    expect(openMojiOptionsOf({ ...c.dataset, skinTones: 'base' })).toEqual({ skinTones: 'base', attributeCaptions: true, recolour: 3 });
    expect(openMojiOptionsOf({ ...c.dataset, skinTones: 'all', limit: 0, attributeCaptions: false, recolour: 0 })).toEqual({ attributeCaptions: false });
    expect(openMojiOptionsOf({ ...c.dataset, skinTones: 'all', limit: 8 })).toEqual({ limit: 8, attributeCaptions: true, recolour: 3 });
    expect(() => resolveConfig({ set: ['dataset.recolour=8'] })).toThrow(/between 0 and 7 for dataset.recolour/);
    expect(openMojiOptionsOf({ ...c.dataset, name: 'cub' })).toBeUndefined();
    expect(() => resolveConfig({ set: ['dataset.skinTones=dark'] })).toThrow(/one of all, base for dataset.skinTones/);
  });

  it("a run's config.json from before attribute captions keeps its captions; YAML files get the default", () => {
    const saved = resolveConfig();
    const { attributeCaptions: _dropped, ...oldDataset } = saved.dataset;
    const old = yml('old-run.json', JSON.stringify({ ...saved, dataset: oldDataset }));
    expect(resolveConfig({ files: [old] }).dataset.attributeCaptions).toBe(false);
    expect(resolveConfig({ files: [old], set: ['dataset.attributeCaptions=true'] }).dataset.attributeCaptions).toBe(true);
    expect(resolveConfig({ files: [yml('now.json', JSON.stringify(saved))] }).dataset.attributeCaptions).toBe(true);
    expect(resolveConfig({ files: [yml('user.yml', 'dataset:\n  limit: 40\n')] }).dataset.attributeCaptions).toBe(true);
  });

  it('a run folder saved before the weights were renamed (train.lambda1, train.lambda) loads with its values', () => {
    const saved = resolveConfig({ set: ['train.streamWeight=7', 'train.damsmWeight=3'] });
    const { streamWeight, damsmWeight, ...rest } = saved.train;
    const oldTrain = { ...rest, lambda1: streamWeight, lambda: damsmWeight };  // the keys as an older build wrote them
    const old = yml('old-weights.json', JSON.stringify({ ...saved, train: oldTrain }));
    expect(JSON.parse(fs.readFileSync(old, 'utf8')).train).not.toHaveProperty('streamWeight');
    const migrated = resolveConfig({ files: [old] });
    expect(migrated.train).toMatchObject({ streamWeight: 7, damsmWeight: 3 });
    expect(migrated.train).not.toHaveProperty('lambda1');
    expect(migrated.train).not.toHaveProperty('lambda');
    expect(migrated).toEqual(saved);
    // a resumed run's command-line overrides still win over the migrated values
    expect(resolveConfig({ files: [old], set: ['train.streamWeight=0'] }).train.streamWeight).toBe(0);
    // and the official names keep meaning the same weights
    expect(resolveConfig({ set: ['TRAIN.SMOOTH.LAMBDA1=4', 'TRAIN.SMOOTH.LAMBDA=2'] }).train).toMatchObject({ streamWeight: 4, damsmWeight: 2 });
  });

  it('train.sampleCaptions: the dataset default, none, or up to 8 captions separated by |', () => {
    const probes = ['red circle', 'blue heart'];
    expect(sampleCaptionsOf(resolveConfig().train, probes)).toEqual(probes);
    expect(sampleCaptionsOf(resolveConfig({ set: ['train.sampleCaptions=none'] }).train, probes)).toEqual([]);
    expect(sampleCaptionsOf(resolveConfig({ set: ['train.sampleCaptions=a red bird | a tall tree|'] }).train, probes)).toEqual(['a red bird', 'a tall tree']);
    const nine = resolveConfig({ set: [`train.sampleCaptions=${Array(9).fill('x').join('|')}`] }).train;
    expect(() => sampleCaptionsOf(nine)).toThrow(/at most 8 captions separated by '\|' for train.sampleCaptions/);
  });

  it('reads the official train_bird.yml with its field names', () => {
    const c = resolveConfig({ preset: 'birds', files: [yml('train_bird.yml', TRAIN_BIRD)] });
    expect(c.dataset).toMatchObject({ name: 'cub', root: '../data/birds' });
    expect(c.tree.branchNum).toBe(3);
    expect(c.train).toMatchObject({ batchSize: 12, maxEpoch: 650, streamWeight: 10, damsmWeight: 0, gamma1: 4, netE: '../data/STEM/text_encoder.pth' });
    expect(c.gan).toMatchObject({ dfDim: 64, gfDim: 32, zDim: 100, rNum: 2 });
    expect(c.stream).toMatchObject({ hiddenSize: 256, embedSize: 256, lr: 0.001 });
  });

  it('applies --set after files, with our keys or official ones', () => {
    const c = resolveConfig({ files: [yml('a.yml', 'train:\n  batchSize: 8\n')], set: ['train.batchSize=6', 'GAN.GF_DIM=16'] });
    expect(c.train.batchSize).toBe(6);
    expect(c.gan.gfDim).toBe(16);
  });

  it('rejects invalid values with the field name and the allowed range', () => {
    expect(() => resolveConfig({ set: ['tree.branchNum=4'] })).toThrow("--set: Expected an integer between 1 and 3 for tree.branchNum but received '4'");
    expect(() => resolveConfig({ set: ['TRAIN.BATCH_SIZE=1'] })).toThrow(/between 2 and 4096 for train.batchSize/);
    expect(() => resolveConfig({ set: ['train.generatorLr=fast'] })).toThrow(/for train.generatorLr but received 'fast'/);
    expect(() => resolveConfig({ set: ['gan.sentenceAttention=maybe'] })).toThrow(/one of official, paper, off/);
    expect(() => resolveConfig({ set: ['train.nonsense=1'] })).toThrow(/Unknown config field 'train.nonsense'/);
    expect(() => resolveConfig({ set: ['noequals'] })).toThrow(/key=value/);
    expect(() => resolveConfig({ preset: 'huge' })).toThrow(/one of birds, coco, cpu for preset/);
    expect(() => resolveConfig({ preset: 'birds' })).toThrow(/dataset.root \(DATA_DIR\) is required/);
    expect(() => resolveConfig({ files: [yml('bad.yml', 'TRAIN:\n  BATCH_SIZE: [1, 2]\n')] })).toThrow(/bad.yml: line 2: Expected a single value for train.batchSize but received a list of 2/);
    expect(() => resolveConfig({ files: [yml('bad2.yml', 'TRAIN:\n  BATCH_SIZE: 1\n')] })).toThrow(/bad2.yml: line 2: Expected an integer between 2 and 4096 for train.batchSize but received 1/);
    expect(() => resolveConfig({ files: [path.join(dir, 'missing.yml')] })).toThrow(/no such file/);
    expect(() => resolveConfig({ set: ['tree.branchNum=0'] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
  });

  it('the coco preset carries AttnGAN\'s COCO values', () => {
    const c = resolveConfig({ preset: 'coco', set: ['dataset.root=/data/coco'] });
    expect(c.gan).toMatchObject({ gfDim: 48, dfDim: 96, rNum: 3 });
    expect(c.train.batchSize).toBe(14);
    expect(c.text.wordsNum).toBe(12);
  });

  it('a resolved config.json reads back to the same config', () => {
    const c = resolveConfig({ set: ['train.seed=9', 'gan.maskTiling=fixed'] });
    const f = yml('config.json', JSON.stringify(c));
    expect(resolveConfig({ files: [f] })).toEqual(c);
  });

  it('ignores the retired hard-negative keys with one note per source, and resolves as without them', () => {
    const c = resolveConfig({ set: ['train.seed=9'] });
    const old = JSON.parse(JSON.stringify(c));
    Object.assign(old.train, { mismatch: 'neighbour', neighbours: 3 });
    old.damsm.neighbours = 3;
    const f = yml('old-config.json', JSON.stringify(old));
    const notes: string[] = [];
    const onNote = (m: string) => void notes.push(m);
    expect(resolveConfig({ files: [f], onNote })).toEqual(c);
    expect(resolveConfig({ set: ['train.seed=9', 'train.mismatch=random'], onNote })).toEqual(c);
    expect(notes).toEqual([
      `${f}: ignoring retired keys train.mismatch, train.neighbours, damsm.neighbours (hard-negative experiments; the official shifted mismatch is used)`,
      '--set: ignoring retired key train.mismatch (hard-negative experiments; the official shifted mismatch is used)',
    ]);
    expect(resolveConfig({ set: ['train.seed=9'], onNote })).toEqual(c);
    expect(notes).toHaveLength(2);
  });
});

describe('configuration files are read strictly', () => {
  const refuses = (text: string | Buffer, message: string | RegExp): void => {
    const file = path.join(dir, 'strict.yml');
    fs.writeFileSync(file, text);
    let err: unknown;
    try {
      resolveConfig({ files: [file] });
    } catch (e) {
      err = e;
    }
    expect(err, String(text).slice(0, 60)).toBeInstanceOf(MirrorganError);
    expect((err as Error).message).toMatch(typeof message === 'string' ? `${file}: ${message}` : message);
  };

  it('a preset must be a preset name: __proto__, hasOwnProperty, toString, 3 or [cpu] are refused with a clear error', () => {
    for (const name of ['__proto__', 'hasOwnProperty', 'valueOf', 'toString', 'constructor', 'isPrototypeOf']) {
      refuses(`preset: ${name}\n`, `line 1: Expected one of birds, coco, cpu for preset but received '${name}'`);
      expect(() => resolveConfig({ preset: name })).toThrow(`Expected one of birds, coco, cpu for preset but received '${name}'`);
    }
    refuses('preset: 3\n', 'line 1: Expected one of birds, coco, cpu for preset but received 3');
    refuses('preset: null\n', 'line 1: Expected one of birds, coco, cpu for preset but received null');
    refuses('preset: [cpu]\n', 'line 1: Expected a preset name for preset but received a list of 1');
    refuses('preset: {a: 1}\n', 'line 1: Expected a preset name for preset but received a mapping');
    expect(resolveConfig({ files: [yml('coco.yml', 'preset: coco\ndataset:\n  root: /data/coco\n')] }).gan.gfDim).toBe(48);
  });

  it('a recursive alias is refused by name; aliases to earlier values work', () => {
    refuses('TRAIN: &t\n  SMOOTH: *t\n', 'line 2: TRAIN.SMOOTH refers to a mapping that contains it (a recursive alias)');
    refuses('TRAIN: &t\n  BATCH_SIZE: 4\n  SMOOTH:\n    LAMBDA1: *t\n', 'line 4: Expected a single value for train.streamWeight but received a mapping');
    refuses('train:\n  batchSize: &x [*x]\n', 'line 2: Expected a single value for train.batchSize but received a list of 1');
    refuses('train:\n  batchSize: *nowhere\n', /line 2: alias \*nowhere names no anchor|Unresolved alias/);
    const c = resolveConfig({ files: [yml('alias.yml', 'TRAIN:\n  GENERATOR_LR: &lr 0.0003\n  DISCRIMINATOR_LR: *lr\n')] });
    expect([c.train.generatorLr, c.train.discriminatorLr]).toEqual([0.0003, 0.0003]);
  });

  it('keys are strings, once per mapping, and each field is set once per file whatever its spelling', () => {
    refuses('train:\n  batchSize: 4\n  batchSize: 6\n', "line 3: the key 'batchSize' appears twice in one mapping");
    refuses('train:\n  batchSize: 4\nTRAIN:\n  BATCH_SIZE: 6\n', 'line 4: TRAIN.BATCH_SIZE sets train.batchSize, which line 2 already set as train.batchSize');
    refuses('train.batchSize: 4\ntrain:\n  batchSize: 6\n', 'line 3: train.batchSize sets train.batchSize, which line 1 already set as train.batchSize');
    refuses('3: x\n', 'line 1: a key must be a string, not 3');
    refuses('true: x\n', 'line 1: a key must be a string, not true');
    refuses('? [a]\n: 1\n', 'line 1: a key must be a string, not a collection');
  });

  it('unknown keys and sections are refused, prototype names included; empty known sections are fine', () => {
    refuses('__proto__:\n  polluted: 1\n', /line 1: Unknown config field '__proto__'/);
    refuses('constructor: 1\n', /line 1: Unknown config field 'constructor'/);
    refuses('train:\n  hasOwnProperty: 1\n', /line 2: Unknown config field 'train.hasOwnProperty'/);
    refuses('extra: {}\n', /line 1: Unknown config field 'extra'/);
    refuses('train:\n  batchSize:\n    x: 1\n', 'line 2: Expected a single value for train.batchSize but received a mapping');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(resolveConfig({ files: [yml('empty-section.yml', 'TRAIN:\n# nothing yet\nGAN: {}\n')] }).train.batchSize).toBe(16);
  });

  it('values must have the field type: no silent NaN, Infinity, tags or null', () => {
    refuses('train:\n  batchSize: .nan\n', 'line 2: Expected an integer between 2 and 4096 for train.batchSize but received NaN');
    refuses('train:\n  generatorLr: .inf\n', 'line 2: Expected a number between 0 and 1 for train.generatorLr but received Infinity');
    refuses('train:\n  netG: null\n', 'line 2: Expected a string for train.netG but received null');
    refuses('train:\n  emaWarmup: yes\n', "line 2: Expected true or false for train.emaWarmup but received 'yes'");
    refuses('train:\n  netG: !!binary aGk=\n', 'line 2: Expected a string for train.netG but received a Buffer of type object');
    refuses('train:\n  netG: !custom x\n', /Unresolved tag: !custom/);
  });

  it('refuses files that are not one UTF-8 YAML mapping', () => {
    refuses('train:\n  batchSize: 4\n---\ntrain:\n  batchSize: 6\n', /Source contains multiple documents/);
    refuses(Buffer.from([0x74, 0x3a, 0x20, 0xff, 0x0a]), 'is not UTF-8 text');
    refuses('- a\n- b\n', 'expected a mapping of config fields');
    refuses('', 'expected a mapping of config fields');
    refuses('train: [1, 2\n', /Flow sequence in block collection|Expected/);
    expect(() => resolveConfig({ files: [dir] })).toThrow(`${dir}: is not a file`);
    const big = path.join(dir, 'big.yml');
    fs.writeFileSync(big, Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
    expect(() => resolveConfig({ files: [big] })).toThrow(`${big}: is 4194305 bytes; a config file is at most 4194304`);
  });

  it('50,000 keys are read in one linear pass (the yaml duplicate check compared each with every earlier one)', () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `key${i}: ${i}`);
    refuses(lines.join('\n'), /line 1: Unknown config field 'key0'/);
    const comments = Array.from({ length: 50_000 }, (_, i) => `# note ${i}`);
    expect(resolveConfig({ files: [yml('long.yml', `${comments.join('\n')}\ntrain:\n  batchSize: 6\n`)] }).train.batchSize).toBe(6);
  });
});
