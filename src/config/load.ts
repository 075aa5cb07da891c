// SPDX-License-Identifier: MIT
/** Resolves a configuration: defaults -> preset -> YAML file(s) -> `key=value` overrides. */
import { invalidArg, MirrorganError } from '../../lib/errors.js';
import { readConfigFile } from './config_file.js';
import { CAP_PATH_KEYS, captionerFromCapPaths, isOfficialCfg, officialPreset } from './official.js';
import { defaults, presetNamed, RETIRED_KEYS, setField, validate, type MirrorGANConfig } from './schema.js';

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

/** A setting: key (ours or official), value, and where it comes from (file and line, 'options', '--set'). */
type Entry = [key: string, value: unknown, where: string];

function applyEntries(config: MirrorGANConfig, entries: Entry[], source: string, note: (line: string) => void): void {
  const retired = entries.filter(([k]) => RETIRED_KEYS.has(k)).map(([k]) => k);
  if (retired.length > 0) {
    note(`${source}: ignoring retired key${retired.length > 1 ? 's' : ''} ${retired.join(', ')} (hard-negative experiments; the official shifted mismatch is used)`);
  }
  const cap = new Map<string, unknown>();
  for (const [k, v, where] of entries) {
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
      if (e instanceof MirrorganError) throw new MirrorganError(e.code, `${where}: ${e.message}`);
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
    const f = readConfigFile(file, CAP_PATH_KEYS);
    if (!preset && f.preset !== undefined) preset = f.preset;
    if (!preset && !Object.hasOwn(f.top, 'preset') && isOfficialCfg(f.top)) {
      preset = officialPreset(f.top);
      if (preset) note(`${file}: an official cfg file (CONFIG_NAME/DATASET_NAME); starting from the ${preset} preset (--preset chooses another)`);
    }
    const entries = f.entries.map((e): Entry => [e.key, e.value, `${file}: line ${e.line}`]);
    // A run's own config.json from before attribute captions existed: keep its captions as they were.
    const fields = new Set(f.entries.map((e) => e.field));
    if (f.preset !== undefined && fields.has('dataset.skinTones') && !fields.has('dataset.attributeCaptions')) {
      entries.push(['dataset.attributeCaptions', false, file]);
    }
    return { file, entries };
  });
  preset ??= 'cpu';
  presetNamed(preset)(config);  // an own property: 'toString' or '__proto__' is no preset
  config.preset = preset;
  for (const p of parsed) applyEntries(config, p.entries, p.file, note);
  if (options.overrides) applyEntries(config, Object.entries(options.overrides).map(([k, v]): Entry => [k, v, 'options']), 'options', note);
  const sets = (options.set ?? []).map((s): Entry => {
    const eq = s.indexOf('=');
    if (eq <= 0) throw invalidArg('--set', 'key=value', s);
    return [s.slice(0, eq).trim(), s.slice(eq + 1).trim(), '--set'];
  });
  applyEntries(config, sets, '--set', note);
  return validate(config);
}
