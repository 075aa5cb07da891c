// SPDX-License-Identifier: MIT
// `mirrorgan export`: a model folder (weights for generation and re-description, manifest) from a run.
import fs from 'node:fs/promises';
import { Command, Option } from 'commander';
import { invalidArg } from '../../lib/errors.js';
import { exportModel } from '../model/export.js';
import { MirrorGAN } from '../model/mirrorgan.js';
import { packageVersion } from './main.js';
import { runOptionHelp } from './options.js';
import { printOut } from './output.js';

interface ExportFlags {
  run: string;
  out: string;
  name?: string;
  description?: string;
  dtype: 'float16' | 'float32';
  captioner: boolean;
  metrics?: string;
  trainingCommand?: string;
  force?: boolean;
}

/** The figures of a --metrics file: a JSON object (e.g. `mirrorgan probe --json` output). */
async function readMetricsFile(file: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw invalidArg('--metrics', 'a JSON file holding an object', `${file} (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArg('--metrics', 'a JSON file holding an object', file);
  return value as Record<string, unknown>;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('write a model folder from a run: text encoder, EMA generator, vocabulary, captioner and a manifest (config, data, metrics, licence)')
    .requiredOption('--run <folder>', runOptionHelp(['run', 'checkpoint', 'model']))
    .requiredOption('-o, --out <dir>', 'the model folder to write (must not exist unless --force)')
    .option('--name <name>', 'model name in the manifest (default: the folder name)')
    .option('--description <text>', 'one line for the manifest (default: dataset, preset and image size)')
    .addOption(new Option('--dtype <type>', 'how the weights are stored (float16: half the size; generation runs in float32 either way)').choices(['float16', 'float32']).default('float16'))
    .option('--no-captioner', 'leave the STREAM captioner out (no re-description)')
    .option('--metrics <file>', 'a JSON object of figures to record in the manifest (e.g. `mirrorgan probe --json` output)')
    .option('--training-command <cmd>', 'the command that trained the run, recorded in the manifest')
    .option('--force', 'replace the output folder if it exists')
    .action(async (f: ExportFlags) => {
      const metrics = f.metrics ? await readMetricsFile(f.metrics) : undefined;
      const manifest = await exportModel(f.run, f.out, {
        name: f.name, description: f.description, dtype: f.dtype, withoutCaptioner: !f.captioner, metrics,
        trainingCommand: f.trainingCommand, overwrite: f.force ?? false, mirrorganVersion: packageVersion(),
      });
      // The folder must load as it will be used: files checked against the manifest, modules built.
      (await MirrorGAN.load(f.out)).dispose();
      const total = Object.values(manifest.files).reduce((a, x) => a + x.bytes, 0);
      printOut([
        `${f.out}: model '${manifest.name}' (${manifest.dtype}, ${megabytes(total)}, ${Object.keys(manifest.files).length} files${Object.keys(manifest.files).some((k) => k.startsWith('captioner/')) ? ', with captioner' : ', no captioner'})`,
        `trained on ${manifest.data.dataset}; weights licence: ${manifest.licence.weights}`,
        `generate with: npx mirrorgan generate --run ${f.out} "a caption"`,
      ].join('\n'));
    });
}
