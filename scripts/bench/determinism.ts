// SPDX-License-Identifier: MIT
/**
 * Cost of `train.deterministic`: seconds per GAN iteration of the cpu preset (two stages, batch
 * 16, real OpenMoji batches through the DataLoader, no STREAM captioner or DAMSM term) with the
 * mode off and on, in interleaved rounds so that load on the machine hits both alike. Prints the
 * median of each and the ratio with its range over rounds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeInfo, setDeterministic } from '../../lib/runtime.js';
import { openMojiOptionsOf, resolveConfig } from '../../src/config/index.js';
import { textEncoderOptions } from '../../src/config/module_options.js';
import { loadDataset, type LoadedDataset } from '../../src/data/index.js';
import { TextEncoder } from '../../src/stem/index.js';
import { GanTrainer } from '../../src/train/gan_trainer.js';

const kRounds = 6;
const kIterations = 12;
const kEmoji = 200;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Seconds per iteration over iterations 3..kIterations (after start-up and the first sample grid). */
async function secondsPerIteration(data: LoadedDataset, deterministic: boolean): Promise<number> {
  const config = resolveConfig({ preset: 'cpu', set: ['train.streamWeight=0', 'train.damsmWeight=0', `train.maxIterations=${kIterations}`, 'train.sampleInterval=1000000', 'train.snapshotInterval=1000000'] });
  const runDir = await mkdtemp(join(tmpdir(), 'mg-bench-det-'));
  const trainer = await GanTrainer.create({
    config, runDir, progress: false, deps: { textEncoder: new TextEncoder(textEncoderOptions(config, data.vocabulary.size)), vocabulary: data.vocabulary, train: data.train },
  });
  const at: number[] = [];
  setDeterministic(deterministic);
  try {
    await trainer.run({ onIteration: () => void at.push(performance.now()) }, { progress: false });
  } finally {
    setDeterministic(false);
    trainer.dispose();
    await rm(runDir, { recursive: true, force: true });
  }
  return ((at[kIterations - 1] as number) - (at[1] as number)) / 1000 / (kIterations - 2);
}

export async function benchDeterminism(): Promise<void> {
  const cpu = resolveConfig({ preset: 'cpu' });
  const data = await loadDataset({ dataset: 'openmoji', openmoji: { ...openMojiOptionsOf(cpu.dataset), limit: kEmoji }, imageSize: 128, progress: false, logger: { warn() {}, info() {} } });
  try {
    process.stdout.write(`train.deterministic: GAN iterations of the cpu preset (no STREAM/DAMSM term, ${kEmoji} emoji), ${runtimeInfo().numThreads} threads, ${kRounds} interleaved rounds\n`);
    const off: number[] = [];
    const on: number[] = [];
    for (let r = 0; r < kRounds; r++) {
      for (const mode of r % 2 === 0 ? [false, true] : [true, false]) (mode ? on : off).push(await secondsPerIteration(data, mode));
    }
    const ratios = on.map((s, i) => s / (off[i] as number));
    process.stdout.write(`  off ${median(off).toFixed(3)} s/it  (${off.map((s) => s.toFixed(3)).join(', ')})\n`);
    process.stdout.write(`  on  ${median(on).toFixed(3)} s/it  (${on.map((s) => s.toFixed(3)).join(', ')})\n`);
    process.stdout.write(`  on/off ${(median(on) / median(off)).toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})\n`);
  } finally {
    await data.close();
  }
}
