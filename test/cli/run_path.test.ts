// SPDX-License-Identifier: MIT
// What a `--run` path names, decided in one place (src/model/run_path.ts).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captionerDirOf, requireCheckpoint, resolveRunPath, runFolderOf } from '../../src/model/run_path.js';
import { tempFolder } from './helpers.js';

const tmp = tempFolder('mg-run-path-');
afterAll(() => tmp.remove());

const run = path.join(tmp.dir, 'run');
const ckpt = (n: number) => path.join(run, 'checkpoints', `iter_${String(n).padStart(7, '0')}`);
const captioner = path.join(tmp.dir, 'captioner');
const fresh = path.join(tmp.dir, 'fresh-run');

beforeAll(() => {
  for (const n of [2, 4]) {
    fs.mkdirSync(ckpt(n), { recursive: true });
    fs.writeFileSync(path.join(ckpt(n), 'state.json'), JSON.stringify({ iteration: n }));
  }
  fs.writeFileSync(path.join(run, 'checkpoints', 'latest.json'), JSON.stringify({ checkpoint: 'iter_0000004', iteration: 4 }));
  fs.writeFileSync(path.join(run, 'config.json'), '{}');
  fs.mkdirSync(captioner);
  fs.writeFileSync(path.join(captioner, 'captioner.json'), '{}');
  fs.mkdirSync(path.join(fresh, 'checkpoints'), { recursive: true });
  fs.writeFileSync(path.join(fresh, 'config.json'), '{}');
});

describe('resolveRunPath', () => {
  it('a run folder yields its latest checkpoint', async () => {
    expect(await resolveRunPath(run)).toEqual({ kind: 'run', runDir: run, checkpointDir: ckpt(4), configFile: path.join(run, 'config.json'), captionerDir: null, modelDir: null });
  });

  it('a checkpoint folder yields itself and the run two levels up', async () => {
    expect(await resolveRunPath(ckpt(2))).toEqual({ kind: 'checkpoint', runDir: run, checkpointDir: ckpt(2), configFile: path.join(run, 'config.json'), captionerDir: null, modelDir: null });
    // Relative paths and trailing slashes name the same folder.
    const rel = path.relative(process.cwd(), ckpt(2)) + path.sep;
    expect((await resolveRunPath(rel)).checkpointDir).toBe(ckpt(2));
  });

  it('a captioner folder only where the caller accepts one', async () => {
    const found = await resolveRunPath(captioner, { accept: ['run', 'checkpoint', 'captioner'] });
    expect(found).toMatchObject({ kind: 'captioner', runDir: null, captionerDir: captioner });
    expect(captionerDirOf(found, '')).toBe(captioner);
    await expect(resolveRunPath(captioner, { name: '--run' })).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: `Expected a run folder (with config.json and checkpoints/, written by \`mirrorgan train\`) or a checkpoint folder (<run>/checkpoints/iter_N, with state.json) for --run but ${captioner} is a captioner folder (with captioner.json, written by \`mirrorgan pretrain-stream\`)`,
    });
  });

  it("a run's captioner is train.captioner, else <run>/stream", async () => {
    const found = await resolveRunPath(ckpt(4));
    expect(captionerDirOf(found, '')).toBe(path.join(run, 'stream'));
    expect(captionerDirOf(found, 'elsewhere/cap')).toBe('elsewhere/cap');
  });

  it('names what was expected for anything else', async () => {
    const expected = /^Expected a run folder .* or a checkpoint folder .* for run but /;
    await expect(resolveRunPath(path.join(tmp.dir, 'nope'))).rejects.toMatchObject({ code: 'ERR_FILE', message: expect.stringMatching(/ does not exist$/) });
    await expect(resolveRunPath(path.join(run, 'config.json'))).rejects.toMatchObject({ code: 'ERR_FILE', message: expect.stringMatching(/config\.json is a file$/) });
    await expect(resolveRunPath(path.join(run, 'checkpoints'))).rejects.toMatchObject({ code: 'ERR_FILE', message: expect.stringMatching(expected) });
    await expect(resolveRunPath('')).rejects.toMatchObject({ code: 'ERR_FILE' });
    // A checkpoint folder copied out of its run has no configuration to build the model from.
    const lone = path.join(tmp.dir, 'copied', 'checkpoints', 'iter_0000002');
    fs.cpSync(ckpt(2), lone, { recursive: true });
    await expect(resolveRunPath(lone)).rejects.toMatchObject({ code: 'ERR_FILE', message: expect.stringContaining('its run folder') });
  });

  it('a run without checkpoints yet resolves, and requireCheckpoint says what is missing', async () => {
    const found = await resolveRunPath(fresh);
    expect(found.checkpointDir).toBeNull();
    expect(() => requireCheckpoint(found, fresh)).toThrow(/holds no checkpoint yet/);
    expect(requireCheckpoint(await resolveRunPath(run), run)).toBe(ckpt(4));
  });

  it('runFolderOf: the run above a checkpoint folder, anything else unchanged (report reads runs still pretraining)', async () => {
    expect(await runFolderOf(ckpt(2))).toBe(run);
    expect(await runFolderOf(run)).toBe(run);
    expect(await runFolderOf('not/a/run')).toBe('not/a/run');
  });
});
