// SPDX-License-Identifier: MIT
/**
 * `mirrorgan report --run <run>`: writes `<run>/report.html` (a self-contained page with the loss
 * curves, learning rates and sample grids of a training run) and, with `--tensorboard`, a
 * TensorBoard event file in `<run>/tensorboard`.
 */
import path from 'node:path';
import { Command } from 'commander';

import { invalidArg, MirrorganError } from '../../lib/errors.js';
import { runFolderOf } from '../model/run_path.js';
import { DEFAULT_MAX_SAMPLES, DEFAULT_SMOOTHING, writeReport, type ReportOptions } from '../report/html.js';
import { assertRunFolder } from '../report/run_folder.js';
import { exportTensorBoard } from '../report/tensorboard.js';
import { printOut } from './output.js';
import { ensureWritableFile, ensureWritableFolder } from './writable.js';

/** Parsed options of `mirrorgan report` (strings as commander hands them over). */
interface ReportCliOptions {
  run?: string;
  tensorboard?: boolean;
  tensorboardDir?: string;
  maxSamples: string;
  smooth: string;
  logY?: boolean;
  out?: string;
}

function parseMaxSamples(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 10_000) {
    throw invalidArg('--max-samples', 'an integer between 0 and 10000', raw);
  }
  return n;
}

function parseSmooth(raw: string): number {
  const s = Number(raw);
  if (raw.trim() === '' || !(s >= 0 && s < 1)) {
    throw invalidArg('--smooth', 'a number in [0, 1)', raw);
  }
  return s;
}

/**
 * The `report` subcommand. Prints each written path on its own line. Bad option values fail
 * with `ERR_INVALID_ARG` (exit code 2 through the CLI's runner), a missing or non-run folder
 * with `ERR_FILE` (exit code 1).
 */
export function reportCommand(): Command {
  return new Command('report')
    .description('write a self-contained HTML report of a training run (and optionally TensorBoard event files)')
    .argument('[run]', 'the run folder, as --run')
    .option('--run <folder>', 'run folder (holds metrics.jsonl, samples/, config.json; also while it pretrains) or a checkpoint folder of one')
    .option('--tensorboard', 'also write a TensorBoard event file to <run>/tensorboard')
    .option('--tensorboard-dir <dir>', 'where --tensorboard writes (default <run>/tensorboard)')
    .option('--max-samples <n>', 'most sample grids embedded, evenly spaced, always the last', String(DEFAULT_MAX_SAMPLES))
    .option('--smooth <s>', 'EMA smoothing of the curves in [0, 1); 0 = raw', String(DEFAULT_SMOOTHING))
    .option('--log-y', 'logarithmic y axis on loss charts')
    .option('-o, --out <file>', 'where to write the page (default <run>/report.html)')
    .action(async (positional: string | undefined, opts: ReportCliOptions) => {
      if (positional !== undefined && opts.run !== undefined && positional !== opts.run) {
        throw new MirrorganError('ERR_INVALID_ARG', `Expected one run folder but received ${positional} and --run ${opts.run}`);
      }
      const given = opts.run ?? positional;
      if (given === undefined) throw new MirrorganError('ERR_INVALID_ARG', 'Expected a run folder: mirrorgan report --run <folder>');
      const options: ReportOptions = {
        maxSamples: parseMaxSamples(opts.maxSamples),
        smoothing: parseSmooth(opts.smooth),
        logY: opts.logY ?? false,
      };
      const run = await runFolderOf(given);
      await assertRunFolder(run);
      options.output = opts.out ?? path.join(run, 'report.html');
      await ensureWritableFile(options.output);
      const tbDir = opts.tensorboard || opts.tensorboardDir !== undefined ? opts.tensorboardDir ?? path.join(run, 'tensorboard') : undefined;
      if (tbDir !== undefined) await ensureWritableFolder(tbDir, opts.tensorboardDir !== undefined ? '--tensorboard-dir' : '--tensorboard');
      const written = [await writeReport(run, options)];
      if (tbDir !== undefined) written.push(await exportTensorBoard(run, tbDir));
      printOut(written.join('\n'));
    });
}
