// SPDX-License-Identifier: MIT
/**
 * A model folder: only what generation and re-description need, with a manifest.
 *
 * | file | contents |
 * |---|---|
 * | `manifest.json` | format tag, name, description, the training configuration, data, metrics, licence, dtype, each file's size and SHA-256 |
 * | `text_encoder.safetensors` | STEM's RNN_ENCODER (official keys) |
 * | `netG.safetensors` | GLAM's G_NET with the moving-average weights (official keys) |
 * | `vocabulary.json` | the words of the text encoder (and of the captioner) |
 * | `captioner/` | STREAM's captioner folder (`captioner.json`, `cnn_encoder.safetensors`, `rnn_decoder.safetensors`, `vocabulary.json`); absent when the model has none |
 *
 * No optimizer state, no discriminators, no image encoder. Weights are stored as float32 or
 * float16 (half the size; Module.load widens them again). `mirrorgan export` writes one from a
 * run, `scripts/official2model.py` from the official MirrorGAN/AttnGAN files, and the package
 * ships its pretrained model as one under `models/`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { loadSafetensors, saveSafetensors } from '../../lib/safetensors.js';
import { dispose, type Tensor } from '../../lib/tensor.js';
import { resolveConfig, type MirrorGANConfig } from '../config/index.js';
import { FIELDS, getField } from '../config/schema.js';
import { OPENMOJI_ATTRIBUTION } from '../data/openmoji.js';
import { CAPTIONER_FILES, readCaptionerConfig } from '../stream/checkpoint.js';
import type { Vocabulary } from '../text/vocabulary.js';
import { writeFolderAtomic, writeJsonAtomic } from '../util/atomic.js';
import { sha256File } from '../util/fs.js';
import { pathExists } from '../util/fs.js';

export const MODEL_FORMAT = 'mirrorgan-model';

/** File names inside a model folder. */
export const MODEL_FILES = {
  manifest: 'manifest.json',
  textEncoder: 'text_encoder.safetensors',
  generator: 'netG.safetensors',
  vocabulary: 'vocabulary.json',
  captioner: 'captioner',
} as const;

/** How the weights are stored. */
export type ModelDtype = 'float32' | 'float16';

/** Under which terms the weights may be used. */
export interface ModelLicence {
  /** SPDX identifier of the weights' licence (`CC-BY-SA-4.0` for OpenMoji models), or a short phrase. */
  weights: string;
  /** Why, and the attribution that travels with the weights. */
  notice: string;
}

/** What the model was trained on. */
export interface ModelData {
  /** `dataset.name` of the training configuration. */
  dataset: string;
  /** Where the images and captions came from. */
  source: string;
  /** Their licence (SPDX identifier or a short phrase). */
  licence: string;
}

/** Contents of `manifest.json`. */
export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  version: 1;
  /** Short name (`openmoji-cpu`): letters, digits, `.`, `_`, `-`. */
  name: string;
  description: string;
  /** The resolved configuration the weights were trained with (machine-specific paths cleared). */
  config: MirrorGANConfig;
  data: ModelData;
  /** Where the weights came from: the run and checkpoint iteration, or the official files. */
  training: { source: string; iteration: number | null; command: string | null };
  /** Figures measured on the model (losses at the exported iteration, evaluations given to export). */
  metrics: Record<string, unknown>;
  licence: ModelLicence;
  dtype: ModelDtype;
  /** Every file of the folder (relative path) with its size and SHA-256, checked when the model loads. */
  files: Record<string, { bytes: number; sha256: string }>;
  /** ISO date of the export. */
  created: string;
  /** The mirrorgan-native version that wrote the folder. */
  mirrorganVersion: string;
}

/** The licence of weights trained on `dataset`: OpenMoji's share-alike terms carry over to them. */
export function licenceFor(dataset: string): { data: Omit<ModelData, 'dataset'>; licence: ModelLicence } {
  if (dataset === 'openmoji') {
    return {
      data: { source: 'OpenMoji (https://openmoji.org/), through the npm package openmoji', licence: 'CC-BY-SA-4.0' },
      licence: {
        weights: 'CC-BY-SA-4.0',
        notice: 'These weights were trained on OpenMoji emoji and are a derived work of them, so they are shared under the same licence, ' +
          'CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/); the MIT licence of mirrorgan-native covers its code, not these weights. ' +
          OPENMOJI_ATTRIBUTION,
      },
    };
  }
  return {
    data: { source: `the ${dataset} dataset the run was trained on`, licence: 'see the dataset' },
    licence: {
      weights: 'see the training data',
      notice: `These weights were trained on the ${dataset} dataset and may be a derived work of it: check its terms before you share them.`,
    },
  };
}

function bad(dir: string, why: string): MirrorganError {
  return new MirrorganError('ERR_FILE', `${path.join(dir, MODEL_FILES.manifest)} ${why}; export the model again (npx mirrorgan export --run <run> -o ${dir})`);
}

/** True when `dir` holds a model manifest (what run_path.ts recognises a model folder by). */
export function hasModelManifest(dir: string): Promise<boolean> {
  return pathExists(path.join(dir, MODEL_FILES.manifest));
}

/** Reads and checks `manifest.json` (format, version, the fields loading needs). */
export async function readModelManifest(dir: string): Promise<ModelManifest> {
  let m: Partial<ModelManifest>;
  try {
    m = JSON.parse(await fs.readFile(path.join(dir, MODEL_FILES.manifest), 'utf8'));
  } catch (e) {
    throw bad(dir, `cannot be read: ${(e as Error).message}`);
  }
  if (m === null || typeof m !== 'object' || m.format !== MODEL_FORMAT) throw bad(dir, `is not a ${MODEL_FORMAT} manifest`);
  if (m.version !== 1) throw bad(dir, `has version ${JSON.stringify(m.version)}; this mirrorgan-native reads version 1`);
  for (const key of ['name', 'config', 'files', 'licence', 'dtype'] as const) if (m[key] === undefined) throw bad(dir, `has no ${key}`);
  for (const f of [MODEL_FILES.textEncoder, MODEL_FILES.generator, MODEL_FILES.vocabulary]) {
    if (!m.files?.[f]) throw bad(dir, `lists no ${f}`);
  }
  return m as ModelManifest;
}

/** True when the manifest lists a captioner. */
export function hasCaptionerFiles(manifest: ModelManifest): boolean {
  return Object.keys(manifest.files).some((f) => f.startsWith(`${MODEL_FILES.captioner}/`));
}

/** Checks every listed file's size and SHA-256 (a damaged download or a hand-edited file fails here, naming it). */
export async function verifyModelFiles(dir: string, manifest: ModelManifest): Promise<void> {
  for (const [rel, { bytes, sha256 }] of Object.entries(manifest.files)) {
    const file = path.join(dir, rel);
    const stat = await fs.stat(file).catch(() => null);
    if (!stat) throw new MirrorganError('ERR_FILE', `${file} is missing (the manifest of ${dir} lists it)`);
    if (stat.size !== bytes || (await sha256File(file)) !== sha256) {
      throw new MirrorganError('ERR_FILE', `${file} differs from the one the manifest of ${dir} lists (size or SHA-256): the model folder is damaged or was changed`);
    }
  }
}

/** The configuration a manifest records, resolved (and so checked) by the config schema. */
export function configOfManifest(dir: string, manifest: ModelManifest): MirrorGANConfig {
  const c = manifest.config as unknown as MirrorGANConfig;
  const overrides = Object.fromEntries(FIELDS.map((f) => [f.key, getField(c, f.key)]).filter(([, v]) => v !== undefined));
  try {
    return resolveConfig({ preset: c.preset, overrides });
  } catch (e) {
    throw bad(dir, `holds a configuration this version cannot use: ${(e as Error).message}`);
  }
}

/**
 * `config` without the paths of files the model folder replaces or the machine's cache. The
 * dataset folder stays: it says where the data came from (and a dataset other than OpenMoji
 * must name one).
 */
export function portableConfig(config: MirrorGANConfig): MirrorGANConfig {
  const c = structuredClone(config);
  c.dataset.cacheDir = '';
  c.train.netE = '';
  c.train.netG = '';
  c.train.captioner = '';
  return c;
}

/** Copies a safetensors file, storing floating-point tensors as `dtype`. */
async function copyWeights(src: string, dst: string, dtype: ModelDtype): Promise<void> {
  const { tensors, metadata } = await loadSafetensors(src);
  const stored = new Map<string, Tensor>();
  try {
    for (const [key, t] of tensors) {
      const floating = t.dtype === 'float32' || t.dtype === 'float64' || (t.dtype as string) === 'float16' || (t.dtype as string) === 'bfloat16';
      stored.set(key, floating && t.dtype !== dtype ? t.to(dtype) : t);
    }
    await saveSafetensors(dst, stored, { ...metadata, dtype });
  } finally {
    dispose([tensors, stored]);
  }
}

/** Where the weights of a model come from. */
export interface ModelSource {
  config: MirrorGANConfig;
  vocabulary: Vocabulary;
  /** STEM's text encoder (safetensors). */
  textEncoder: string;
  /** The EMA generator (safetensors). */
  generator: string;
  /** A captioner folder, or null for a model without re-description. */
  captioner: string | null;
}

/** What the manifest says besides the files. */
export interface ModelInfo {
  name: string;
  description?: string;
  training: ModelManifest['training'];
  metrics?: Record<string, unknown>;
  /** Default: the training data's (licenceFor). */
  licence?: ModelLicence;
  dtype: ModelDtype;
  mirrorganVersion: string;
}

/** Refuses a model name that is not a short file-name-safe word. */
export function checkModelName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new MirrorganError('ERR_INVALID_ARG', `Expected a model name of up to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit) for name but received ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * Writes a model folder at `out` from `source`: assembled in a temporary folder beside it and
 * renamed into place, so `out` is either the complete folder or untouched. An existing `out` is
 * refused unless `overwrite` (then it is replaced only once the new folder is complete).
 */
export async function writeModelFolder(out: string, source: ModelSource, info: ModelInfo, options: { overwrite?: boolean } = {}): Promise<ModelManifest> {
  checkModelName(info.name);
  if (info.dtype !== 'float32' && info.dtype !== 'float16') throw new MirrorganError('ERR_INVALID_ARG', `Expected 'float32' or 'float16' for dtype but received ${JSON.stringify(info.dtype)}`);
  if ((await pathExists(out)) && !options.overwrite) {
    throw new MirrorganError('ERR_FILE', `${out} already exists; choose another folder or overwrite it (--force)`);
  }
  let manifest: ModelManifest | undefined;
  await writeFolderAtomic(out, async (tmp) => {
    await copyWeights(source.textEncoder, path.join(tmp, MODEL_FILES.textEncoder), info.dtype);
    await copyWeights(source.generator, path.join(tmp, MODEL_FILES.generator), info.dtype);
    await source.vocabulary.save(path.join(tmp, MODEL_FILES.vocabulary));
    const rels: string[] = [MODEL_FILES.textEncoder, MODEL_FILES.generator, MODEL_FILES.vocabulary];
    if (source.captioner) {
      const capDir = path.join(tmp, MODEL_FILES.captioner);
      await fs.mkdir(capDir);
      const capConfig = await readCaptionerConfig(source.captioner);
      await writeJsonAtomic(path.join(capDir, CAPTIONER_FILES.config), capConfig);
      await fs.copyFile(path.join(source.captioner, CAPTIONER_FILES.vocabulary), path.join(capDir, CAPTIONER_FILES.vocabulary));
      for (const f of [CAPTIONER_FILES.encoder, CAPTIONER_FILES.decoder]) await copyWeights(path.join(source.captioner, f), path.join(capDir, f), info.dtype);
      rels.push(...[CAPTIONER_FILES.config, CAPTIONER_FILES.vocabulary, CAPTIONER_FILES.encoder, CAPTIONER_FILES.decoder].map((f) => `${MODEL_FILES.captioner}/${f}`));
    }
    const files: ModelManifest['files'] = {};
    for (const rel of rels) files[rel] = { bytes: (await fs.stat(path.join(tmp, rel))).size, sha256: await sha256File(path.join(tmp, rel)) };
    const dataset = source.config.dataset.name;
    const terms = licenceFor(dataset);
    manifest = {
      format: MODEL_FORMAT, version: 1, name: info.name,
      description: info.description ?? `MirrorGAN trained on ${dataset} (${source.config.preset} preset, ${64 * 2 ** (source.config.tree.branchNum - 1)} px)`,
      config: portableConfig(source.config),
      data: { dataset, ...terms.data },
      training: info.training,
      metrics: info.metrics ?? {},
      licence: info.licence ?? terms.licence,
      dtype: info.dtype,
      files,
      created: new Date().toISOString(),
      mirrorganVersion: info.mirrorganVersion,
    };
    await writeJsonAtomic(path.join(tmp, MODEL_FILES.manifest), manifest);
  }, { replace: options.overwrite });
  return manifest as ModelManifest;
}
