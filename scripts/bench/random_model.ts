// SPDX-License-Identifier: MIT
// A model folder with freshly initialised weights at a preset's architecture, for benchmarks
// of generation speed (which does not depend on what the weights learned).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { manualSeed } from '../../lib/index.js';
import { generatorOptions, resolveConfig, textEncoderOptions } from '../../src/config/index.js';
import { Generator } from '../../src/glam/index.js';
import { writeModelFolder } from '../../src/model/model_folder.js';
import { TextEncoder } from '../../src/stem/index.js';
import { Vocabulary } from '../../src/text/index.js';

/** Words of the benchmark vocabulary (the captions the benchmarks use, and 500 fillers). */
export const BENCH_WORDS = ['<end>', 'a', 'red', 'heart', 'blue', 'circle', 'with', 'face', ...Array.from({ length: 500 }, (_, i) => `w${i}`)];

/**
 * A model folder for `preset` with `branchNum` stages (64, 128 or 256 px) under a temporary
 * folder; `remove()` deletes it.
 */
export async function randomModel(preset: string, branchNum: number): Promise<{ dir: string; remove: () => void }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-bench-model-'));
  const config = resolveConfig({ preset, set: [`tree.branchNum=${branchNum}`, ...(preset === 'openmoji' || preset === 'cpu' ? [] : ['dataset.root=/dev/null'])] });
  const vocabulary = Vocabulary.fromWords(BENCH_WORDS);
  manualSeed(0);
  const textEncoder = new TextEncoder(textEncoderOptions(config, vocabulary.size));
  const generator = new Generator(generatorOptions(config));
  const files = { textEncoder: path.join(root, 'e.safetensors'), generator: path.join(root, 'g.safetensors') };
  await textEncoder.save(files.textEncoder);
  await generator.save(files.generator);
  textEncoder.dispose();
  generator.dispose();
  const dir = path.join(root, 'model');
  await writeModelFolder(dir, { config, vocabulary, ...files, captioner: null }, {
    name: `bench-${preset}-${branchNum}`, training: { source: 'fresh weights (benchmark)', iteration: null, command: null }, dtype: 'float32', mirrorganVersion: 'bench',
  });
  return { dir, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}
