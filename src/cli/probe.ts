// SPDX-License-Identifier: MIT
// `mirrorgan probe`: does a run trained on the built-in OpenMoji set follow colours and shapes?
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { MirrorganError } from '../../lib/errors.js';
import { dispose } from '../../lib/tensor.js';
import {
  colourShapeProbes, formatProbeLayout, formatProbeMatching, formatProbeScore, formatProbeSummary, formatProbeTextSeparation, probeLayout, probeMatching,
  probeReferenceFiles, probeTextSeparation, ProbeReferences, scoreColourShape, summariseProbeScores,
  PROBE_COLOURS,
  type Probe, type ProbeMatching, type ProbeScore,
} from '../eval/colour_shape_probe.js';
import { captionerCrossEntropies, damsmSentenceScores } from '../eval/guide_scores.js';
import { MirrorGAN } from '../model/mirrorgan.js';
import { DAMSM_FILES, loadDamsmImageEncoder } from '../stem/index.js';
import { frozenCaptioner, hasCaptioner, loadCaptioner, readCaptionImages } from '../stream/index.js';
import { integerAtLeast, resolveRunOption, runOptionHelp } from './options.js';
import { printOut } from './output.js';
import { ensureWritableFolder } from './writable.js';

export function probeCommand(): Command {
  return new Command('probe')
    .description('generate 8 colours x 3 shapes ("red circle" ... "black heart") with a run trained on OpenMoji and score colour and shape against the real emoji')
    .requiredOption('--run <folder>', runOptionHelp())
    .option('--seed <n>', 'first noise seed', integerAtLeast(0), 1)
    .option('--seeds <n>', 'score this many noise seeds (seed, seed+1, ...) and print their mean', integerAtLeast(1), 8)
    .option('-o, --out <dir>', 'also write the first seed\'s 24 images and grid.png (rows: shapes, columns: colours) here')
    .option('--json', 'print the scores as JSON')
    .option('--no-conditioning-noise', 'use the mean of the sentence code (CA_NET) instead of sampling it; z stays random')
    .action(async (opts: { run: string; seed: number; seeds: number; out?: string; json?: boolean; conditioningNoise: boolean }) => {
      const { seed, seeds } = opts;
      const runPath = await resolveRunOption(opts.run);
      if (opts.out) await ensureWritableFolder(opts.out);
      const model = await MirrorGAN.load(runPath.checkpointDir ?? opts.run);
      if (model.config.dataset.name !== 'openmoji') {
        throw new MirrorganError('ERR_INVALID_ARG', `the probe's captions and references are OpenMoji emoji; ${opts.run} was trained on '${model.config.dataset.name}'`);
      }
      const probes = colourShapeProbes();
      const words = [...new Set(probes.flatMap((p) => [p.colour, p.shape]))];
      const unknown = words.filter((w) => model.vocabulary.id(w) === undefined);
      if (unknown.length > 0) throw new MirrorganError('ERR_INVALID_ARG', `${opts.run}'s vocabulary lacks probe words: ${unknown.join(', ')}`);
      const refs = await ProbeReferences.load();
      const scores: ProbeScore[] = [];
      const pngsBySeed: Buffer[][] = [];
      for (let s = seed; s < seed + seeds; s++) {
        // All 24 share the seed's noise (sharedNoise): cells differ only by their words.
        const images = await model.generate(probes.map((p) => p.caption), { seed: s, sharedNoise: true, conditioningNoise: opts.conditioningNoise });
        const pngs = images.map((img) => img.png);
        pngsBySeed.push(pngs);
        scores.push(await scoreColourShape(refs, probes, pngs));
        if (s === seed && opts.out) {
          await MirrorGAN.writeImages(opts.out, images);
          await MirrorGAN.writeGrid(path.join(opts.out, 'grid.png'), images, PROBE_COLOURS.length);
        }
      }
      const layout = await probeLayout(probes, pngsBySeed);
      const sentences = await model.sentenceFeatures(probes.map((p) => p.caption));
      const text = probeTextSeparation(probes, sentences);
      const guides = await probeGuides(runPath.runDir as string, model, probes, sentences);
      const summary = summariseProbeScores(scores);
      if (opts.json) {
        printOut(JSON.stringify({ run: opts.run, conditioningNoise: opts.conditioningNoise, summary, layout, text, ...guides, seeds: scores.map((sc, i) => ({ seed: seed + i, ...sc })) }, null, 2));
        return;
      }
      const lines = [`seed ${seed}:`, formatProbeScore(scores[0] as ProbeScore), formatProbeSummary(summary), formatProbeLayout(layout), formatProbeTextSeparation(text)];
      if (guides.redescription) lines.push(formatProbeMatching('redescription (STREAM caption cross-entropy on the real emoji)', guides.redescription));
      if (guides.matching) lines.push(formatProbeMatching('matching (DAMSM sentence score on the real emoji)', guides.matching));
      if (opts.out) lines.push(`seed ${seed}'s images and grid.png in ${opts.out}`);
      printOut(lines.join('\n'));
    });
}

/**
 * What the run's two guides make of the 24 real emoji: the STREAM captioner (when the run uses
 * one) and the DAMSM image encoder (when it sits next to the text encoder). A guide that cannot
 * tell the real "red circle" from "red square" cannot ask the generator for either.
 */
async function probeGuides(runDir: string, model: MirrorGAN, probes: Probe[], sentences: Float32Array[]): Promise<{ redescription?: ProbeMatching; matching?: ProbeMatching }> {
  const c = model.config;
  const captions = probes.map((p) => p.caption);
  const files = probeReferenceFiles();
  const out: { redescription?: ProbeMatching; matching?: ProbeMatching } = {};
  const capDir = c.train.captioner || path.join(runDir, 'stream');
  if (c.train.streamWeight > 0 && (await hasCaptioner(capDir))) {
    const cap = await loadCaptioner(capDir, { vocabulary: model.vocabulary });
    const images = await readCaptionImages(files, cap.encoder.options.imageSize || 64);
    try {
      out.redescription = probeMatching(probes, await captionerCrossEntropies(frozenCaptioner(cap), model.vocabulary, images, captions), 'lower');
    } finally {
      dispose(images);
    }
  }
  const damsmDir = path.dirname(c.train.netE || path.join(runDir, 'damsm', DAMSM_FILES.textEncoder));
  if (fs.existsSync(path.join(damsmDir, DAMSM_FILES.state)) && fs.existsSync(path.join(damsmDir, DAMSM_FILES.imageEncoder))) {
    const encoder = await loadDamsmImageEncoder(damsmDir);
    const images = await readCaptionImages(files, c.damsm.imageSize);
    try {
      out.matching = probeMatching(probes, await damsmSentenceScores(encoder, images, sentences), 'higher');
    } finally {
      dispose(images);
    }
  }
  return out;
}
