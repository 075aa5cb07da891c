// SPDX-License-Identifier: MIT
/**
 * `mirrorgan pretrain-damsm`: pretrains the DAMSM text and image encoders (STEM) on the
 * configured dataset and writes them, with the vocabulary and the resolved config, to --out.
 */
import { Command, Option } from 'commander';

import { pretrainDamsm, type PretrainDamsmSummary } from '../stem/pretrain_damsm.js';
import { untilInterrupted } from './interrupt.js';
import { configFromFlags, integerAtLeast, withConfigFlags, type ConfigFlags } from './options.js';
import { printOut } from './output.js';
import { ensureWritableFolder } from './writable.js';

interface DamsmCliOptions extends ConfigFlags {
  out: string;
  resume?: boolean;
  epochs?: number;
  progress: boolean;
  json?: boolean;
  lossForm: 'official' | 'paper';
  imageWeights?: string;
}

function fmtDuration(seconds: number): string {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${(100 * x).toFixed(1)}%`;
}

/** The one-line summary printed at the end of a run. */
export function formatDamsmSummary(s: PretrainDamsmSummary): string {
  const parts = [`damsm: ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} (${s.epochsRun} this run) in ${fmtDuration(s.trainSeconds)} of training`];
  const v = s.final?.val;
  if (v) {
    parts.push(`val loss ${v.loss.toFixed(3)}`);
    parts.push(`R@1 text→image ${pct(v.r1_t2i)} image→text ${pct(v.r1_i2t)} (within batches of ${v.batch_size})`);
    if (v.pool_size) parts.push(`pool of ${v.pool_size}: ${pct(v.pool_r1_t2i)} / ${pct(v.pool_r1_i2t)}`);
  } else if (s.final) {
    parts.push(`train loss ${s.final.loss.total.toFixed(3)} (no test split)`);
  }
  if (s.best) parts.push(`best val epoch ${s.best.epoch}`);
  if (s.stopped) parts.push('stopped early');
  parts.push(`wall ${fmtDuration(s.seconds)}`);
  parts.push(`→ ${s.outDir}`);
  return parts.join(' | ');
}

/** The `pretrain-damsm` command (commander 14). */
export function pretrainDamsmCommand(): Command {
  return withConfigFlags(new Command('pretrain-damsm'))
    .description('pretrain the DAMSM text and image encoders (STEM) and write them with the vocabulary and config')
    .option('-o, --out <dir>', 'output folder (train.netE = <dir>/text_encoder.safetensors)', 'runs/stem')
    .option('--resume', 'continue from the last completed epoch in --out')
    .option('--epochs <n>', 'total epochs (overrides damsm.epochs)', integerAtLeast(0))
    .addOption(new Option('--loss-form <form>', "word-score form: the official code's or the AttnGAN paper's (1/gamma2)").choices(['official', 'paper']).default('official'))
    .option('--image-weights <file>', 'safetensors weights for the image encoder before training (e.g. converted Inception-v3)')
    .option('--no-progress', 'no progress bar or progress lines')
    .option('--json', 'print the summary as JSON instead of one line')
    .action(async (o: DamsmCliOptions) => {
      const config = configFromFlags(o, { extraSet: o.epochs !== undefined ? [`damsm.epochs=${o.epochs}`] : [] });
      await ensureWritableFolder(o.out);
      const print = (summary: PretrainDamsmSummary) => printOut(o.json ? JSON.stringify(summary, null, 2) : formatDamsmSummary(summary));
      // Ctrl-C: finish the current iteration and stop; the last completed epoch stays saved.
      const summary = await untilInterrupted(
        (signal) => pretrainDamsm({
          outDir: o.out, config, resume: o.resume ?? false, progress: o.progress ? 'auto' : false, paperForm: o.lossForm === 'paper',
          ...(o.imageWeights ? { imageEncoderWeights: o.imageWeights } : {}), signal,
        }),
        {
          what: 'DAMSM pretraining',
          report: print,
          stoppedMessage: (s) => `stopped; ${s.outDir} keeps ${s.epochs} completed epochs; continue with: npx mirrorgan pretrain-damsm --resume --out ${s.outDir}`,
        },
      );
      print(summary);
    });
}
