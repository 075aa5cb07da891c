// SPDX-License-Identifier: MIT
// Options shared by the subcommands, each written once: the configuration flags of the commands
// that train, `--run` of the commands that read a run, and numeric parsers (commander reports
// their errors as usage errors, exit 2).
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolveConfig, type MirrorGANConfig } from '../config/index.js';
import { PRESETS } from '../config/schema.js';
import { MirrorGAN } from '../model/mirrorgan.js';
import { resolveRunPath, type RunPath, type RunPathKind } from '../model/run_path.js';
import { printErr } from './output.js';

/** A commander parser for integer options of at least `min`. */
export function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The flags that choose a configuration, as parsed by commander. */
export interface ConfigFlags {
  preset?: string;
  cfg: string[];
  set: string[];
}

/**
 * Adds `--preset`, `--cfg` and `--set` (train, pretrain-damsm, pretrain-stream, config). No
 * default preset here: a YAML file may name one, or be an official cfg file that implies one.
 */
export function withConfigFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('-p, --preset <name>', 'starting configuration (default: the one a --cfg file names, else cpu)').choices(Object.keys(PRESETS)))
    .addOption(new Option('--cfg <file>', 'YAML config, ours or an official cfg/*.yml (official names such as TRAIN.BATCH_SIZE work); repeatable').argParser(collect).default([], 'none'))
    .addOption(new Option('--set <key=value>', 'override one field (train.batchSize=8 or TRAIN.BATCH_SIZE=8; `mirrorgan config --keys` lists them); repeatable').argParser(collect).default([], 'none'));
}

/**
 * The configuration the flags select, with `extraSet` applied last (a command's own shortcuts
 * such as --epochs); the notes of the resolution (official.ts) are printed on stderr.
 */
export function configFromFlags(flags: ConfigFlags, options: { files?: string[]; extraSet?: string[] } = {}): MirrorGANConfig {
  return resolveConfig({
    preset: flags.preset,
    files: [...(options.files ?? []), ...flags.cfg],
    set: [...flags.set, ...(options.extraSet ?? [])],
    onNote: (line) => printErr(`mirrorgan: note: ${line}`),
  });
}

/** Help text of `--run` for the kinds a command accepts. */
export function runOptionHelp(accept: readonly RunPathKind[] = ['run', 'checkpoint']): string {
  const names: Record<RunPathKind, string> = {
    run: 'run folder (its latest checkpoint)', checkpoint: 'checkpoint folder (<run>/checkpoints/iter_N)',
    captioner: 'captioner folder (pretrain-stream --out)', model: 'model folder (export -o)',
  };
  return accept.map((k) => names[k]).join(', or ');
}

/** What `--run` names (run_path.ts), with errors that call it `--run`. */
export function resolveRunOption(given: string, accept: readonly RunPathKind[] = ['run', 'checkpoint']): Promise<RunPath> {
  return resolveRunPath(given, { accept, name: '--run' });
}

/**
 * The model of the commands that generate: `--run` (a run, checkpoint or model folder) or, when
 * it is not given, the model that ships with the package (an error saying how to get one when
 * none does).
 */
export async function loadModelOption(run: string | undefined): Promise<MirrorGAN> {
  if (run === undefined) return MirrorGAN.pretrained();
  const found = await resolveRunOption(run, ['run', 'checkpoint', 'model']);
  return MirrorGAN.load(found.modelDir ?? found.checkpointDir ?? run);
}
