// SPDX-License-Identifier: MIT
// `mirrorgan train`: the whole pipeline (DAMSM -> STREAM -> MirrorGAN -> report) in a run folder.
import path from 'node:path';
import { Command, Option } from 'commander';
import { setNumThreads } from '../../lib/runtime.js';
import { resolveConfig } from '../config/index.js';
import { trainPipeline } from '../train/pipeline.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export function trainCommand(): Command {
  return new Command('train')
    .description('pretrain STEM (DAMSM) and STREAM if needed, then train MirrorGAN; writes checkpoints, samples, metrics and report.html')
    .addOption(new Option('--preset <name>', 'starting configuration').choices(['cpu', 'birds', 'coco']))
    .option('--cfg <file>', 'YAML config (official field names such as TRAIN.BATCH_SIZE work); repeatable', collect, [])
    .option('--set <key=value>', 'override one field (e.g. train.batchSize=8 or GAN.GF_DIM=16); repeatable', collect, [])
    .option('--out <dir>', 'run folder (default runs/<preset>-<date>)')
    .option('--resume', 'continue the run in --out from its latest checkpoints')
    .option('--no-progress', 'no progress bars or lines on stderr')
    .action(async (opts: { preset?: string; cfg: string[]; set: string[]; out?: string; resume?: boolean; progress: boolean }) => {
      if (opts.resume && !opts.out) throw Object.assign(new Error('--resume needs --out <run folder>'), { code: 'ERR_INVALID_ARG' });
      const files = [...opts.cfg];
      // A resumed run starts from its own resolved config; flags still override it.
      if (opts.resume) files.unshift(path.join(opts.out!, 'config.json'));
      const config = resolveConfig({ preset: opts.preset, files, set: opts.set });
      if (config.train.threads > 0) setNumThreads(config.train.threads);
      const runDir = opts.out ?? path.join('runs', `${config.preset}-${stamp()}`);
      const controller = new AbortController();
      const stop = () => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\nmirrorgan: stopping after this step (press Ctrl-C again to quit at once) ...\n');
        controller.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        const r = await trainPipeline({ config, runDir, resume: opts.resume, progress: opts.progress, signal: controller.signal });
        const fmt = (s: number) => `${(s / 60).toFixed(1)} min`;
        const out = [
          `run        ${r.runDir}`,
          r.damsm ? `STEM       DAMSM ${r.damsm.epochs} epochs, ${fmt(r.damsm.seconds)}${r.damsm.final ? `, test R@1 text->image ${(100 * (r.damsm.final.val?.r1_t2i ?? 0)).toFixed(1)} %` : ''}` : 'STEM       given (train.netE)',
          r.stream ? `STREAM     ${fmt(r.stream.seconds)}` : config.train.streamWeight > 0 ? 'STREAM     given (train.captioner)' : 'STREAM     off (streamWeight = 0)',
          `MirrorGAN  ${r.gan.iterations} iterations, ${r.gan.epochs} epochs, ${fmt(r.gan.seconds)}; last ${Object.entries(r.gan.lastLosses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ')}`,
          `checkpoint ${r.gan.checkpoint}`,
          r.report ? `report     ${r.report}` : '',
          `total      ${fmt(r.seconds)}`,
        ];
        if (r.gan.stopped) out.push(`stopped early; continue with: npx mirrorgan train --resume --out ${r.runDir}`);
        process.stdout.write(out.filter(Boolean).join('\n') + '\n');
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
