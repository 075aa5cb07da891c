// SPDX-License-Identifier: MIT
/**
 * The files of a DAMSM output folder: the state file (the commit point of every epoch), the
 * crash-safe epoch commit, the resume start, and metrics.jsonl.
 *
 * An epoch is committed in three moves: its weights are written as `*.pending` (each file
 * atomically), then `damsm_state.json` (atomically: the commit point), then the pending files
 * are renamed over the old ones. On the next start a pending file either completes its epoch's
 * commit (its epoch is the state's) or is discarded.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { MirrorganError } from '../../../lib/errors.js';
import type { Adam } from '../../../lib/optim.js';
import { readSafetensorsHeader } from '../../../lib/safetensors.js';
import type { DataLogger } from '../../data/report.js';
import { Vocabulary } from '../../text/vocabulary.js';
import { commitPending, pendingPath, writeFileAtomic, writeJsonAtomic } from '../../util/atomic.js';
import { pathExists } from '../../util/fs.js';
import { CompactImageEncoder, InceptionImageEncoder, type ImageEncoder } from '../image_encoder.js';
import type { TextEncoder } from '../text_encoder.js';
import type { DamsmEpochRecord, DamsmState } from './types.js';

/** File names inside a DAMSM output folder. */
export const DAMSM_FILES = {
  textEncoder: 'text_encoder.safetensors',
  imageEncoder: 'image_encoder.safetensors',
  vocabulary: 'vocabulary.json',
  config: 'config.json',
  state: 'damsm_state.json',
  optimizer: 'damsm_optimizer.safetensors',
  metrics: 'metrics.jsonl',
} as const;

/** The paths of a DAMSM output folder's files. */
export type DamsmPaths = { [K in keyof typeof DAMSM_FILES]: string };

/** The paths of the files in `outDir`. */
export function damsmPaths(outDir: string): DamsmPaths {
  return Object.fromEntries(Object.entries(DAMSM_FILES).map(([k, f]) => [k, join(outDir, f)])) as DamsmPaths;
}

/** Reads a DAMSM state file; null when there is none, ERR_FILE when it is unreadable or foreign. */
export async function readDamsmState(file: string): Promise<DamsmState | null> {
  let state: DamsmState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as DamsmState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MirrorganError('ERR_FILE', `${file}: cannot read the DAMSM state (${(e as Error).message.split('\n')[0]})`);
  }
  if (state.format !== 'mirrorgan-damsm-state' || state.version !== 1 || !Array.isArray(state.history) || !state.imageEncoder) {
    throw new MirrorganError('ERR_FILE', `${file} is not a mirrorgan DAMSM state (version 1)`);
  }
  return state;
}

/** A fresh image encoder of the kind and options a DAMSM state records. */
export function imageEncoderOf(info: DamsmState['imageEncoder']): ImageEncoder {
  return info.kind === 'compact' ? new CompactImageEncoder(info.options) : new InceptionImageEncoder(info.options);
}

/**
 * The image encoder a DAMSM folder trained, built from its state file (kind and options) and
 * loaded with its weights: what the GAN trainer's optional DAMSM term (`train.lambda`) needs.
 */
export async function loadDamsmImageEncoder(dir: string): Promise<ImageEncoder> {
  const stateFile = join(dir, DAMSM_FILES.state);
  const state = await readDamsmState(stateFile);
  if (!state) throw new MirrorganError('ERR_FILE', `${stateFile} not found; the DAMSM image encoder needs the folder pretrain-damsm wrote`);
  const encoder = imageEncoderOf(state.imageEncoder);
  await encoder.load(join(dir, DAMSM_FILES.imageEncoder));
  return encoder;
}

/** Where a run starts: the committed state and vocabulary of the folder (both null when afresh). */
export interface DamsmStart {
  state: DamsmState | null;
  savedVocabulary: Vocabulary | null;
}

/**
 * With `resume`, the folder's committed state (its interrupted commit completed or discarded);
 * without, or when there is none, a fresh start that first drops the commit point of any
 * earlier run, so that an interrupted fresh run can never be resumed as the old one.
 */
export async function startDamsmRun(outDir: string, paths: DamsmPaths, resume: boolean, logger: DataLogger): Promise<DamsmStart> {
  let state: DamsmState | null = null;
  if (resume) {
    state = await readDamsmState(paths.state);
    if (!state) logger.info(`damsm: nothing to resume in ${outDir}; starting afresh`);
  } else if (await pathExists(paths.state)) {
    logger.warn(`damsm: ${outDir} holds an earlier DAMSM run; starting afresh and replacing it (use resume to continue it)`);
  }
  if (!state) {
    for (const f of [paths.state, paths.optimizer, pendingPath(paths.textEncoder), pendingPath(paths.imageEncoder)]) await rm(f, { force: true });
    return { state: null, savedVocabulary: null };
  }
  const savedVocabulary = Vocabulary.fromJSON(JSON.parse(await readFile(paths.vocabulary, 'utf8')));
  await settlePending(paths.textEncoder, state.epoch);
  await settlePending(paths.imageEncoder, state.epoch);
  return { state, savedVocabulary };
}

/** Settles a `*.pending` checkpoint file left by an interrupted commit. */
async function settlePending(final: string, committedEpoch: number): Promise<void> {
  const pending = pendingPath(final);
  if (!(await pathExists(pending))) return;
  let epoch = NaN;
  try {
    epoch = Number((await readSafetensorsHeader(pending)).metadata.epoch);
  } catch {
    epoch = NaN;
  }
  // Completes the commit protocol's last move (see the file comment), or drops an uncommitted epoch.
  if (epoch === committedEpoch) await commitPending(final);
  else await rm(pending, { force: true });
}

/** Loads a resumed run's weights, warning when a file's epoch differs from the state's. */
export async function loadDamsmWeights(
  paths: DamsmPaths, state: DamsmState, textEncoder: TextEncoder, imageEncoder: ImageEncoder, logger: DataLogger,
): Promise<void> {
  await textEncoder.load(paths.textEncoder);
  await imageEncoder.load(paths.imageEncoder);
  for (const f of [paths.textEncoder, paths.imageEncoder]) {
    const e = Number((await readSafetensorsHeader(f)).metadata.epoch);
    if (e !== state.epoch) logger.warn(`damsm: ${f} says epoch ${e} but ${paths.state} says ${state.epoch}; continuing from the weights as found`);
  }
}

/**
 * Commits `next.epoch`: pending weights, the optimizer (when it is kept across epochs), the
 * state file, then the weights renamed into place and metrics.jsonl rewritten.
 */
export async function commitDamsmEpoch(
  paths: DamsmPaths, next: DamsmState, textEncoder: TextEncoder, imageEncoder: ImageEncoder, adam: Adam | null,
): Promise<void> {
  const meta = { phase: 'damsm', epoch: String(next.epoch) };
  await textEncoder.save(pendingPath(paths.textEncoder), meta);
  await imageEncoder.save(pendingPath(paths.imageEncoder), meta);
  if (adam) await adam.save(paths.optimizer);
  await writeJsonAtomic(paths.state, next);
  // The commit point is written; moving the pending weights into place completes it.
  await commitPending(paths.textEncoder);
  await commitPending(paths.imageEncoder);
  await rewriteDamsmMetrics(paths.metrics, next.history);
}

/** Rewrites metrics.jsonl: other writers' lines kept, DAMSM lines replaced by `history`. */
export async function rewriteDamsmMetrics(path: string, history: readonly DamsmEpochRecord[]): Promise<void> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = '';
  }
  const kept = text.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    try {
      const o = JSON.parse(line) as { type?: unknown; phase?: unknown };
      return !(o.type === 'pretrain' && o.phase === 'damsm');
    } catch {
      return false; // a truncated line from a killed run
    }
  });
  const lines = [...kept, ...history.map((r) => JSON.stringify(r))];
  await writeFileAtomic(path, lines.length ? `${lines.join('\n')}\n` : '');
}
