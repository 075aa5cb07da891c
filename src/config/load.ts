// SPDX-License-Identifier: MIT
/** Resolves a configuration: defaults -> preset -> YAML file(s) -> `key=value` overrides. */
import fs from 'node:fs';
import YAML from 'yaml';
import { invalidArg, MirrorganError } from '../../lib/errors.js';
import { CAP_PATH_KEYS, captionerFromCapPaths, isOfficialCfg, officialPreset } from './official.js';
import { defaults, PRESETS, RETIRED_KEYS, setField, validate, type MirrorGANConfig } from './schema.js';

export interface ResolveOptions {
  /** Preset name: 'cpu' (default), 'birds' or 'coco'. */
  preset?: string;
  /** YAML files, applied in order (official cfg files such as train_bird.yml work). */
  files?: string[];
  /** `key=value` strings (our keys or the official names), applied last. */
  set?: string[];
  /** Already-parsed overrides (library use), applied after the files. */
  overrides?: Record<string, unknown>;
  /**
   * Told, one line each, what the resolution chose on the caller's behalf (the preset an
   * official cfg file selected) and which official settings mean something else here. The
   * CLI prints these lines; by default they are dropped.
   */
  onNote?: (line: string) => void;
}

/** Flattens nested YAML ({TRAIN: {SMOOTH: {LAMBDA1: 10}}}) into dotted keys. */
function flatten(obj: Record<string, unknown>, prefix = '', out: [string, unknown][] = []): [string, unknown][] {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out.push([key, v]);
  }
  return out;
}

function applyEntries(config: MirrorGANConfig, entries: [string, unknown][], source: string, note: (line: string) => void): void {
  const retired = entries.filter(([k]) => RETIRED_KEYS.has(k)).map(([k]) => k);
  if (retired.length > 0) {
    note(`${source}: ignoring retired key${retired.length > 1 ? 's' : ''} ${retired.join(', ')} (hard-negative experiments; the official shifted mismatch is used)`);
  }
  const cap = new Map<string, unknown>();
  for (const [k, v] of entries) {
    if (k === 'preset') continue;
    if ((CAP_PATH_KEYS as readonly string[]).includes(k)) {
      cap.set(k, v);
      continue;
    }
    if (k === 'TRAIN.SNAPSHOT_INTERVAL') {
      note(`${source}: TRAIN.SNAPSHOT_INTERVAL ${String(v)} counts epochs as in the official code (train.snapshotEpochs); train.snapshotInterval adds a checkpoint every N iterations`);
    }
    try {
      setField(config, k, v);
    } catch (e) {
      if (e instanceof MirrorganError) throw new MirrorganError(e.code, `${source}: ${e.message}`);
      throw e;
    }
  }
  if (cap.size > 0) {
    const folder = captionerFromCapPaths(cap.get(CAP_PATH_KEYS[0]), cap.get(CAP_PATH_KEYS[1]), source);
    if (folder !== undefined) {
      config.train.captioner = folder;
      note(`${source}: CAP.caption_cnn_path and CAP.caption_rnn_path name the captioner folder ${folder} (train.captioner)`);
    }
  }
}

export function resolveConfig(options: ResolveOptions = {}): MirrorGANConfig {
  const config = defaults();
  const files = options.files ?? [];
  const note = options.onNote ?? (() => undefined);
  // A YAML file may name its own preset, or be an official cfg file that implies one (official.ts); the command line's wins.
  let preset = options.preset;
  const parsed = files.map((file) => {
    let doc: unknown;
    try {
      doc = YAML.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new MirrorganError(code === 'ENOENT' ? 'ERR_FILE' : 'ERR_INVALID_ARG', `${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message.split('\n')[0]}`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new MirrorganError('ERR_INVALID_ARG', `${file}: expected a mapping of config fields`);
    const d = doc as Record<string, unknown>;
    if (!preset && typeof d.preset === 'string') preset = d.preset;
    if (!preset && !Object.hasOwn(d, 'preset') && isOfficialCfg(d)) {
      preset = officialPreset(d);
      if (preset) note(`${file}: an official cfg file (CONFIG_NAME/DATASET_NAME); starting from the ${preset} preset (--preset chooses another)`);
    }
    const entries = flatten(d);
    // A run's own config.json from before attribute captions existed: keep its captions as they were.
    const dataset = d.dataset as Record<string, unknown> | undefined;
    if (typeof d.preset === 'string' && dataset && typeof dataset === 'object' && 'skinTones' in dataset && !('attributeCaptions' in dataset)) {
      entries.push(['dataset.attributeCaptions', false]);
    }
    return { file, entries };
  });
  preset ??= 'cpu';
  const apply = PRESETS[preset];
  if (!apply) throw invalidArg('preset', `one of ${Object.keys(PRESETS).join(', ')}`, preset);
  apply(config);
  config.preset = preset;
  for (const p of parsed) applyEntries(config, p.entries, p.file, note);
  if (options.overrides) applyEntries(config, Object.entries(options.overrides), 'options', note);
  const sets = (options.set ?? []).map((s): [string, unknown] => {
    const eq = s.indexOf('=');
    if (eq <= 0) throw invalidArg('--set', 'key=value', s);
    return [s.slice(0, eq).trim(), s.slice(eq + 1).trim()];
  });
  applyEntries(config, sets, '--set', note);
  return validate(config);
}
