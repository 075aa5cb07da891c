// SPDX-License-Identifier: MIT
// Checkpoint folders that check themselves, are found by scanning, replace each other atomically,
// are pruned to the newest K plus the best-scored, and are settled after a killed writer; the
// metrics log rewound to a checkpoint. File-level tests: no training.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempPathFor, tempOwner } from '../../src/util/atomic.js';
import { removeStaleTemps, writerAlive } from '../../src/util/stale_temp.js';
import { checkpointName, latestCheckpoint, listCheckpoints, saveCheckpoint, settleCheckpoints, type CheckpointPart } from '../../src/train/checkpoint.js';
import { checkCheckpoint, digestFile, MANIFEST_FILE } from '../../src/train/checkpoint_manifest.js';
import { bestCheckpoint, checkpointsToPrune } from '../../src/train/checkpoint_retention.js';
import { rewindMetrics } from '../../src/train/metrics_log.js';
import { tempFolder } from '../cli/helpers.js';

const tmp = tempFolder('mg-ckpt-');
afterAll(() => tmp.remove());
const quiet = { warn() {}, info() {} };

/** A part whose file holds `bytes` bytes derived from `seed`. */
function part(file: string, seed: number, bytes = 1000): CheckpointPart {
  return { file, save: async (p) => fs.writeFileSync(p, Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 31 + seed) % 251))) };
}

async function save(run: string, iteration: number, extra: Record<string, unknown> = {}, keep = 100): Promise<string> {
  return saveCheckpoint(run, iteration, [part('netG.safetensors', iteration), part('netD0.safetensors', iteration + 1, 300)], { iteration, ...extra }, { keep, logger: quiet });
}

/** A process id that is not running: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('checkpoint folders', () => {
  it('carry a manifest (size and SHA-256 of every file) and check out complete', async () => {
    const run = path.join(tmp.dir, 'manifest');
    const dir = await save(run, 3);
    expect(path.basename(dir)).toBe('iter_0000003');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8'));
    expect(manifest).toMatchObject({ format: 'mirrorgan-checkpoint', version: 1, iteration: 3 });
    expect(Object.keys(manifest.files)).toEqual(['netD0.safetensors', 'netG.safetensors', 'state.json']);
    expect(manifest.files['netG.safetensors'].size).toBe(1000);
    expect(manifest.files['netG.safetensors']).toEqual(await digestFile(path.join(dir, 'netG.safetensors')));
    expect(await checkCheckpoint(dir, 3)).toEqual({ status: 'complete', iteration: 3 });
    expect(fs.readdirSync(path.join(run, 'checkpoints')).sort()).toEqual(['iter_0000003', 'latest.json']);  // no temporary left
  });

  it('name what is wrong with a damaged one', async () => {
    const run = path.join(tmp.dir, 'damaged');
    const dir = await save(run, 5);
    const g = path.join(dir, 'netG.safetensors');
    fs.truncateSync(g, 400);
    expect(await checkCheckpoint(dir, 5)).toEqual({ status: 'corrupt', reason: 'netG.safetensors has 400 bytes, the manifest says 1000' });
    fs.writeFileSync(g, Buffer.alloc(1000));  // same size, other bytes
    expect(await checkCheckpoint(dir, 5)).toEqual({ status: 'corrupt', reason: 'netG.safetensors does not match its checksum' });
    fs.rmSync(g);
    expect(await checkCheckpoint(dir, 5)).toEqual({ status: 'corrupt', reason: 'netG.safetensors is missing' });
    expect(await checkCheckpoint(dir, 6)).toEqual({ status: 'corrupt', reason: 'manifest.json is not a manifest of iteration 6' });
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8'));
    m.files['../../outside'] = { size: 1, sha256: '' };
    fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(m));
    expect(await checkCheckpoint(dir, 5)).toMatchObject({ status: 'corrupt', reason: expect.stringContaining('names a file outside the folder') });
    fs.writeFileSync(path.join(dir, MANIFEST_FILE), '{"format": "mirrorgan-chec');
    expect(await checkCheckpoint(dir, 5)).toMatchObject({ status: 'corrupt', reason: expect.stringMatching(/^manifest\.json is unreadable/) });
    // A folder from before manifests: its state.json decides.
    fs.rmSync(path.join(dir, MANIFEST_FILE));
    expect(await checkCheckpoint(dir, 5)).toEqual({ status: 'unverified', iteration: 5 });
    fs.writeFileSync(path.join(dir, 'state.json'), '{"iter');
    expect(await checkCheckpoint(dir, 5)).toMatchObject({ status: 'corrupt', reason: expect.stringMatching(/^no manifest\.json and no readable state\.json/) });
  });

  it('are found by scanning: latest.json unreadable or naming a missing folder does not matter (found 1)', async () => {
    const run = path.join(tmp.dir, 'scan');
    for (const it of [2, 4, 6]) await save(run, it);
    const latest = path.join(run, 'checkpoints', 'latest.json');
    fs.writeFileSync(latest, '{"checkpoint": "iter_00');
    expect(await latestCheckpoint(run)).toBe(path.join(run, 'checkpoints', 'iter_0000006'));
    fs.writeFileSync(latest, JSON.stringify({ checkpoint: 'iter_0000099', iteration: 99 }));
    expect(await latestCheckpoint(run)).toBe(path.join(run, 'checkpoints', 'iter_0000006'));
    fs.rmSync(latest);
    expect((await listCheckpoints(run)).map((c) => c.iteration)).toEqual([6, 4, 2]);
    // The newest that checks out (found 2).
    fs.truncateSync(path.join(run, 'checkpoints', 'iter_0000006', 'state.json'), 3);
    expect(await latestCheckpoint(run)).toBe(path.join(run, 'checkpoints', 'iter_0000004'));
    expect(await latestCheckpoint(path.join(tmp.dir, 'no-such-run'))).toBeNull();
  });

  it('replace one of the same iteration whole, and a failed write leaves the others untouched and no temporary (item 9)', async () => {
    const run = path.join(tmp.dir, 'replace');
    await save(run, 2);
    const again = await saveCheckpoint(run, 2, [part('netG.safetensors', 77, 10)], { iteration: 2 }, { keep: 3, logger: quiet });
    expect(fs.readdirSync(again).sort()).toEqual([MANIFEST_FILE, 'netG.safetensors', 'state.json']);
    expect(await checkCheckpoint(again, 2)).toEqual({ status: 'complete', iteration: 2 });
    const before = fs.readdirSync(path.join(run, 'checkpoints')).sort();
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const failing: CheckpointPart = { file: 'netD0.safetensors', save: async (p) => { fs.writeFileSync(p, 'partial'); throw full; } };
    await expect(saveCheckpoint(run, 4, [part('netG.safetensors', 1), failing], { iteration: 4 }, { keep: 1, logger: quiet })).rejects.toMatchObject({
      code: 'ERR_FILE', message: `cannot write the checkpoint ${path.join(run, 'checkpoints', 'iter_0000004')}: ENOSPC: no space left on device, write`,
    });
    expect(fs.readdirSync(path.join(run, 'checkpoints')).sort()).toEqual(before);
    expect(await checkCheckpoint(again, 2)).toEqual({ status: 'complete', iteration: 2 });
  });

  it('keep the newest K plus the best-scored (item 10)', async () => {
    const run = path.join(tmp.dir, 'retention');
    const scores: Record<number, number> = { 1: 0.2, 2: 0.9, 3: 0.4, 4: 0.5, 5: 0.1 };
    for (let it = 1; it <= 5; it++) await save(run, it, { score: { name: 'R-precision', value: scores[it], higherIsBetter: true } }, 2);
    expect((await listCheckpoints(run)).map((c) => c.iteration)).toEqual([5, 4, 2]);
    // Unscored checkpoints: the newest K alone.
    const plain = path.join(tmp.dir, 'retention-plain');
    for (let it = 1; it <= 4; it++) await save(plain, it, {}, 3);
    expect((await listCheckpoints(plain)).map((c) => c.iteration)).toEqual([4, 3, 2]);

    const c = (iteration: number, value?: number, higherIsBetter = false) => ({ name: checkpointName(iteration), iteration, score: value === undefined ? null : { name: 'FID', value, higherIsBetter } });
    const all = [c(1, 30), c(2, 20), c(3, 25), c(4), c(5, Number.NaN)];
    expect(bestCheckpoint(all)?.iteration).toBe(2);  // lower is better
    expect(checkpointsToPrune(all, 2).map((x) => x.iteration)).toEqual([1, 3]);
    expect(checkpointsToPrune([c(1, 0.5, true), c(2, 0.5, true), c(3)], 1).map((x) => x.iteration)).toEqual([1]);  // a tie goes to the newer
  });

  it('left half-done by a killed writer are settled at the next start (item 4)', async () => {
    const run = path.join(tmp.dir, 'settle');
    const root = path.join(run, 'checkpoints');
    await save(run, 2);
    const dead = deadPid();
    expect(writerAlive(dead)).toBe(false);
    expect(writerAlive(process.ppid)).toBe(true);
    // A complete folder the killed run had not yet renamed, a half-written one, an older
    // build's leftover, a stray file, and a live writer's folder.
    const complete = await save(path.join(tmp.dir, 'source'), 4);
    const completeTmp = path.join(root, `.iter_0000004.${dead}.0badf00d.tmp`);
    fs.cpSync(complete, completeTmp, { recursive: true });
    const halfTmp = path.join(root, `.iter_0000006.${dead}.deadbeef.tmp`);
    fs.mkdirSync(halfTmp);
    fs.writeFileSync(path.join(halfTmp, 'netG.safetensors'), 'half');
    const legacy = path.join(root, `.iter_0000008.tmp-${dead}`);
    fs.mkdirSync(legacy);
    const stray = path.join(root, `.latest.json.${dead}.12345678.tmp`);
    fs.writeFileSync(stray, '{');
    const live = path.join(root, `.iter_0000010.${process.ppid}.aaaaaaaa.tmp`);
    fs.mkdirSync(live);
    await settleCheckpoints(run, quiet);
    expect(fs.readdirSync(root).sort()).toEqual([path.basename(live), 'iter_0000002', 'iter_0000004', 'latest.json']);
    expect(await checkCheckpoint(path.join(root, 'iter_0000004'), 4)).toEqual({ status: 'complete', iteration: 4 });

    const other = path.join(tmp.dir, 'stale-files');
    fs.mkdirSync(other);
    const names = [`.config.json.${dead}.0123abcd.tmp`, `text_encoder.safetensors.pending.tmp-${dead}-48879`, `.metrics.jsonl.${process.ppid}.0123abcd.tmp`, 'config.json', '.hidden'];
    for (const n of names) fs.writeFileSync(path.join(other, n), 'x');
    expect((await removeStaleTemps([other, path.join(tmp.dir, 'missing')])).sort()).toEqual([path.join(other, names[0]), path.join(other, names[1])].sort());
    expect(fs.readdirSync(other).sort()).toEqual(names.slice(2).sort());
    expect(tempOwner(path.basename(tempPathFor('/x/state.json')))).toEqual({ final: 'state.json', pid: process.pid });
  });
});

describe('metrics.jsonl rewound to a checkpoint (item 4)', () => {
  it('drops the iterations after it, the epochs it has not closed and a partial line; returns the open epoch', async () => {
    const file = path.join(tmp.dir, 'metrics.jsonl');
    const lines = [
      { type: 'pretrain', phase: 'stream', epoch: 1 },
      ...[1, 2, 3, 4].map((i) => ({ type: 'iteration', iteration: i, epoch: 0, loss: { D0: i, G_total: 10 * i } })),
      { type: 'epoch', epoch: 0, iteration: 4, loss: { D0: 2.5 } },
      ...[5, 6, 7].map((i) => ({ type: 'iteration', iteration: i, epoch: 1, loss: { D0: i, G_total: 10 * i } })),
      { type: 'checkpoint_error', iteration: 7, message: 'disk full' },
    ].map((r) => JSON.stringify(r));
    fs.writeFileSync(file, `${lines.join('\n')}\n{"type":"iteration","itera`);
    const open = await rewindMetrics(file, { iteration: 6, epoch: 1 });
    expect(open).toEqual({ sums: { D0: 11, G_total: 110 }, count: 2 });
    expect(fs.readFileSync(file, 'utf8')).toBe(`${lines.slice(0, 8).join('\n')}\n`);
    // Back to an unclosed epoch 0 at iteration 4: its epoch record goes too.
    expect(await rewindMetrics(file, { iteration: 4, epoch: 0 })).toEqual({ sums: { D0: 10, G_total: 100 }, count: 4 });
    expect(fs.readFileSync(file, 'utf8')).toBe(`${lines.slice(0, 5).join('\n')}\n`);
    expect(await rewindMetrics(path.join(tmp.dir, 'none.jsonl'), { iteration: 0, epoch: 0 })).toEqual({ sums: {}, count: 0 });
  });
});
