// SPDX-License-Identifier: MIT
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseMetrics, readMetrics, supersedeRestarts } from '../../src/report/metrics.js';
import { readRunMetrics } from '../../src/report/run_folder.js';
import { compareMetricNames, ema, groupSeries } from '../../src/report/series.js';
import { summarize } from '../../src/report/summary.js';
import { fakeLosses, makeRun, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

describe('parseMetrics', () => {
  it('reads typed records, skips and counts bad lines, tolerates unknown types and fields', () => {
    const text = [
      '{"type":"iteration","iteration":1,"epoch":0,"time":10,"elapsed":1,"itPerSec":1,"lr":{"G":0.0002},"loss":{"D0":1.5,"G_total":7},"future":{"x":1}}',
      '',
      'not json',
      '[1,2,3]',
      '"a string"',
      '{"type":"iteration","epoch":0}',
      '{"type":"iteration","iteration":"2"}',
      '{"type":"checkpoint","iteration":2,"path":"x"}',
      '{"no":"type"}',
      '{"type":"iteration","iteration":2,"loss":{"D0":null,"G_total":6,"name":"x"},"lr":"bad"}',
      '{"type":"epoch","epoch":0,"iteration":2,"loss":{"D0":1.4}}',
      '{"type":"pretrain","phase":"stream","epoch":1,"loss":{"ce":3},"val":{"bleu4":0.2}}',
      '{"type":"pretrain","epoch":1}',
      '{"type":"iteration","iteration":3,"loss":{"D0":1.',
    ].join('\n');
    const m = parseMetrics(text);
    expect(m.iterations.map((r) => r.iteration)).toEqual([1, 2]);
    expect(m.iterations[0]).toEqual({ type: 'iteration', iteration: 1, epoch: 0, time: 10, elapsed: 1, itPerSec: 1, lr: { G: 0.0002 }, loss: { D0: 1.5, G_total: 7 } });
    expect(m.iterations[1].loss).toEqual({ G_total: 6 });
    expect(m.iterations[1].lr).toEqual({});
    expect(m.epochs).toHaveLength(1);
    expect(m.pretrain).toEqual([{ type: 'pretrain', phase: 'stream', epoch: 1, loss: { ce: 3 }, val: { bleu4: 0.2 } }]);
    expect(m.unknownRecords).toBe(2);
    expect(m.skippedLines).toBe(7);
    expect(m.skippedLineNumbers).toEqual([3, 4, 5, 6, 7, 13, 14]);
  });

  it('handles CRLF line endings and an empty file', () => {
    expect(parseMetrics('{"type":"iteration","iteration":5,"loss":{"KL":1}}\r\n\r\n').iterations).toHaveLength(1);
    const empty = parseMetrics('');
    expect(empty.iterations).toEqual([]);
    expect(empty.skippedLines).toBe(0);
    expect(empty.trainingSeconds).toBeUndefined();
  });

  it('lets a resumed run supersede the iterations it re-did and adds up the sessions\' training time', () => {
    const rec = (iteration: number, elapsed: number, D0: number): string => JSON.stringify({ type: 'iteration', iteration, elapsed, loss: { D0 } });
    // Session 1 reached iteration 4 (8 s); the run resumed from the checkpoint at iteration 2.
    const text = [rec(1, 2, 1), rec(2, 4, 1), rec(3, 6, 1), rec(4, 8, 1), rec(3, 3, 2), rec(4, 6, 2), rec(5, 9, 2)].join('\n');
    const m = parseMetrics(text);
    expect(m.iterations.map((r) => [r.iteration, r.loss.D0])).toEqual([[1, 1], [2, 1], [3, 2], [4, 2], [5, 2]]);
    expect(m.trainingSeconds).toBe(8 + 9);
    expect(supersedeRestarts([{ k: 1 }, { k: 2 }, { k: 2 }, { k: 3 }], (r) => r.k)).toHaveLength(3);
  });

  it('reads a missing file as an empty run', async () => {
    const m = await readMetrics(join(dir, 'nope.jsonl'));
    expect(m.iterations).toEqual([]);
  });
});

describe('groupSeries', () => {
  it('groups losses per network and stage for 2 and 3 stages', async () => {
    for (const stages of [2, 3]) {
      const run = join(dir, `run${stages}`);
      await makeRun(run, { stages, iterations: 60 });
      const m = await readMetrics(join(run, 'metrics.jsonl'));
      expect(m.iterations).toHaveLength(60);
      expect(m.skippedLines).toBe(1);
      const groups = groupSeries(m);
      const byId = Object.fromEntries(groups.map((g) => [g.id, g.series.map((s) => s.name)]));
      const stageNames = (p: string): string[] => Array.from({ length: stages }, (_, i) => `${p}${i}`);
      expect(byId).toEqual({
        'loss-D': stageNames('D'),
        'loss-G': ['G_total', ...stageNames('G_adv')],
        'loss-KL': ['KL'],
        'loss-STREAM': ['STREAM'],
        'loss-DAMSM': ['DAMSM'],
        lr: ['G', ...stageNames('D')],
        speed: ['it/s'],
        'pretrain-damsm-loss': ['train s0', 'train w0', 'val loss'],
        'pretrain-stream-loss': ['train ce'],
        'pretrain-stream-val': ['val bleu4'],
      });
      const d0 = groups[0].series[0];
      expect(d0.points).toHaveLength(60);
      expect(d0.points[59]).toEqual({ x: 60, y: fakeLosses(60, stages).D0 });
      expect(d0.smoothed).toBeUndefined();
      expect(groups.find((g) => g.id === 'lr')!.series[0].points.at(-1)!.y).toBe(0.0001);
    }
  });

  it('puts unknown loss terms in "Other losses" and smooths when asked (never the learning rate)', () => {
    const text = [1, 2, 3].map((i) => JSON.stringify({ type: 'iteration', iteration: i, lr: { G: 1 }, loss: { D0: i, G_word: i, extra_term: i } })).join('\n');
    const groups = groupSeries(parseMetrics(text), { smoothing: 0.5 });
    expect(groups.map((g) => g.id)).toEqual(['loss-D', 'loss-G', 'loss-other', 'lr']);
    expect(groups[2].series[0].name).toBe('extra_term');
    expect(groups[0].series[0].smoothed).toHaveLength(3);
    expect(groups[3].series[0].smoothed).toBeUndefined();
    expect(() => groupSeries(parseMetrics(text), { smoothing: 1 })).toThrow(/smoothing/);
  });

  it('orders names naturally with G_total first', () => {
    expect(['D10', 'D2', 'G_adv1', 'G_total', 'G_adv0'].sort(compareMetricNames)).toEqual(['G_total', 'D2', 'D10', 'G_adv0', 'G_adv1']);
  });
});

describe('readRunMetrics', () => {
  it('adds the pretraining curves of the damsm/ sub-folder, without counts', async () => {
    const run = join(dir, 'pipeline');
    await makeRun(run, { iterations: 10, pretrain: false });
    const damsm = (epoch: number, total: number): string =>
      JSON.stringify({
        type: 'pretrain', phase: 'damsm', epoch, iteration: epoch * 4, time: 1, elapsed: epoch, lr: 0.002,
        loss: { w0: total / 4, s0: total / 4, total },
        val: { loss: total + 1, w_loss: total / 2, r1_t2i: 0.1 * epoch, pool_r1_i2t: 0.05, batches: 1, batch_size: 8, pool_size: 8 },
      });
    await mkdir(join(run, 'damsm'));
    await writeFile(join(run, 'damsm', 'metrics.jsonl'), [damsm(1, 13), damsm(2, 11), damsm(3, 10), '{"type":"pre'].join('\n'));
    const m = await readRunMetrics(run);
    expect(m.pretrain.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(m.skippedLines).toBe(2); // one truncated line in each file
    const groups = groupSeries(m).filter((g) => g.id.startsWith('pretrain'));
    expect(groups.map((g) => [g.id, g.title, g.kind, g.series.map((s) => s.name)])).toEqual([
      ['pretrain-damsm-loss', 'Pretraining DAMSM: losses', 'loss', ['train s0', 'train total', 'train w0', 'val loss', 'val w_loss']],
      ['pretrain-damsm-val', 'Pretraining DAMSM: validation', 'metric', ['val pool_r1_i2t', 'val r1_t2i']],
    ]);
    expect(groups[1].series[1].points).toEqual([{ x: 1, y: 0.1 }, { x: 2, y: 0.2 }, { x: 3, y: 0.30000000000000004 }]);
    expect(summarize(m).pretrainEpochs).toEqual({ damsm: 3 });
  });
});

describe('ema', () => {
  it('is the identity at 0, debiased (no pull towards 0) and smooths a step', () => {
    const pts = [5, 5, 5, 15, 15].map((y, x) => ({ x, y }));
    expect(ema(pts, 0)).toEqual(pts);
    const s = ema(pts, 0.9);
    expect(s[0].y).toBeCloseTo(5, 12);
    expect(s[2].y).toBeCloseTo(5, 12);
    expect(s[3].y).toBeGreaterThan(5);
    expect(s[3].y).toBeLessThan(15);
    expect(s[4].y).toBeGreaterThan(s[3].y);
    expect(() => ema(pts, -0.1)).toThrow(/Expected number in \[0, 1\) for smoothing/);
  });
});

describe('summarize', () => {
  it('reports iterations, epochs, time, speed and last/lowest losses', async () => {
    const run = join(dir, 'sum');
    await makeRun(run, { stages: 3, iterations: 80, perEpoch: 20 });
    const s = summarize(await readMetrics(join(run, 'metrics.jsonl')));
    expect(s.lastIteration).toBe(80);
    expect(s.iterationRecords).toBe(80);
    expect(s.lastEpoch).toBe(3);
    expect(s.elapsed).toBe(160);
    expect(s.medianItPerSec).toBe(0.5);
    expect(s.pretrainEpochs).toEqual({ damsm: 2, stream: 1 });
    expect(s.skippedLines).toBe(1);
    const g = s.losses.find((l) => l.name === 'G_total')!;
    expect(g).toEqual({ name: 'G_total', last: fakeLosses(80, 3).G_total, lastIteration: 80, min: fakeLosses(80, 3).G_total, minIteration: 80, lastEpochMean: fakeLosses(80, 3).G_total });
    expect(s.losses.map((l) => l.name)).toEqual(['G_total', 'D0', 'D1', 'D2', 'DAMSM', 'G_adv0', 'G_adv1', 'G_adv2', 'KL', 'STREAM']);
    const damsm = s.losses.find((l) => l.name === 'DAMSM')!;
    expect([damsm.min, damsm.minIteration]).toEqual([0, 1]);
  });
});
