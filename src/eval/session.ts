// SPDX-License-Identifier: MIT
/**
 * One evaluation of a set of images: batches of images (generated or read back from disk) with
 * the queries they answer go in, {@link MetricResult}s come out. The same code serves
 * `mirrorgan eval` (samples read from PNG) and the small evaluations during training (samples
 * straight from the generator), so both compute every metric the same way.
 *
 * Per batch it keeps only what the metrics need: DAMSM image codes (R-precision, DAMSM FID/KID),
 * the captioner's re-descriptions (BLEU, CIDEr-D), Inception class probabilities folded into the
 * IS accumulator, and FID Inception pool3 features (FID/KID). The real-image side of FID and KID
 * comes from the reference cache (reference.ts) when the session finishes.
 */
import { MirrorganError } from '../../lib/errors.js';
import { dispose, tensor, tidy, type Tensor } from '../../lib/tensor.js';
import type { Dataset } from '../data/types.js';
import type { MirrorGANConfig } from '../config/schema.js';
import type { ImageEncoder } from '../stem/image_encoder.js';
import { corpusBleu } from '../stream/bleu.js';
import type { FrozenCaptioner } from '../stream/frozen.js';
import type { Vocabulary } from '../text/vocabulary.js';
import { tokenize } from '../text/tokenizer.js';
import { ciderD } from './cider.js';
import { ActivationStatistics, frechetDistance } from './frechet.js';
import type { FidInceptionV3, InceptionV3 } from './inception.js';
import { InceptionScoreAccumulator, IS_SPLITS } from './inception_score.js';
import { kernelInceptionDistance } from './kid.js';
import { metricResult, type MetricName, type MetricResult } from './metrics.js';
import type { CaptionPool, EvalQuery } from './queries.js';
import { referenceFeatures, type FeatureNetwork } from './reference.js';
import { rPrecision } from './r_precision.js';

/** The networks a session scores with; each is needed by some metrics only. */
export interface EvalNetworks {
  /** The run's DAMSM image encoder and an id of its weights (R-precision, DAMSM FID/KID). */
  damsm?: { encoder: ImageEncoder; id: string };
  /** The STREAM captioner (BLEU, CIDEr-D). */
  captioner?: FrozenCaptioner;
  /** torchvision Inception-v3 (IS). */
  inception?: InceptionV3;
  /** pytorch-fid's FID Inception and an id of its weights (FID, KID). */
  fidInception?: { net: FidInceptionV3; id: string };
}

/** What a session needs of the run: a loaded `MirrorGAN` is one. */
export interface EvalModel {
  config: MirrorGANConfig;
  /** Decodes the captioner's re-descriptions. */
  vocabulary: Vocabulary;
  /** STEM's sentence features of captions (R-precision's side of the captions). */
  sentenceFeatures(captions: string[]): Promise<Float32Array[]>;
}

export interface EvalSessionOptions {
  model: EvalModel;
  pool: CaptionPool;
  /** Metrics to compute; `probe` is not a per-image metric and is ignored here. */
  metrics: readonly MetricName[];
  networks: EvalNetworks;
  /** Images that will be added (the IS splits are cut by position). */
  total: number;
  imageSize: number;
  /** Real images of the FID / KID reference, and where they come from (for the cache key). */
  reference?: { split: Dataset; source: string; cacheDir?: string; onBatch?: (done: number, total: number) => void };
  rPrecision?: { candidates?: number; groups?: number; seed?: number };
  kid?: { subsets?: number; subsetSize?: number; seed?: number };
  isSplits?: number;
  /** Images per network call inside a batch (memory bound). Default 50. */
  chunk?: number;
}

/** What a metric needs that a session may lack. */
function need(ok: unknown, metric: string, what: string): void {
  if (!ok) throw new MirrorganError('ERR_INVALID_ARG', `metric ${metric} needs ${what}`);
}

export class EvalSession {
  readonly #o: EvalSessionOptions;
  readonly #wants: Set<MetricName>;
  #count = 0;
  #sentences: Float32Array | null = null;  // pool sentence features (R-precision)
  readonly #queries: EvalQuery[] = [];
  readonly #damsmCodes: Float32Array[] = [];
  readonly #damsmStats: ActivationStatistics | null = null;
  readonly #hypotheses: string[][] = [];
  readonly #is: InceptionScoreAccumulator | null = null;
  readonly #fidStats: ActivationStatistics | null = null;
  readonly #fidFeatures: Float32Array[] = [];

  private constructor(o: EvalSessionOptions) {
    this.#o = o;
    this.#wants = new Set(o.metrics.filter((m) => m !== 'probe'));
    const n = o.networks;
    const w = (m: MetricName) => this.#wants.has(m);
    if (w('r_precision') || w('fid_damsm') || w('kid_damsm')) need(n.damsm, 'r_precision/fid_damsm/kid_damsm', 'the DAMSM image encoder');
    if (w('bleu') || w('cider_d')) need(n.captioner, 'bleu/cider_d', 'a STREAM captioner');
    if (w('is')) need(n.inception, 'is', 'the torchvision Inception-v3');
    if (w('fid') || w('kid')) need(n.fidInception, 'fid/kid', 'the FID Inception');
    if (w('fid_damsm') || w('fid') || w('kid_damsm') || w('kid')) need(o.reference, 'fid/kid', 'the real images of the reference split');
    if (w('fid_damsm') || w('kid_damsm')) this.#damsmStats = new ActivationStatistics(this.#damsmDim());
    if (w('is')) this.#is = new InceptionScoreAccumulator(o.total, 1000, o.isSplits ?? IS_SPLITS);
    if (w('fid') || w('kid')) this.#fidStats = new ActivationStatistics(2048);
  }

  /** Checks what the metrics need and encodes the caption pool once (R-precision). */
  static async create(o: EvalSessionOptions): Promise<EvalSession> {
    const s = new EvalSession(o);
    if (s.#wants.has('r_precision')) {
      const rows = await o.model.sentenceFeatures(o.pool.captions);
      const d = rows[0]!.length;
      s.#sentences = new Float32Array(rows.length * d);
      rows.forEach((r, i) => s.#sentences!.set(r, i * d));
    }
    return s;
  }

  #damsmDim(): number {
    return this.#o.model.config.text.embeddingDim;
  }

  get count(): number {
    return this.#count;
  }

  /** Scores one batch: `images` (B, 3, S, S) in [-1, 1], row b answering `queries[b]`. */
  async add(images: Tensor, queries: readonly EvalQuery[]): Promise<void> {
    const B = images.shape[0] as number;
    if (queries.length !== B) throw new MirrorganError('ERR_INVALID_ARG', `Expected ${B} queries (one per image) but received ${queries.length}`);
    if (this.#count + B > this.#o.total) throw new MirrorganError('ERR_INVALID_ARG', `Expected at most ${this.#o.total} images in this evaluation`);
    const chunk = this.#o.chunk ?? 50;
    for (let from = 0; from < B; from += chunk) {
      const n = Math.min(chunk, B - from);
      const part = n === B ? images : tidy(() => images.indexSelect(0, rowIndex(from, n)));
      try {
        await this.#addChunk(part, n);
      } finally {
        if (part !== images) part.dispose();
      }
    }
    this.#queries.push(...queries);
    this.#count += B;
  }

  async #addChunk(images: Tensor, n: number): Promise<void> {
    const nets = this.#o.networks;
    const w = (m: MetricName) => this.#wants.has(m);
    if (nets.damsm && (w('r_precision') || w('fid_damsm') || w('kid_damsm'))) {
      const code = tidy(() => nets.damsm!.encoder.eval().encode(images, { grad: false, checkFinite: false }).cnnCode);  // (n, nef)
      const data = (await code.data()) as Float32Array;
      code.dispose();
      this.#damsmCodes.push(data);
      this.#damsmStats?.add(data, n);
    }
    if (nets.captioner && (w('bleu') || w('cider_d'))) {
      for (const c of nets.captioner.describe(images, this.#o.model.vocabulary)) this.#hypotheses.push(tokenize(c));
    }
    if (nets.inception && w('is')) {
      const { logits } = nets.inception.classifyImages(images);  // (n, 1000)
      this.#is!.addLogits((await logits.data()) as Float32Array, n);
      dispose(logits);
    }
    if (nets.fidInception && (w('fid') || w('kid'))) {
      const { pool } = nets.fidInception.net.featuresOfImages(images);  // (n, 2048)
      const data = (await pool.data()) as Float32Array;
      dispose(pool);
      this.#fidStats!.add(data, n);
      if (w('kid')) this.#fidFeatures.push(data);
    }
  }

  /** The metrics of everything added. */
  async finish(): Promise<MetricResult[]> {
    const o = this.#o;
    const n = this.#count;
    if (n < 2) throw new MirrorganError('ERR_INVALID_ARG', `an evaluation needs at least 2 images; ${n} were added`);
    const w = (m: MetricName) => this.#wants.has(m);
    const out: MetricResult[] = [];
    const d = this.#damsmDim();
    const damsmCodes = w('r_precision') || w('kid_damsm') ? concat(this.#damsmCodes) : null;
    if (w('r_precision')) {
      const r = rPrecision(damsmCodes!, this.#sentences!, d, this.#queries.map((q) => q.poolIndex), o.pool.classes, this.#queries.map((q) => q.classId), o.rPrecision);
      out.push(metricResult('r_precision', r.mean, r.queries, {
        std: r.std, label: `R-precision (top-1 of ${r.candidates})`,
        details: { topK: r.topK, candidates: r.candidates, groups: r.groups, used: r.used, pool: o.pool.captions.length },
      }));
    }
    if (w('fid_damsm') || w('kid_damsm')) {
      const net: FeatureNetwork = {
        id: `damsm:${o.networks.damsm!.id}`, dim: d,
        features: async (images) => {
          const code = tidy(() => o.networks.damsm!.encoder.eval().encode(images, { grad: false, checkFinite: false }).cnnCode);
          const data = (await code.data()) as Float32Array;
          code.dispose();
          return data;
        },
      };
      out.push(...(await this.#frechetAndKid(net, this.#damsmStats!, damsmCodes, 'fid_damsm', 'kid_damsm')));
    }
    if (w('bleu') || w('cider_d')) {
      const refs = this.#queries.map((q) => (o.pool.byImage[q.image] ?? [q.poolIndex]).map((i) => tokenize(o.pool.captions[i] as string)));
      if (w('bleu')) {
        const b = corpusBleu(refs, this.#hypotheses);
        out.push(metricResult('bleu', b.bleu[3], n, { details: { bleu1: b.bleu[0], bleu2: b.bleu[1], bleu3: b.bleu[2], bleu4: b.bleu[3], brevityPenalty: b.brevityPenalty, examples: this.#examples(3) } }));
      }
      if (w('cider_d')) out.push(metricResult('cider_d', ciderD(refs, this.#hypotheses).score, n));
    }
    if (w('is')) {
      const r = this.#is!.result();
      out.push(metricResult('is', r.mean, n, { std: r.std, details: { splits: r.parts.length, parts: r.parts } }));
    }
    if (w('fid') || w('kid')) {
      const net: FeatureNetwork = {
        id: `fid-inception:${o.networks.fidInception!.id}`, dim: 2048,
        features: async (images) => {
          const { pool } = o.networks.fidInception!.net.featuresOfImages(images);
          const data = (await pool.data()) as Float32Array;
          dispose(pool);
          return data;
        },
      };
      out.push(...(await this.#frechetAndKid(net, this.#fidStats!, w('kid') ? concat(this.#fidFeatures) : null, 'fid', 'kid')));
    }
    return out;
  }

  /** A few (caption, re-description) pairs for the record. */
  #examples(k: number): { caption: string; redescription: string }[] {
    return this.#queries.slice(0, k).map((q, i) => ({ caption: q.caption, redescription: (this.#hypotheses[i] ?? []).join(' ') }));
  }

  async #frechetAndKid(net: FeatureNetwork, stats: ActivationStatistics, features: Float32Array | null, fid: MetricName, kid: MetricName): Promise<MetricResult[]> {
    const o = this.#o;
    const r = o.reference!;
    const ref = await referenceFeatures(r.split, r.source, o.imageSize, net, { cacheDir: r.cacheDir, onBatch: r.onBatch });
    const reference = { images: ref.count, kept: ref.kept, split: r.split.split, cache: ref.file };
    const out: MetricResult[] = [];
    const n = this.#count;
    if (this.#wants.has(fid)) {
      const f = frechetDistance(stats.result(), ref.stats);
      out.push(metricResult(fid, f.distance, n, { details: { reference, meanTerm: f.meanTerm, traceSqrt: f.traceSqrt } }));
    }
    if (this.#wants.has(kid) && features) {
      const k = kernelInceptionDistance(features, n, ref.features, ref.kept, net.dim, o.kid);
      out.push(metricResult(kid, k.mean, n, { std: k.std, details: { reference, subsets: k.subsets, subsetSize: k.subsetSize } }));
    }
    return out;
  }

  /** Frees the native accumulators. */
  dispose(): void {
    this.#damsmStats?.dispose();
    this.#fidStats?.dispose();
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Int64 indices from, …, from + n − 1 (rows of a batch). */
function rowIndex(from: number, n: number): Tensor {
  return tensor(BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i)), [n]);
}
