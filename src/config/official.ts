// SPDX-License-Identifier: MIT
/**
 * What the official cfg files (MirrorGAN cfg/train_bird.yml, AttnGAN's cfg/*.yml) mean here,
 * where it takes more than a field-to-field rename (schema.ts FIELDS holds those):
 *
 * - **Which preset.** A file with `CONFIG_NAME` or `DATASET_NAME` at its top level is an official
 *   cfg file (every upstream yml has both; this project's own files use `preset:` and dotted
 *   lower-case keys). Unless `--preset` or an earlier file chose one, it starts from the preset
 *   of its dataset: `birds` (also upstream's default DATASET_NAME) or `coco`. A file of
 *   overrides that merely uses official names (`TRAIN: {BATCH_SIZE: 8}`) applies on top of the
 *   preset as before.
 * - **CAP.caption_cnn_path / CAP.caption_rnn_path** (the frozen STREAM captioner) name two files
 *   of one folder; here a captioner is that folder (cnn_encoder.safetensors,
 *   rnn_decoder.safetensors, vocabulary.json, captioner.json), so both together set
 *   `train.captioner` to it. Whether the folder really holds a captioner of this project's
 *   format (official .ckpt files need converting first) is checked where it is used.
 */
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';

const MARKERS = ['CONFIG_NAME', 'DATASET_NAME'] as const;

/** Upstream DATASET_NAME values with a preset of their own here. */
const PRESET_OF_DATASET: Record<string, string> = { birds: 'birds', cub: 'birds', coco: 'coco' };

/** True when a parsed YAML document is an official cfg file (see above). */
export function isOfficialCfg(doc: Record<string, unknown>): boolean {
  return MARKERS.some((k) => Object.hasOwn(doc, k));
}

/** The preset an official cfg file starts from: its DATASET_NAME's (upstream's default: birds). */
export function officialPreset(doc: Record<string, unknown>): string | undefined {
  const name = Object.hasOwn(doc, 'DATASET_NAME') ? doc.DATASET_NAME : 'birds';
  return typeof name === 'string' && Object.hasOwn(PRESET_OF_DATASET, name) ? PRESET_OF_DATASET[name] : undefined;
}

export const CAP_PATH_KEYS = ['CAP.caption_cnn_path', 'CAP.caption_rnn_path'] as const;

/**
 * The captioner folder named by CAP.caption_cnn_path and CAP.caption_rnn_path (both '' =
 * none, as upstream's default), or ERR_INVALID_ARG when they do not name one folder.
 */
export function captionerFromCapPaths(cnn: unknown, rnn: unknown, source: string): string | undefined {
  for (const [key, value] of [[CAP_PATH_KEYS[0], cnn], [CAP_PATH_KEYS[1], rnn]] as const) {
    if (value !== undefined && typeof value !== 'string') {
      throw new MirrorganError('ERR_INVALID_ARG', `${source}: Expected a file path for ${key} but received ${JSON.stringify(value)}`);
    }
  }
  const a = (cnn as string | undefined) ?? '';
  const b = (rnn as string | undefined) ?? '';
  if (a === '' && b === '') return undefined;
  if (a === '' || b === '') {
    const [given, missing] = a === '' ? [CAP_PATH_KEYS[1], CAP_PATH_KEYS[0]] : [CAP_PATH_KEYS[0], CAP_PATH_KEYS[1]];
    throw new MirrorganError('ERR_INVALID_ARG', `${source}: ${given} is set but ${missing} is not; the captioner needs both (or set train.captioner to its folder)`);
  }
  if (path.resolve(path.dirname(a)) !== path.resolve(path.dirname(b))) {
    throw new MirrorganError(
      'ERR_INVALID_ARG',
      `${source}: ${CAP_PATH_KEYS[0]} (${a}) and ${CAP_PATH_KEYS[1]} (${b}) are in different folders; here a captioner is one folder (set train.captioner to it)`,
    );
  }
  return path.dirname(a);
}
