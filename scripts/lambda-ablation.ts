// SPDX-License-Identifier: MIT
/**
 * The paper's λ ablation on the built-in dataset: trains the CPU preset at each λ (the first
 * run with λ > 0 pretrains STEM and STREAM; the others reuse them, so only λ differs), then
 * generates one image per test caption with each generator and tabulates
 *   - R-precision (top-1 of 100, DAMSM encoders of the base run, §7), and
 *   - BLEU-1..4 of the frozen captioner's re-descriptions against the input captions.
 *
 *   npm run ablation -- --lambdas 0,1,5,10 --iterations 600 --samples 256 --out runs/ablation
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { dispose, interpolate, tensor, tidy } from '../lib/index.js';
import { loadDataset, type LoadedDataset } from '../src/data/index.js';
import { rPrecision } from '../src/eval/r_precision.js';
import { MirrorGAN } from '../src/model/mirrorgan.js';
import { CompactImageEncoder } from '../src/stem/index.js';
import { corpusBleu, frozenCaptioner, loadCaptioner } from '../src/stream/index.js';
import { encodeCaptions, tokenize } from '../src/text/index.js';

const { values } = parseArgs({
  options: {
    lambdas: { type: 'string', default: '0,1,5,10' },
    iterations: { type: 'string', default: '600' },
    samples: { type: 'string', default: '256' },
    out: { type: 'string', default: 'runs/ablation' },
    set: { type: 'string', multiple: true, default: [] },
  },
});
const lambdas = values.lambdas!.split(',').map(Number);
if (!lambdas.length || lambdas.some((l) => !(l >= 0))) throw new Error(`--lambdas: expected comma-separated numbers >= 0, got ${values.lambdas}`);
const iterations = Number(values.iterations);
const samples = Number(values.samples);
const out = path.resolve(values.out!);

async function train(lambda: number, base: string | null): Promise<string> {
  const runDir = path.join(out, `lambda-${lambda}`);
  const set = [`train.streamWeight=${lambda}`, `train.maxIterations=${iterations}`, ...values.set!];
  if (base) set.push(`train.netE=${path.join(base, 'damsm', 'text_encoder.safetensors')}`, `train.captioner=${path.join(base, 'stream')}`);
  const done = await fs.access(path.join(runDir, 'checkpoints', 'latest.json')).then(() => true, () => false);
  if (!done) await MirrorGAN.train({ preset: 'cpu', runDir, set });
  return runDir;
}

interface Row { lambda: number; rPrecision: number; rStd: number; bleu: number[]; seconds: number }

async function evaluate(lambda: number, runDir: string, base: string, data: LoadedDataset): Promise<Row> {
  const t0 = Date.now();
  const model = await MirrorGAN.load(runDir);
  const stream = frozenCaptioner(await loadCaptioner(path.join(base, 'stream'), { vocabulary: model.vocabulary }));
  const state = JSON.parse(await fs.readFile(path.join(base, 'damsm', 'damsm_state.json'), 'utf8'));
  const imageEncoder = new CompactImageEncoder(state.imageEncoder.options);
  await imageEncoder.load(path.join(base, 'damsm', 'image_encoder.safetensors'));
  imageEncoder.eval().setRequiresGrad(false);
  const test = data.test;
  const n = Math.min(samples, test.size);
  const texts = Array.from({ length: n }, (_, i) => data.vocabulary.decode(test.captions[i][0]).join(' '));
  const classes = Int32Array.from({ length: n }, (_, i) => test.classIds[i]);
  const d = model.config.text.embeddingDim;
  const imageCodes = new Float32Array(n * d);
  const sentCodes = new Float32Array(n * d);
  const recaptions: string[][] = new Array(n);
  for (let s = 0; s < n; s += 16) {
    const batch = texts.slice(s, s + 16);
    const gen = await model.generateTensor(batch, { seed: s });
    const described = stream.describe(gen.images, model.vocabulary);
    const codes = tidy(() => imageEncoder.encode(interpolate(gen.images, imageEncoder.options.imageSize), { grad: false }).cnnCode.dataSync() as Float32Array);
    // the sentence features of the same captions (the R-precision pool)
    const enc = encodeCaptions(model.vocabulary, batch, 25);
    const T = enc.lengths[0];
    const ids = new BigInt64Array(batch.length * T);
    for (let b = 0; b < batch.length; b++) for (let t = 0; t < T; t++) ids[b * T + t] = BigInt(enc.ids[b * 25 + t]);
    const sents = tidy(() => model.textEncoder.encode(tensor(ids, [batch.length, T]), tensor(BigInt64Array.from(enc.lengths, BigInt), [batch.length]), { grad: false }).sentEmb.dataSync() as Float32Array);
    for (let k = 0; k < batch.length; k++) {
      imageCodes.set(codes.subarray(k * d, (k + 1) * d), (s + k) * d);
      sentCodes.set(sents.subarray(k * d, (k + 1) * d), (s + enc.order[k]) * d);
      recaptions[s + k] = tokenize(described[k]);
    }
    dispose(gen.images);
  }
  const r = rPrecision(imageCodes, sentCodes, d, Int32Array.from({ length: n }, (_, i) => i), classes, classes);
  const bleu = corpusBleu(texts.map((t) => [tokenize(t)]), recaptions);
  return { lambda, rPrecision: r.mean, rStd: r.std, bleu: bleu.bleu, seconds: (Date.now() - t0) / 1000 };
}

const base = await train(lambdas.find((l) => l > 0) ?? lambdas[0], null);
const runs = new Map<number, string>();
for (const l of lambdas) runs.set(l, path.basename(base) === `lambda-${l}` ? base : await train(l, base));
const baseConfig = (await MirrorGAN.load(base)).config;  // the dataset the runs trained on
const data = await loadDataset({
  dataset: baseConfig.dataset.name, root: baseConfig.dataset.root || undefined, cacheDir: baseConfig.dataset.cacheDir || undefined,
  imageSize: 64, openmoji: baseConfig.dataset.limit ? { limit: baseConfig.dataset.limit } : undefined,
});
const rows: Row[] = [];
for (const [l, dir] of runs) rows.push(await evaluate(l, dir, base, data));
await data.close();
const pct = (x: number) => (100 * x).toFixed(1);
const table = [
  `| λ | R-precision (top-1 of 100) | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 |`,
  `|---|---|---|---|---|---|`,
  ...rows.map((r) => `| ${r.lambda} | ${pct(r.rPrecision)} ± ${pct(r.rStd)} | ${r.bleu.map(pct).join(' | ')} |`),
].join('\n');
await fs.writeFile(path.join(out, 'ablation.json'), JSON.stringify({ iterations, samples, rows }, null, 1));
await fs.writeFile(path.join(out, 'ablation.md'), table + '\n');
process.stdout.write(`${table}\n\n${samples} test captions, ${iterations} GAN iterations per λ; written to ${out}/ablation.md\n`);
