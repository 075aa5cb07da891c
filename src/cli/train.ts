// SPDX-License-Identifier: MIT
// `mirrorgan train`: the whole pipeline (DAMSM -> STREAM -> MirrorGAN -> report) in a run folder.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { MirrorganError } from '../../lib/errors.js';
import { setNumThreads } from '../../lib/runtime.js';
import type { MirrorGANConfig } from '../config/index.js';
import { CAPTIONER_FILES } from '../stream/checkpoint.js';
import { trainPipeline, type TrainPipelineResult } from '../train/pipeline.js';
import { pathExists } from '../util/fs.js';
import { untilInterrupted } from './interrupt.js';
import { configFromFlags, withConfigFlags, type ConfigFlags } from './options.js';
import { printOut } from './output.js';
import { ensureWritableFolder } from './writable.js';

interface TrainFlags extends ConfigFlags {
  out?: string;
  resume?: boolean;
  progress: boolean;
}

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** PyTorch's own formats (the official releases): this project reads safetensors. */
const TORCH_FILE = /\.(pth|pt|ckpt|tar)$/i;

function convertHint(file: string): string {
  return `convert it first: python3 scripts/pth2safetensors.py ${file} ${file.replace(TORCH_FILE, '.safetensors')}`;
}

/**
 * Files the configuration names are checked before any work starts, so a wrong path fails in a
 * second with what to do instead of after an hour of pretraining.
 */
async function checkGivenFiles(c: MirrorGANConfig): Promise<void> {
  for (const [key, official, file] of [['train.netE', 'TRAIN.NET_E', c.train.netE], ['train.netG', 'TRAIN.NET_G', c.train.netG]] as const) {
    if (!file) continue;
    if (TORCH_FILE.test(file)) throw new MirrorganError('ERR_FILE', `${key} (${official}) ${file} is a PyTorch checkpoint, which this project does not read; ${convertHint(file)} and set ${key} to the .safetensors file`);
    if (!(await pathExists(file))) throw new MirrorganError('ERR_FILE', `${key} (${official}) ${file} does not exist`);
  }
  const dir = c.train.captioner;
  if (!dir || c.train.streamWeight <= 0 || (await pathExists(path.join(dir, CAPTIONER_FILES.config)))) return;
  const torchFiles = await fs.readdir(dir).then((names) => names.filter((n) => TORCH_FILE.test(n)), () => [] as string[]);
  if (torchFiles.length > 0) {
    throw new MirrorganError(
      'ERR_FILE',
      `train.captioner ${dir} (also set by CAP.caption_cnn_path/caption_rnn_path) holds official PyTorch files (${torchFiles.join(', ')}), which need conversion first: ` +
        `a captioner here is a folder with ${CAPTIONER_FILES.encoder}, ${CAPTIONER_FILES.decoder}, ${CAPTIONER_FILES.vocabulary} and ${CAPTIONER_FILES.config} ` +
        '(`mirrorgan pretrain-stream` writes one; scripts/pth2safetensors.py converts the weights), or leave train.captioner empty to pretrain STREAM in the run',
    );
  }
  throw new MirrorganError('ERR_FILE', `train.captioner ${dir} is not a captioner folder (no ${CAPTIONER_FILES.config}; \`mirrorgan pretrain-stream --out ${dir}\` writes one)`);
}

function summary(r: TrainPipelineResult, config: MirrorGANConfig): string {
  const fmt = (s: number) => `${(s / 60).toFixed(1)} min`;
  const lines = [
    `run        ${r.runDir}`,
    r.damsm ? `STEM       DAMSM ${r.damsm.epochs} epochs, ${fmt(r.damsm.seconds)}${r.damsm.final ? `, test R@1 text->image ${(100 * (r.damsm.final.val?.r1_t2i ?? 0)).toFixed(1)} %` : ''}` : 'STEM       given (train.netE)',
    r.stream ? `STREAM     ${fmt(r.stream.seconds)}` : config.train.streamWeight > 0 ? 'STREAM     given (train.captioner)' : 'STREAM     off (streamWeight = 0)',
    `MirrorGAN  ${r.gan.iterations} iterations, ${r.gan.epochs} epochs, ${fmt(r.gan.seconds)}; last ${Object.entries(r.gan.lastLosses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ')}`,
    `checkpoint ${r.gan.checkpoint}`,
    r.report ? `report     ${r.report}` : '',
    `total      ${fmt(r.seconds)}`,
  ];
  return lines.filter(Boolean).join('\n');
}

export function trainCommand(): Command {
  return withConfigFlags(new Command('train'))
    .description('pretrain STEM (DAMSM) and STREAM if needed, then train MirrorGAN; writes checkpoints, samples, metrics and report.html')
    .option('-o, --out <dir>', 'run folder (default runs/<preset>-<date>)')
    .option('--resume', 'continue the run in --out: every phase from what it holds (its config.json, once written, comes first)')
    .option('--no-progress', 'no progress bars or lines on stderr')
    .action(async (opts: TrainFlags) => {
      if (opts.resume && !opts.out) throw new MirrorganError('ERR_INVALID_ARG', '--resume needs --out <run folder>');
      // A resumed run starts from its own resolved config (written before its first phase); flags still override it.
      const own = opts.resume ? path.join(opts.out as string, 'config.json') : null;
      const config = configFromFlags(opts, { files: own && (await pathExists(own)) ? [own] : [] });
      await checkGivenFiles(config);
      const runDir = await ensureWritableFolder(opts.out ?? path.join('runs', `${config.preset}-${stamp()}`), opts.out ? '--out' : 'the run folder');
      if (config.train.threads > 0) setNumThreads(config.train.threads);
      const resume = `continue with: npx mirrorgan train --resume --out ${runDir}`;
      const result = await untilInterrupted((signal) => trainPipeline({ config, runDir, resume: opts.resume, progress: opts.progress, signal }), {
        what: 'training',
        report: (r) => printOut(summary(r, config)),
        stoppedMessage: (r) => `stopped at iteration ${r.gan.iterations}, checkpoint ${r.gan.checkpoint} written; ${resume}`,
        stoppedBeforeEnd: (message) => `${message}; ${resume}`,
      });
      printOut(summary(result, config));
    });
}
