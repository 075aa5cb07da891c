// SPDX-License-Identifier: MIT
// The kill test (issue #18): a tiny `mirrorgan train` in deterministic mode is killed with SIGKILL
// at seeded random points of every phase (DAMSM and STREAM pretraining, GAN steps, inside a
// checkpoint write), resumed each time with the same command, and must end as an uninterrupted
// run does: every iteration once in metrics.jsonl, only complete checkpoints, no leftovers, and
// the same weights bit for bit. test/helpers/kill_switch.mjs makes the child kill itself at the
// chosen step, so the points do not depend on the machine's speed.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCheckpoint } from '../../src/train/checkpoint_manifest.js';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import { tempOwner } from '../../src/util/atomic.js';
import { repoRoot } from '../helpers/parity.js';
import { cli, ensureBuilt, tempFolder, tinySet, type CliResult } from './helpers.js';

const tmp = tempFolder('mg-kill-');
const cache = path.join(tmp.dir, 'cache');
afterAll(() => tmp.remove());
beforeAll(() => ensureBuilt(), 300_000);

const ITERATIONS = 16;
/** DAMSM 3 epochs and STREAM 2 of 4 steps each (32 training images, batches of 8), GAN 16 iterations, a checkpoint every 4. */
const SET = tinySet(cache, [
  'damsm.epochs=3', 'stream.epochs=2', `train.maxIterations=${ITERATIONS}`, 'train.snapshotInterval=4', 'train.sampleInterval=8', 'train.deterministic=true',
]);
const KILL_SWITCH = path.join(repoRoot, 'test', 'helpers', 'kill_switch.mjs');

/** mulberry32: the kill points follow from one seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function train(out: string, args: string[] = SET, kill?: { phase: string; at: number }): Promise<CliResult> {
  const env: Record<string, string> = kill ? { NODE_OPTIONS: `--import=${KILL_SWITCH}`, MG_KILL_PHASE: kill.phase, MG_KILL_AT: String(kill.at) } : {};
  return cli(['train', '--preset', 'cpu', ...args, '--resume', '--out', out, '--no-progress'], { env, killAfterMs: 240_000 });
}

const lines = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

/** Every file of `dir` (recursively) named as a temporary (src/util/atomic.ts), or dotted at all. */
function leftovers(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => path.basename(f).startsWith('.') || tempOwner(path.basename(f)) !== null);
}

function sameBytes(a: string, b: string, names: string[]): string[] {
  return names.filter((n) => !fs.readFileSync(path.join(a, n)).equals(fs.readFileSync(path.join(b, n))));
}

describe('killed at random points of every phase and resumed with the same command', () => {
  it('ends as an uninterrupted run: all iterations once, complete checkpoints, no leftovers, the same weights', async () => {
    const ref = path.join(tmp.dir, 'uninterrupted');
    const straight = await train(ref);
    expect(straight.status, straight.stderr).toBe(0);

    const run = path.join(tmp.dir, 'killed');
    const r = rng(18);
    // [phase, lowest, highest] kill point per launch: DAMSM has 12 optimizer steps, STREAM 8, the GAN
    // 32 (D and G per iteration); a checkpoint write ~12 file operations, the manifest's rename the 8th.
    const plan: [string, number, number][] = [
      ['STEM', 1, 12], ['STEM', 1, 4], ['STREAM', 1, 8], ['GAN', 1, 12], ['checkpoint', 1, 7], ['GAN', 1, 6], ['checkpoint', 8, 12],
    ];
    const killed: string[] = [];
    for (const [i, [phase, lo, hi]] of plan.entries()) {
      const at = lo + Math.floor(r() * (hi - lo + 1));
      // The second launch is the bare resume (found 3): the run's config.json, written before any phase, supplies the rest.
      const res = await train(run, i === 1 ? [] : SET, { phase, at });
      expect(res.signal, `launch ${i + 1} (${phase} ${at}) was to be killed:\n${res.stderr}`).toBe('SIGKILL');
      killed.push(`${phase} ${at}`);
      if (i === 0) expect(fs.existsSync(path.join(run, 'config.json')), 'config.json after a kill in DAMSM pretraining').toBe(true);
    }
    expect(killed).toHaveLength(plan.length);
    const last = await train(run);
    expect(last.status, last.stderr).toBe(0);
    expect(last.stdout).toContain(`MirrorGAN  ${ITERATIONS} iterations`);

    // Metrics: each iteration once, in order; each epoch once.
    const records = lines(path.join(run, 'metrics.jsonl'));
    expect(records.filter((x) => x.type === 'iteration').map((x) => x.iteration)).toEqual(Array.from({ length: ITERATIONS }, (_, k) => k + 1));
    const epochs = records.filter((x) => x.type === 'epoch').map((x) => x.epoch);
    expect(epochs).toEqual([...new Set(epochs)]);
    expect(records.filter((x) => x.type === 'epoch')).toEqual(lines(path.join(ref, 'metrics.jsonl')).filter((x) => x.type === 'epoch').map((x) => ({ ...x, time: expect.any(Number), elapsed: expect.any(Number) })));
    // Checkpoints: the newest three, each complete; no temporary anywhere.
    const ckpts = await listCheckpoints(run);
    expect(ckpts.map((c) => c.iteration)).toEqual([16, 12, 8]);
    for (const c of ckpts) expect(await checkCheckpoint(c.dir, c.iteration), c.name).toEqual({ status: 'complete', iteration: c.iteration });
    expect(leftovers(run)).toEqual([]);
    // Deterministic mode: the same bits as the uninterrupted run, every phase.
    const final = path.join('checkpoints', 'iter_0000016');
    const weights = fs.readdirSync(path.join(ref, final)).filter((f) => f.endsWith('.safetensors'));
    expect(weights.length).toBe(5);
    expect(sameBytes(path.join(run, final), path.join(ref, final), weights)).toEqual([]);
    expect(sameBytes(path.join(run, 'damsm'), path.join(ref, 'damsm'), ['text_encoder.safetensors', 'image_encoder.safetensors'])).toEqual([]);
    expect(sameBytes(path.join(run, 'stream'), path.join(ref, 'stream'), ['cnn_encoder.safetensors', 'rnn_decoder.safetensors'])).toEqual([]);
  }, 600_000);
});
