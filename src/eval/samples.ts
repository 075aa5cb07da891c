// SPDX-License-Identifier: MIT
/**
 * The images an evaluation scores, on disk: generated ones (written batch by batch, so a stopped
 * `mirrorgan eval` continues where it stopped), or a folder of the user's images with captions.
 *
 * Generated layout (`<out>/samples/`): `plan.json` (what is generated: run, checkpoint, seed,
 * batch size, the queries), `000000.png` …, and `progress.json` (`{ done }`, rewritten after each
 * batch). A rerun with the same plan continues from `done`; another plan is refused.
 *
 * A user folder holds images (`.png`, `.jpg`, `.jpeg`, `.webp`) each beside a `.txt` of the same
 * name: its first non-empty line is the caption the image answers, every line is a reference
 * caption for BLEU and CIDEr-D.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { MirrorganError } from '../../lib/errors.js';
import { tensor, type Tensor } from '../../lib/tensor.js';
import { finalImageSizeOf } from '../config/schema.js';
import { deriveSeed } from '../util/rng.js';
import type { MirrorGAN } from '../model/mirrorgan.js';
import { splitCaptionLines } from '../text/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { pathExists } from '../util/fs.js';
import type { CaptionPool, EvalQuery } from './queries.js';

export const SAMPLES_DIR = 'samples';
const PLAN_VERSION = 1;

/** What a generated sample set is made of (plan.json). */
export interface SamplePlan {
  version: number;
  run: string;
  /** Iteration of the checkpoint whose EMA generator draws the samples. */
  iteration: number;
  seed: number;
  batchSize: number;
  conditioningNoise: boolean;
  count: number;
  imageSize: number;
  /** sha1 of the queries (the captions and their pool indices), to refuse a different draw. */
  queriesHash: string;
}

/** Image files with the query each answers. */
export interface SampleSet {
  files: string[];
  queries: EvalQuery[];
  /** Side the images are scored at. */
  imageSize: number;
}

/**
 * The seed of sample 0 of an evaluation with `seed`; sample q takes the next q seeds. Below 2^31,
 * so 2^31 samples fit under the largest seed.
 */
export function sampleSeedBase(seed: number): number {
  return deriveSeed(seed, 'eval-samples') >>> 1;
}

/** Sample file `i` of a generated set. */
export function sampleFile(dir: string, i: number): string {
  return path.join(dir, SAMPLES_DIR, `${String(i).padStart(6, '0')}.png`);
}

function hashQueries(queries: readonly EvalQuery[]): string {
  const h = createHash('sha1');
  for (const q of queries) h.update(`${q.poolIndex}\u0000${q.caption}\n`);
  return h.digest('hex');
}

async function readJson<T>(file: string): Promise<T | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new MirrorganError('ERR_FILE', `${file} is not valid JSON (${(e as Error).message}); remove the folder to start over`);
  }
}

/**
 * Generates one image per query into `<dir>/samples/`, or continues a stopped generation. Sample q
 * is drawn with the noise of seed {@link sampleSeedBase}(seed) + q (model/noise.ts: a sample's noise
 * depends on its seed alone), so what a sample looks like does not depend on its batch or on
 * where a run stopped. `onBatch` reports the samples done so far.
 */
export async function generateSamples(
  dir: string, model: MirrorGAN, queries: readonly EvalQuery[],
  options: { run: string; iteration: number; seed: number; batchSize: number; conditioningNoise?: boolean; onBatch?: (done: number, total: number) => void },
): Promise<SampleSet> {
  const samplesDir = path.join(dir, SAMPLES_DIR);
  await fs.mkdir(samplesDir, { recursive: true });
  const imageSize = finalImageSizeOf(model.config);
  const plan: SamplePlan = {
    version: PLAN_VERSION, run: path.resolve(options.run), iteration: options.iteration, seed: options.seed, batchSize: options.batchSize,
    conditioningNoise: options.conditioningNoise ?? true, count: queries.length, imageSize, queriesHash: hashQueries(queries),
  };
  const planFile = path.join(samplesDir, 'plan.json');
  const old = await readJson<SamplePlan>(planFile);
  if (old) {
    const differs = (Object.keys(plan) as (keyof SamplePlan)[]).filter((k) => old[k] !== plan[k]);
    if (differs.length > 0) {
      throw new MirrorganError('ERR_INVALID_ARG',
        `${samplesDir} holds samples of another plan (${differs.map((k) => `${k} ${JSON.stringify(old[k])} here, ${JSON.stringify(plan[k])} asked`).join('; ')}); ` +
        'choose another --out or remove that folder');
    }
  } else {
    await writeJsonAtomic(planFile, plan);
  }
  const progressFile = path.join(samplesDir, 'progress.json');
  let done = (await readJson<{ done: number }>(progressFile))?.done ?? 0;
  if (!Number.isInteger(done) || done < 0 || done > queries.length || (done % options.batchSize !== 0 && done !== queries.length)) {
    throw new MirrorganError('ERR_FILE', `${progressFile} says ${done} samples are done, which this plan cannot have; remove ${samplesDir} to start over`);
  }
  options.onBatch?.(done, queries.length);
  while (done < queries.length) {
    const batch = queries.slice(done, done + options.batchSize);
    const images = await model.generate(batch.map((q) => q.caption), {
      seed: sampleSeedBase(options.seed) + done, conditioningNoise: plan.conditioningNoise, batchSize: options.batchSize,
    });
    await Promise.all(images.map((img, k) => writeFileAtomic(sampleFile(dir, done + k), img.png)));
    done += batch.length;
    await writeJsonAtomic(progressFile, { done });
    options.onBatch?.(done, queries.length);
  }
  return { files: queries.map((_, i) => sampleFile(dir, i)), queries: [...queries], imageSize };
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

/** A user folder of images with captions, and the caption pool it forms (each image a class of its own). */
export async function readImageFolder(dir: string, imageSize: number): Promise<{ set: SampleSet; pool: CaptionPool }> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((f) => IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase())).sort();
  } catch (e) {
    throw new MirrorganError('ERR_FILE', `Cannot read the image folder ${dir}: ${(e as Error).message}`);
  }
  const pool: CaptionPool = { captions: [], classes: new Int32Array(0), images: new Int32Array(0), byImage: [] };
  const classes: number[] = [];
  const files: string[] = [];
  const queries: EvalQuery[] = [];
  for (const name of names) {
    const txt = path.join(dir, `${name.slice(0, -path.extname(name).length)}.txt`);
    if (!(await pathExists(txt))) throw new MirrorganError('ERR_FILE', `${path.join(dir, name)} has no caption file ${txt}`);
    const lines = splitCaptionLines(await fs.readFile(txt, 'utf8'));
    if (lines.length === 0) throw new MirrorganError('ERR_FILE', `${txt} holds no caption`);
    const image = files.length;
    const own = lines.map((line) => {
      pool.captions.push(line);
      classes.push(image);
      return pool.captions.length - 1;
    });
    pool.byImage.push(own);
    files.push(path.join(dir, name));
    queries.push({ caption: lines[0] as string, poolIndex: own[0] as number, classId: image, image });
  }
  if (files.length < 2) throw new MirrorganError('ERR_FILE', `${dir} holds ${files.length} image(s) with captions; an evaluation needs at least 2`);
  pool.classes = Int32Array.from(classes);
  pool.images = Int32Array.from(classes);
  return { set: { files, queries, imageSize }, pool };
}

/**
 * Images `from` … `from + count − 1` of a set as one (count, 3, S, S) tensor in [-1, 1]: decoded
 * with sharp, alpha flattened on white, resized to S × S (centre crop of other aspect ratios).
 */
export async function readSampleBatch(set: SampleSet, from: number, count: number): Promise<Tensor> {
  const S = set.imageSize;
  const plane = 3 * S * S;
  const out = new Float32Array(count * plane);
  await Promise.all(Array.from({ length: count }, async (_, b) => {
    const file = set.files[from + b] as string;
    let data: Buffer;
    try {
      data = await sharp(file).flatten({ background: '#ffffff' }).removeAlpha().resize(S, S, { fit: 'cover' }).raw().toBuffer();
    } catch (e) {
      throw new MirrorganError('ERR_FILE', `Cannot read image ${file}: ${(e as Error).message}`);
    }
    for (let i = 0; i < S * S; i++) {
      for (let c = 0; c < 3; c++) out[b * plane + c * S * S + i] = (data[i * 3 + c] as number) / 127.5 - 1;
    }
  }));
  return tensor(out, [count, 3, S, S]);
}
