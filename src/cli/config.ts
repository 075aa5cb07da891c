// SPDX-License-Identifier: MIT
/**
 * `mirrorgan config --print`: the configuration a --preset/--cfg/--set combination resolves to,
 * as YAML (or JSON) that `--cfg` reads back. `mirrorgan config --keys`: every settable key with
 * its type, range, default and official name, read from the schema's FIELDS.
 */
import { Command } from 'commander';
import YAML from 'yaml';
import { MirrorganError } from '../../lib/errors.js';
import { defaults, FIELDS, getField } from '../config/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { configFromFlags, withConfigFlags, type ConfigFlags } from './options.js';
import { printOut } from './output.js';
import { ensureWritableFile } from './writable.js';

interface ConfigCliFlags extends ConfigFlags {
  print?: boolean;
  keys?: boolean;
  json?: boolean;
  out?: string;
}

/** One row of `config --keys`. */
export interface ConfigKey {
  key: string;
  type: string;
  range: string;
  default: unknown;
  official: string | null;
}

/** Every settable key, in the schema's order. */
export function configKeys(): ConfigKey[] {
  const base = defaults();
  return FIELDS.map((f) => ({
    key: f.key,
    type: f.kind,
    range: f.kind === 'enum' ? (f.values ?? []).join(' | ') : f.kind === 'int' || f.kind === 'number' ? `${f.min} .. ${f.max}` : f.kind === 'bool' ? 'true | false' : 'any text',
    default: getField(base, f.key),
    official: f.official ?? null,
  }));
}

function formatKeys(rows: ConfigKey[]): string {
  const cells = rows.map((r) => [r.key, r.type, r.range, JSON.stringify(r.default), r.official ?? '-']);
  const head = ['key', 'type', 'range', 'default', 'official'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join('  ');
  return [line(head), ...cells.map(line), '', 'Presets change some defaults: `mirrorgan config --print --preset <name>` shows a whole configuration.'].join('\n');
}

export function configCommand(): Command {
  return withConfigFlags(new Command('config'))
    .description('print the configuration a --preset/--cfg/--set combination resolves to (--print), or every key with its type, range, default and official name (--keys)')
    .option('--print', 'print the resolved configuration (YAML that --cfg reads back)')
    .option('--keys', 'list every settable key')
    .option('--json', 'JSON instead of YAML (--print) or a table (--keys)')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action(async (o: ConfigCliFlags) => {
      if (Boolean(o.print) === Boolean(o.keys)) throw new MirrorganError('ERR_INVALID_ARG', 'Expected exactly one of --print or --keys for mirrorgan config');
      let text: string;
      if (o.keys) {
        const rows = configKeys();
        text = o.json ? JSON.stringify(rows, null, 2) : formatKeys(rows);
      } else {
        const config = configFromFlags(o);
        text = o.json ? JSON.stringify(config, null, 2) : YAML.stringify(config).trimEnd();
      }
      if (o.out) {
        const file = await ensureWritableFile(o.out);
        await writeFileAtomic(file, `${text}\n`);
        printOut(file);
      } else {
        printOut(text);
      }
    });
}
