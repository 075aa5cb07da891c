// SPDX-License-Identifier: MIT
/**
 * The DAMSM forward pass shared by training and validation: both encoders, then the word and
 * sentence matching losses (AttnGAN pretrain_DAMSM.py `train`/`evaluate`).
 */
import { tensor, type Device, type Tensor } from '../../../lib/tensor.js';
import type { Batch } from '../../data/loader.js';
import { damsmSentLoss, damsmWordsLossAsync, type DamsmGammaOptions } from '../damsm_loss.js';
import type { ImageEncoder } from '../image_encoder.js';
import type { TextEncoder } from '../text_encoder.js';

/** The two encoders being trained and what their loss needs. */
export interface DamsmNets {
  textEncoder: TextEncoder;
  imageEncoder: ImageEncoder;
  device: Device;
  /** Side of the images the loader yields (damsm.imageSize). */
  imageSize: number;
  gammas: DamsmGammaOptions;
  /** The AttnGAN paper's word-score form instead of the official code's. */
  paperForm: boolean;
}

function int64(a: Int32Array): BigInt64Array {
  return BigInt64Array.from(a, (v) => BigInt(v));
}

/**
 * Forward of both encoders and both losses on `batch`; every tensor made is pushed on `owned`
 * (the caller disposes them). `grad: false` builds no graph.
 */
export async function damsmForward(nets: DamsmNets, batch: Batch, owned: Tensor[], grad: boolean) {
  const B = batch.batchSize;
  const S = nets.imageSize;
  const images = tensor(batch.images[0] as Float32Array, [B, 3, S, S], { device: nets.device });
  const captions = tensor(int64(batch.captions), [B, batch.wordsNum], { dtype: 'int64', device: nets.device });
  const capLens = tensor(int64(batch.captionLengths), [B], { dtype: 'int64', device: nets.device });
  const classIds = tensor(int64(batch.classIds), [B], { dtype: 'int64', device: nets.device });
  owned.push(images, captions, capLens, classIds);
  const img = await nets.imageEncoder.encodeAsync(images, { grad });
  owned.push(img.features, img.cnnCode);  // (B, nef, h, w) regions, (B, nef) code
  const txt = await nets.textEncoder.encodeAsync(captions, capLens, { grad });
  owned.push(txt.wordsEmb, txt.sentEmb, txt.mask);  // (B, nef, T) words, (B, nef) sentence, (B, T) padding
  const w = await damsmWordsLossAsync(
    { imgFeatures: img.features, wordsEmb: txt.wordsEmb, capLens, classIds }, { ...nets.gammas, paperForm: nets.paperForm },
  );
  owned.push(w.loss0, w.loss1, w.scores);  // scores (B, B): rows images, columns captions
  const s = damsmSentLoss({ cnnCode: img.cnnCode, sentEmb: txt.sentEmb, classIds }, nets.gammas);
  owned.push(s.loss0, s.loss1, s.scores);  // scores (B, B)
  return { img, txt, w, s };
}
