// SPDX-License-Identifier: MIT
/**
 * A tiny trained run (40 OpenMoji emoji, 2 GAN iterations, DAMSM and STREAM pretrained one
 * epoch each) and model folders exported from it, made once per test process (vitest runs the
 * files in one fork) and removed when it exits. ~15 s the first time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportModel } from '../../src/model/export.js';
import type { ModelDtype } from '../../src/model/model_folder.js';
import { MirrorGAN } from '../../src/model/mirrorgan.js';

const root = path.join(os.tmpdir(), `mirrorgan-test-tiny-${process.pid}`);
let registered = false;

/** The settings of the tiny run (cpu preset: two stages, 64 and 128 px). */
export const TINY_SET = [
  `dataset.cacheDir=${path.join(root, 'cache')}`, 'dataset.limit=40', 'text.embeddingDim=32', 'text.wordsNum=8',
  'damsm.epochs=1', 'damsm.batchSize=8', 'stream.epochs=1', 'stream.batchSize=8', 'stream.hiddenSize=16', 'stream.embedSize=32',
  'gan.gfDim=4', 'gan.dfDim=4', 'gan.rNum=1', 'gan.zDim=8', 'gan.conditionDim=8', 'train.batchSize=4',
  'train.maxIterations=2', 'train.sampleInterval=2', 'train.snapshotInterval=2', 'train.seed=3',
];

function cleanupOnExit(): void {
  if (registered) return;
  registered = true;
  process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
}

/** The tiny run's folder (trained on first use). */
export async function tinyRun(): Promise<string> {
  cleanupOnExit();
  const runDir = path.join(root, 'run');
  if (!fs.existsSync(path.join(runDir, 'checkpoints', 'latest.json'))) {
    await MirrorGAN.train({ preset: 'cpu', set: TINY_SET, runDir, progress: false });
  }
  return runDir;
}

/** A model folder exported from the tiny run with `dtype` (exported on first use). */
export async function tinyModel(dtype: ModelDtype = 'float32'): Promise<string> {
  const run = await tinyRun();
  const dir = path.join(root, `model-${dtype}`);
  if (!fs.existsSync(dir)) await exportModel(run, dir, { dtype, name: `tiny-${dtype}`, mirrorganVersion: 'test' });
  return dir;
}

/** A fresh temporary folder under the tiny root (removed with it). */
export function scratchDir(prefix: string): string {
  cleanupOnExit();
  fs.mkdirSync(root, { recursive: true });
  return fs.mkdtempSync(path.join(root, `${prefix}-`));
}
