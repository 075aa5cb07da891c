// SPDX-License-Identifier: MIT
/** Resolves a configuration: defaults -> preset -> YAML file(s) -> `key=value` overrides. */
import fs from 'node:fs';
import YAML from 'yaml';
import { MirrorganError } from '../../lib/errors.js';
import { defaults, PRESETS, setField, validate, type MirrorGANConfig } from './schema.js';

export interface ResolveOptions {
  /** Preset name: 'cpu' (default), 'birds' or 'coco'. */
  preset?: string;
  /** YAML files, applied in order (official cfg files such as train_bird.yml work). */
  files?: string[];
  /** `key=value` strings (our keys or the official names), applied last. */
  set?: string[];
  /** Already-parsed overrides (library use), applied after the files. */
  overrides?: Record<string, unknown>;
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

function applyEntries(config: MirrorGANConfig, entries: [string, unknown][], source: string): void {
  for (const [k, v] of entries) {
    if (k === 'preset') continue;
    try {
      setField(config, k, v);
    } catch (e) {
      if (e instanceof MirrorganError) throw new MirrorganError(e.code, `${source}: ${e.message}`);
      throw e;
    }
  }
}

export function resolveConfig(options: ResolveOptions = {}): MirrorGANConfig {
  const config = defaults();
  const files = options.files ?? [];
  // A YAML file may name its own preset; the command line's wins.
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
  if (!apply) throw new MirrorganError('ERR_INVALID_ARG', `Expected one of ${Object.keys(PRESETS).join(', ')} for preset but received '${preset}'`);
  apply(config);
  config.preset = preset;
  for (const p of parsed) applyEntries(config, p.entries, p.file);
  if (options.overrides) applyEntries(config, Object.entries(options.overrides), 'options');
  for (const s of options.set ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new MirrorganError('ERR_INVALID_ARG', `Expected key=value for --set but received '${s}'`);
    applyEntries(config, [[s.slice(0, eq).trim(), s.slice(eq + 1).trim()]], '--set');
  }
  return validate(config);
}
