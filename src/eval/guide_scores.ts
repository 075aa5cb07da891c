// SPDX-License-Identifier: MIT
/**
 * Score matrices of MirrorGAN's two guides on given images and captions: what the frozen
 * STREAM captioner and the DAMSM image encoder think of every (image, caption) pair. With the
 * probe's real emoji they show whether a guide can tell "red circle" from "red square" at all
 * ({@link probeMatching} in colour_shape_probe.ts): the generator is only pushed towards what its
 * guides see.
 */
import { invalidArg } from '../../lib/errors.js';
import { dispose, tensor, tidy, type Tensor } from '../../lib/tensor.js';
import type { ImageEncoder } from '../stem/image_encoder.js';
import type { FrozenCaptioner } from '../stream/frozen.js';
import type { Vocabulary } from '../text/vocabulary.js';

/**
 * `ce[i][j]`: the captioner's token-mean cross-entropy of caption j given image i (teacher
 * forcing, as the STREAM loss computes it). `images` is (N, 3, S, S) in [-1, 1] at the
 * captioner's input size. A caption with a word outside the vocabulary is refused.
 */
export async function captionerCrossEntropies(captioner: FrozenCaptioner, vocabulary: Vocabulary, images: Tensor, captions: readonly string[]): Promise<number[][]> {
  const N = images.shape[0] as number;
  const ce: number[][] = Array.from({ length: N }, () => new Array<number>(captions.length).fill(Number.NaN));
  const features = tidy(() => {
    captioner.encoder.eval();
    return captioner.encoder.encode(images, { grad: false });
  });
  try {
    for (let j = 0; j < captions.length; j++) {
      const { ids, unknown } = vocabulary.encodeCaption(captions[j] as string);
      if (unknown.length > 0) throw invalidArg(`captions[${j}]`, 'a caption in the captioner\'s vocabulary', captions[j]);
      const L = ids.length;
      // Every row gets the same caption, so all lengths are equal and the packed (time-major)
      // rows are step t of image i at t·N + i.
      const row = new BigInt64Array(N * L);
      for (let i = 0; i < N; i++) for (let t = 0; t < L; t++) row[i * L + t] = BigInt(ids[t] as number);
      const forced = tidy(() => captioner.decoder.teacherForce(features, tensor(row, [N, L]), tensor(new BigInt64Array(N).fill(BigInt(L)), [N]), { grad: false }));
      try {
        const logits = (await forced.logits.data()) as Float32Array;
        const targets = (await forced.targets.data()) as BigInt64Array;
        const V = forced.logits.shape[1] as number;
        const steps = (forced.targets.shape[0] as number) / N;
        for (let i = 0; i < N; i++) {
          let sum = 0;
          for (let t = 0; t < steps; t++) {
            const r = t * N + i;
            let max = -Infinity;
            for (let v = 0; v < V; v++) max = Math.max(max, logits[r * V + v] as number);
            let z = 0;
            for (let v = 0; v < V; v++) z += Math.exp((logits[r * V + v] as number) - max);
            sum += max + Math.log(z) - (logits[r * V + Number(targets[r])] as number);
          }
          (ce[i] as number[])[j] = sum / steps;
        }
      } finally {
        dispose(forced);
      }
    }
  } finally {
    dispose(features);
  }
  return ce;
}

/**
 * `s[i][j]`: DAMSM's sentence score of image i and caption j, the cosine of the image's global
 * code and the caption's sentence feature (`sentences[j]`, e.g. `MirrorGAN.sentenceFeatures`).
 */
export async function damsmSentenceScores(imageEncoder: ImageEncoder, images: Tensor, sentences: readonly Float32Array[]): Promise<number[][]> {
  const code = tidy(() => {
    imageEncoder.eval();
    return imageEncoder.encode(images, { grad: false }).cnnCode;
  });
  const D = code.shape[1] as number;
  const data = (await code.data()) as Float32Array;
  dispose(code);
  sentences.forEach((s, j) => {
    if (s.length !== D) throw invalidArg(`sentences[${j}]`, `a sentence feature of ${D} values (the image code's width)`, s.length);
  });
  const norm = (a: ArrayLike<number>, off: number): number => {
    let n = 0;
    for (let k = 0; k < D; k++) n += (a[off + k] as number) ** 2;
    return Math.sqrt(n);
  };
  const N = images.shape[0] as number;
  return Array.from({ length: N }, (_, i) => {
    const ni = norm(data, i * D);
    return sentences.map((s) => {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += (data[i * D + k] as number) * (s[k] as number);
      const d = ni * norm(s, 0);
      return d > 0 ? dot / d : 0;
    });
  });
}
