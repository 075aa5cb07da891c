// SPDX-License-Identifier: MIT
/**
 * What a GAN checkpoint folder holds, file by file: G, G's moving average, every stage's D and
 * the optimizers (safetensors), and the vocabulary; written by GanTrainer.checkpoint() through
 * src/train/checkpoint.ts and read back by GanTrainer.restore().
 */
import path from 'node:path';
import type { Module } from '../../lib/module.js';
import type { Adam } from '../../lib/optim.js';
import type { Vocabulary } from '../text/index.js';
import { readState, type CheckpointPart } from './checkpoint.js';

/** The networks and optimizers of a GAN run (GanTrainer's public fields). */
export interface GanNetworks {
  netG: Module;
  netGEma: Module;
  optimizerG: Adam;
  netsD: readonly Module[];
  optimizersD: readonly Adam[];
}

/** Where in training a checkpoint was taken (its state.json). */
export interface GanPosition {
  iteration: number;
  epoch: number;
  stepInEpoch: number;
}

/** The files of a GAN checkpoint. */
export function ganCheckpointParts(n: GanNetworks, vocabulary: Vocabulary): CheckpointPart[] {
  return [
    { file: 'netG.safetensors', save: (p) => n.netG.save(p) },
    { file: 'netG_ema.safetensors', save: (p) => n.netGEma.save(p) },
    { file: 'optimizerG.safetensors', save: (p) => n.optimizerG.save(p) },
    ...n.netsD.flatMap((d, i) => [
      { file: `netD${i}.safetensors`, save: (p: string) => d.save(p) },
      { file: `optimizerD${i}.safetensors`, save: (p: string) => (n.optimizersD[i] as Adam).save(p) },
    ]),
    { file: 'vocabulary.json', save: (p) => vocabulary.save(p) },
  ];
}

/** Loads checkpoint folder `dir` into the networks and optimizers; returns its position. */
export async function loadGanCheckpoint(n: GanNetworks, dir: string): Promise<GanPosition> {
  const state = await readState(dir);
  await n.netG.load(path.join(dir, 'netG.safetensors'));
  await n.netGEma.load(path.join(dir, 'netG_ema.safetensors'));
  await n.optimizerG.load(path.join(dir, 'optimizerG.safetensors'));
  for (let i = 0; i < n.netsD.length; i++) {
    await (n.netsD[i] as Module).load(path.join(dir, `netD${i}.safetensors`));
    await (n.optimizersD[i] as Adam).load(path.join(dir, `optimizerD${i}.safetensors`));
  }
  return { iteration: Number(state.iteration), epoch: Number(state.epoch), stepInEpoch: Number(state.stepInEpoch) };
}
