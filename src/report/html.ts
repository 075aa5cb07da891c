// SPDX-License-Identifier: MIT
/**
 * `<run>/report.html`: one self-contained page about a training run, viewable offline. Inline
 * CSS, charts as inline SVG, sample grids as base64 data URIs; no scripts, fonts or network.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import { invalidArg } from '../../lib/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { canUseLogScale, renderChart } from './chart.js';
import { evaluationSection, latestEvaluation } from './evaluation.js';
import { escapeHtml, formatDuration, formatNumber } from './format.js';
import { assertRunFolder, readRunMetrics } from './run_folder.js';
import { listSampleGrids, readPngHeader, selectEvenly, type SampleGrid } from './samples.js';
import { groupSeries } from './series.js';
import { summarize, type RunSummary } from './summary.js';

/** Options of {@link writeReport} and {@link renderReport}. */
export interface ReportOptions {
  /**
   * Most sample grids embedded, evenly spaced over the run and always including the last; 0
   * embeds none. Default 12.
   */
  maxSamples?: number;
  /** EMA smoothing of the loss and speed curves in [0, 1); 0 draws raw curves only. Default 0.6. */
  smoothing?: number;
  /** Logarithmic y axis on loss charts (charts with values ≤ 0 stay linear). Default false. */
  logY?: boolean;
  /** Where to write the page. Default `<run>/report.html`. */
  output?: string;
  /** Page title. Default `MirrorGAN run <folder name>`. */
  title?: string;
  /** The time printed as "generated". Default now. */
  now?: Date;
}

/** Default of {@link ReportOptions.maxSamples}. */
export const DEFAULT_MAX_SAMPLES = 12;
/** Default of {@link ReportOptions.smoothing}. */
export const DEFAULT_SMOOTHING = 0.6;

const CSS = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5c6474; --bg: #ffffff; --panel: #f5f6f8; --line: #d5d9e0; --warn: #9a5b00; }
@media (prefers-color-scheme: dark) { :root { --fg: #e3e6eb; --muted: #9aa3b2; --bg: #15181d; --panel: #1d2128; --line: #343a45; --warn: #f0b24a; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 12px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
.meta, .note { color: var(--muted); } .warn { color: var(--warn); }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 3px 12px 3px 0; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; } thead th { border-bottom: 1px solid var(--line); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 16px; }
.chart-box { background: var(--panel); border-radius: 6px; padding: 10px 12px; }
svg.chart { width: 100%; height: auto; display: block; font: 11px system-ui, sans-serif; }
svg.chart text { fill: var(--fg); } svg.chart .axis text { fill: var(--muted); }
svg.chart .grid line { stroke: var(--line); stroke-width: 1; } svg.chart .axis path { stroke: var(--muted); }
svg.chart .curves path { fill: none; stroke-width: 1.6; stroke-linejoin: round; } svg.chart .curves path.raw { stroke-width: 1; opacity: 0.25; }
figure.grid { margin: 0 0 28px; } figure.grid img { display: block; max-width: 100%; height: auto; image-rendering: pixelated; border: 1px solid var(--line); }
figure.grid figcaption { font-weight: 600; margin-bottom: 6px; }
ol.captions { display: grid; gap: 2px 8px; margin: 6px 0 0; padding: 0; list-style: none; font-size: 12px; max-width: 100%; }
ol.captions li { overflow-wrap: anywhere; } ol.captions li::before { content: counter(list-item) ". "; color: var(--muted); }
pre { background: var(--panel); padding: 12px; border-radius: 6px; overflow: auto; font-size: 12px; }
details summary { cursor: pointer; }
`;

function resolveOptions(options: ReportOptions): { maxSamples: number; smoothing: number; logY: boolean } {
  const maxSamples = options.maxSamples ?? DEFAULT_MAX_SAMPLES;
  if (!Number.isInteger(maxSamples) || maxSamples < 0) throw invalidArg('maxSamples', 'integer of at least 0', maxSamples);
  const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) throw invalidArg('smoothing', 'number in [0, 1)', smoothing);
  return { maxSamples, smoothing, logY: options.logY ?? false };
}

function summaryTable(s: RunSummary, samples: { shown: number; total: number }): string {
  const rows: Array<[string, string]> = [
    ['iterations', s.lastIteration === undefined ? '–' : String(s.lastIteration)],
    ['last epoch', s.lastEpoch === undefined ? '–' : String(s.lastEpoch)],
    ['training time', formatDuration(s.elapsed)],
    ['speed (median)', s.medianItPerSec === undefined ? '–' : `${formatNumber(s.medianItPerSec)} it/s`],
  ];
  if (s.firstTime !== undefined && s.lastTime !== undefined) {
    rows.push(['wall clock', `${new Date(s.firstTime * 1000).toISOString()} → ${new Date(s.lastTime * 1000).toISOString()}`]);
  }
  for (const [phase, epochs] of Object.entries(s.pretrainEpochs)) rows.push([`pretraining ${phase}`, `${epochs} epochs`]);
  rows.push(['iteration records', String(s.iterationRecords)]);
  rows.push(['sample grids', samples.total === samples.shown ? String(samples.total) : `${samples.total} (${samples.shown} shown)`]);
  const body = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td class="num" data-field="${escapeHtml(k)}">${escapeHtml(v)}</td></tr>`).join('\n');
  const notes: string[] = [];
  if (s.skippedLines) notes.push(`<p class="warn">${s.skippedLines} line(s) of metrics.jsonl could not be read and were skipped (a truncated last line is normal for a run stopped mid-write).</p>`);
  if (s.unknownRecords) notes.push(`<p class="note">${s.unknownRecords} record(s) of unknown type were ignored.</p>`);
  return `<table class="summary">\n${body}\n</table>\n${notes.join('\n')}`;
}

function lossTable(s: RunSummary): string {
  if (!s.losses.length) return '';
  const hasEpoch = s.losses.some((l) => l.lastEpochMean !== undefined);
  const head = `<thead><tr><th>loss</th><th class="num">last</th><th class="num">at iteration</th><th class="num">lowest</th><th class="num">at iteration</th>${hasEpoch ? '<th class="num">last epoch mean</th>' : ''}</tr></thead>`;
  const body = s.losses
    .map(
      (l) =>
        `<tr data-loss="${escapeHtml(l.name)}"><th>${escapeHtml(l.name)}</th><td class="num">${formatNumber(l.last)}</td><td class="num">${l.lastIteration}</td>` +
        `<td class="num">${formatNumber(l.min)}</td><td class="num">${l.minIteration}</td>${hasEpoch ? `<td class="num">${formatNumber(l.lastEpochMean)}</td>` : ''}</tr>`,
    )
    .join('\n');
  return `<table class="losses">\n${head}\n<tbody>\n${body}\n</tbody>\n</table>`;
}

async function sampleFigure(grid: SampleGrid): Promise<string> {
  const png = await fs.readFile(grid.pngPath);
  const header = readPngHeader(png);
  const info = grid.info;
  const heading = [`iteration ${grid.iteration}`];
  if (info?.epoch !== undefined) heading.push(`epoch ${info.epoch}`);
  // Small grids are shown at twice their size, pixelated, so 64 px samples stay legible.
  const scale = header && header.width <= 400 ? 2 : 1;
  const size = header ? ` width="${header.width * scale}" height="${header.height * scale}"` : '';
  const img = `<img src="data:image/png;base64,${png.toString('base64')}"${size} alt="sample grid at iteration ${grid.iteration}">`;
  let captions = '';
  if (info && info.captions.length) {
    const cols = info.cols !== undefined && info.cols >= 1 ? Math.floor(info.cols) : 1;
    const width = header ? `width: ${header.width * scale}px; ` : '';
    captions =
      `<ol class="captions" style="${width}grid-template-columns: repeat(${cols}, minmax(0, 1fr))">` +
      info.captions.map((c) => `<li>${escapeHtml(c)}</li>`).join('') +
      '</ol>';
  } else {
    captions = '<p class="note">no captions (sidecar JSON missing or unreadable)</p>';
  }
  return `<figure class="grid" data-iteration="${grid.iteration}"><figcaption>${escapeHtml(heading.join(' · '))}</figcaption>${img}${captions}</figure>`;
}

async function configSection(runDir: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(path.join(runDir, 'config.json'), 'utf8');
  } catch {
    return '<p class="note">No config.json in this run folder.</p>';
  }
  let shown = text;
  let note = '';
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    note = '<p class="warn">config.json is not valid JSON; shown as written.</p>';
  }
  return `${note}<details><summary>Resolved configuration (config.json)</summary><pre>${escapeHtml(shown)}</pre></details>`;
}

/**
 * Builds the report page for a run folder and returns its HTML text (nothing is written).
 * Fails with `ERR_FILE` when the folder is missing or is not a run folder, `ERR_INVALID_ARG`
 * for bad options.
 */
export async function renderReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const { maxSamples, smoothing, logY } = resolveOptions(options);
  await assertRunFolder(runDir);
  const metrics = await readRunMetrics(runDir);
  const summary = summarize(metrics);
  const groups = groupSeries(metrics, { smoothing });
  const grids = await listSampleGrids(runDir);
  const shown = selectEvenly(grids, maxSamples);
  const name = path.basename(path.resolve(runDir));
  const title = options.title ?? `MirrorGAN run ${name}`;
  const now = options.now ?? new Date();

  const charts = groups.map((g, i) => {
    const log = logY && g.kind === 'loss';
    const note = log && !canUseLogScale(g) ? '<p class="note">linear scale: some values are zero or negative</p>' : '';
    return `<section class="chart-box" id="${escapeHtml(g.id)}"><h3>${escapeHtml(g.title)}</h3>\n${renderChart(g, `c${i}`, { logY: log })}\n${note}</section>`;
  });
  const smoothingNote = smoothing > 0 ? `Curves are smoothed (EMA ${smoothing}); raw values are drawn faint underneath.` : 'Curves show raw values.';
  const figures = await Promise.all(shown.map(sampleFigure));

  const html = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="mirrorgan-native report">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${escapeHtml(path.resolve(runDir))} · generated ${escapeHtml(now.toISOString())}</p>`,
    '<h2 id="summary">Summary</h2>',
    summaryTable(summary, { shown: shown.length, total: grids.length }),
    lossTable(summary),
    '<h2 id="evaluation">Evaluation</h2>',
    evaluationSection(await latestEvaluation(runDir), path.dirname(path.resolve(options.output ?? path.join(runDir, 'report.html'))), runDir),
    '<h2 id="curves">Curves</h2>',
    charts.length ? `<p class="note">${escapeHtml(smoothingNote)}</p>\n<div class="charts">\n${charts.join('\n')}\n</div>` : '<p class="note">No training metrics yet.</p>',
    '<h2 id="samples">Samples</h2>',
    grids.length
      ? `<p class="note">${shown.length === grids.length ? `All ${grids.length} sample grid(s)` : `${shown.length} of ${grids.length} sample grids, evenly spaced over the run, including the last`}, oldest first. Captions are listed in row-major grid order.</p>\n${figures.join('\n')}`
      : '<p class="note">No sample grids yet.</p>',
    '<h2 id="config">Configuration</h2>',
    await configSection(runDir),
    '</main>',
    '</body>',
    '</html>',
    '',
  ];
  return html.join('\n');
}

/**
 * Writes the report page for a run folder (atomically: temporary file, then rename) and returns
 * its path, `<run>/report.html` unless `options.output` says otherwise.
 */
export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const html = await renderReport(runDir, options);
  const output = options.output ?? path.join(runDir, 'report.html');
  await writeFileAtomic(output, html);
  return output;
}
