// SPDX-License-Identifier: MIT
/**
 * The pretrained models that ship with the package: model folders (model_folder.ts) under
 * `<package>/models/<name>/`, found by their manifest.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { packageRoot } from '../../lib/native.js';
import { hasModelManifest, readModelManifest } from './model_folder.js';

/** The package's folder of pretrained models. */
export function modelsDir(): string {
  return path.join(packageRoot(), 'models');
}

/** A shipped model, as listed by {@link listPretrained}. */
export interface PretrainedModel {
  name: string;
  dir: string;
  description: string;
  /** The weights' licence (SPDX identifier). */
  licence: string;
}

/** The model folders in `dir` (default: the package's `models/`), by name. */
export async function listPretrained(dir = modelsDir()): Promise<PretrainedModel[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: PretrainedModel[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const folder = path.join(dir, e.name);
    if (!(await hasModelManifest(folder))) continue;
    const m = await readModelManifest(folder);
    out.push({ name: e.name, dir: folder, description: m.description, licence: m.licence.weights });
  }
  return out;
}

/** How to get a model when none ships: the sentence every "no model" error ends with. */
export function noModelAdvice(dir: string): string {
  return 'train one (npx mirrorgan train, about 25 minutes on a CPU) and use its run folder (--run <run>, MirrorGAN.load(<run>)), ' +
    `or export a run into the package (npx mirrorgan export --run <run> -o ${path.join(dir, '<name>')})`;
}

/**
 * The folder of the shipped model `name`; without a name, the only one there is. ERR_FILE
 * saying how to get a model when none ships, or listing the names when the choice is not clear.
 */
export async function pretrainedDir(name?: string, dir = modelsDir()): Promise<string> {
  const models = await listPretrained(dir);
  if (models.length === 0) throw new MirrorganError('ERR_FILE', `No pretrained model ships with this copy of mirrorgan-native (${dir} holds no model folder): ${noModelAdvice(dir)}`);
  const names = models.map((m) => m.name).join(', ');
  if (name === undefined) {
    if (models.length > 1) throw new MirrorganError('ERR_INVALID_ARG', `${dir} holds ${models.length} models (${names}); name the one to load`);
    return (models[0] as PretrainedModel).dir;
  }
  const found = models.find((m) => m.name === name);
  if (!found) throw new MirrorganError('ERR_INVALID_ARG', `Expected one of the shipped models (${names}) for name but received '${name}'`);
  return found.dir;
}
