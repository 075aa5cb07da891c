// SPDX-License-Identifier: MIT
// Time per MirrorGAN training iteration (D updates + G update + EMA) at the CPU preset and at
// the official birds config, on synthetic batches so the loader is not measured.
import { manualSeed, runtimeInfo } from '../../lib/index.js';
import { resolveConfig, type MirrorGANConfig } from '../../src/config/index.js';
import type { Batch, Dataset } from '../../src/data/index.js';
import { TextEncoder } from '../../src/stem/index.js';
import { Vocabulary } from '../../src/text/index.js';
import { GanTrainer } from '../../src/train/gan_trainer.js';
import os from 'node:os';
import path from 'node:path';

/** The official code trains one birds iteration (3 stages, batch 10) in 20.98 s on this machine. */
export const OFFICIAL_BIRDS_SECONDS = 20.98;

export function syntheticBatch(c: MirrorGANConfig, sizes: number[], nWords: number, seed: number): Batch {
  const B = c.train.batchSize;
  const W = c.text.wordsNum;
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const lengths = Int32Array.from({ length: B }, () => 3 + Math.floor(rnd() * (W - 3))).sort().reverse();
  const captions = new Int32Array(B * W);
  for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) captions[b * W + t] = 1 + Math.floor(rnd() * (nWords - 1));
  return {
    epoch: 0, step: 0, batchSize: B, wordsNum: W, imageSizes: sizes,
    images: sizes.map((sz) => Float32Array.from({ length: B * 3 * sz * sz }, () => rnd() * 2 - 1)),
    captions, captionLengths: lengths, maxLength: lengths[0], classIds: Int32Array.from({ length: B }, (_, i) => i),
    keys: [], indices: new Int32Array(B), captionIndices: new Int32Array(B), order: new Int32Array(B),
  } satisfies Batch;
}

/** A trainer on a 500-word vocabulary and no dataset, fed with syntheticBatch(). */
export async function benchTrainer(config: MirrorGANConfig): Promise<{ trainer: GanTrainer; nWords: number }> {
  manualSeed(0);
  const vocab = Vocabulary.fromWords(['<end>', ...Array.from({ length: 499 }, (_, i) => `w${i}`)]);
  const textEncoder = new TextEncoder({ nTokens: vocab.size });
  const fakeData = { size: 0 } as unknown as Dataset;
  const trainer = await GanTrainer.create({ config, runDir: path.join(os.tmpdir(), 'mg-bench-gan'), deps: { textEncoder, vocabulary: vocab, train: fakeData }, progress: false });
  return { trainer, nWords: vocab.size };
}

export async function timeIteration(config: MirrorGANConfig, iterations: number): Promise<{ seconds: number; losses: Record<string, number> }> {
  const { trainer, nWords } = await benchTrainer(config);
  const vocab = { size: nWords };
  const sizes = trainer.netG.sizes;
  await trainer.step(syntheticBatch(config, sizes, vocab.size, 1));  // warm-up
  const t0 = performance.now();
  let losses: Record<string, number> = {};
  for (let i = 0; i < iterations; i++) losses = await trainer.step(syntheticBatch(config, sizes, vocab.size, 2 + i));
  trainer.dispose();
  return { seconds: (performance.now() - t0) / 1000 / iterations, losses };
}

export async function benchGan(): Promise<void> {
  const info = runtimeInfo();
  process.stdout.write(`GAN iteration (text encoding + G forward + D steps + G step + EMA; no STREAM captioner), ${info.numThreads} threads, ${info.blas.name}\n`);
  const cpu = resolveConfig({ preset: 'cpu' });
  const r1 = await timeIteration(cpu, 5);
  process.stdout.write(`  cpu preset   (2 stages 64/128, GF ${cpu.gan.gfDim}, DF ${cpu.gan.dfDim}, batch ${cpu.train.batchSize}): ${r1.seconds.toFixed(2)} s/it\n`);
  for (const batch of [10, 12]) {
    const birds = resolveConfig({ preset: 'birds', set: ['dataset.root=/dev/null', `train.batchSize=${batch}`] });
    const r = await timeIteration(birds, 2);
    const ratio = OFFICIAL_BIRDS_SECONDS / r.seconds;
    process.stdout.write(`  birds config (3 stages, GF 32, DF 64, batch ${batch}): ${r.seconds.toFixed(2)} s/it` +
      (batch === 10 ? `   official PyTorch ${OFFICIAL_BIRDS_SECONDS} s/it -> ${ratio.toFixed(2)}x (goal >= 1.5x)` : '') + '\n');
  }
}
