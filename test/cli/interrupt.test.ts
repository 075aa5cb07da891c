// SPDX-License-Identifier: MIT
// Ctrl-C (SIGINT) during training: the phase stops after its current step, keeps or writes its
// checkpoint, the command exits 130 with the way to continue, and --resume continues.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, tempFolder, tinySet, waitFor } from './helpers.js';

const tmp = tempFolder('mg-cli-sigint-');
const cache = path.join(tmp.dir, 'cache');
afterAll(() => tmp.remove());
beforeAll(() => ensureBuilt(), 300_000);

const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');

/** Runs the command and sends SIGINT once `ready()` holds; resolves to the finished run. */
function interruptWhen(args: string[], ready: () => boolean) {
  return cli(args, {
    killAfterMs: 240_000,
    whileRunning: (child) => {
      void waitFor(ready, 200_000, 'the phase to start').then(() => child.kill('SIGINT'), () => child.kill('SIGKILL'));
    },
  });
}

describe('Ctrl-C exits 130 after the checkpoint', () => {
  it('in the GAN phase: writes the checkpoint of the iteration it stopped at; --resume continues from it', async () => {
    const run = path.join(tmp.dir, 'gan');
    const set = tinySet(cache, ['train.maxIterations=100000', 'train.snapshotInterval=100000', 'train.sampleInterval=100000']);
    const r = await interruptWhen(['train', '--preset', 'cpu', ...set, '--out', run, '--no-progress'], () => read(path.join(run, 'metrics.jsonl')).includes('"type":"iteration"'));
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(130);
    const latest = JSON.parse(read(path.join(run, 'checkpoints', 'latest.json'))) as { checkpoint: string; iteration: number };
    expect(latest.iteration).toBeGreaterThanOrEqual(1);
    const state = JSON.parse(read(path.join(run, 'checkpoints', latest.checkpoint, 'state.json'))) as { iteration: number };
    expect(state.iteration).toBe(latest.iteration);
    const last = r.stderr.trimEnd().split('\n').at(-1);
    expect(last).toBe(`mirrorgan: stopped at iteration ${latest.iteration}, checkpoint ${path.join(run, 'checkpoints', latest.checkpoint)} written; continue with: npx mirrorgan train --resume --out ${run} [ERR_ABORTED]`);
    expect(r.stdout).toContain(`MirrorGAN  ${latest.iteration} iterations`);

    const more = latest.iteration + 2;
    const resumed = await cli(['train', '--preset', 'cpu', ...set, '--set', `train.maxIterations=${more}`, '--resume', '--out', run, '--no-progress'], { killAfterMs: 240_000 });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`MirrorGAN  ${more} iterations`);
  }, 300_000);

  it('in DAMSM pretraining: keeps the completed epochs, exits 130, and `train --resume` continues the phase', async () => {
    const run = path.join(tmp.dir, 'damsm');
    const state = path.join(run, 'damsm', 'damsm_state.json');
    const r = await interruptWhen(['train', '--preset', 'cpu', ...tinySet(cache, ['damsm.epochs=1000']), '--out', run, '--no-progress'], () => fs.existsSync(state));
    expect(r.status, r.stderr).toBe(130);
    const kept = (JSON.parse(read(state)) as { epoch: number }).epoch;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
      `mirrorgan: stopped during DAMSM pretraining (${path.join(run, 'damsm')} keeps ${kept} completed epochs); continue with: npx mirrorgan train --resume --out ${run} [ERR_ABORTED]`,
    );
    expect(fs.existsSync(path.join(run, 'stream'))).toBe(false);  // STREAM did not start after the signal

    const resumed = await cli(['train', '--preset', 'cpu', ...tinySet(cache, [`damsm.epochs=${kept + 1}`]), '--resume', '--out', run, '--no-progress'], { killAfterMs: 240_000 });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`STEM       DAMSM ${kept + 1} epochs`);
    expect(resumed.stdout).toContain('MirrorGAN  2 iterations');
  }, 300_000);

  it('in pretrain-stream and pretrain-damsm: the last completed epoch stays, exit 130', async () => {
    const stream = path.join(tmp.dir, 'stream');
    const s = await interruptWhen(['pretrain-stream', '--preset', 'cpu', ...tinySet(cache), '--epochs', '1000', '--out', stream, '--no-progress'],
      () => fs.existsSync(path.join(stream, 'captioner.json')));
    expect(s.status, s.stderr).toBe(130);
    const epochs = (JSON.parse(read(path.join(stream, 'captioner.json'))) as { epochs: number }).epochs;
    expect(s.stderr.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^mirrorgan: stopped; .*stream keeps ${epochs} completed epochs; continue with: npx mirrorgan pretrain-stream --resume --out `));

    const damsm = path.join(tmp.dir, 'stem');
    const d = await interruptWhen(['pretrain-damsm', '--preset', 'cpu', ...tinySet(cache), '--epochs', '1000', '--out', damsm, '--no-progress'],
      () => fs.existsSync(path.join(damsm, 'damsm_state.json')));
    expect(d.status, d.stderr).toBe(130);
    expect(d.stdout).toMatch(/^damsm: \d+ epochs? \(\d+ this run\).*stopped early/);
    expect(d.stderr.trimEnd().split('\n').at(-1)).toMatch(/^mirrorgan: stopped; .*stem keeps \d+ completed epochs; continue with: npx mirrorgan pretrain-damsm --resume --out .* \[ERR_ABORTED\]$/);
  }, 300_000);
});
