// SPDX-License-Identifier: MIT
/**
 * `<eval folder>/index.html`: one self-contained page per evaluation (inline CSS, the sample grid
 * as a base64 PNG, no scripts): what was evaluated, every metric with its spread, sample count,
 * protocol version and how far it compares with published numbers, and what was skipped and why.
 */
import sharp from 'sharp';
import { escapeHtml, formatDuration } from '../report/format.js';
import type { EvalReport } from './evaluate.js';
import { formatMetric } from './metrics.js';
import type { SampleSet } from './samples.js';

const GRID_COLUMNS = 8;
const GAP = 2;

/** The first `max` images of a set as one PNG grid (8 per row, 2 px white gutters), or null for none. */
export async function sampleGrid(set: SampleSet, max: number): Promise<Buffer | null> {
  const n = Math.min(max, set.files.length);
  if (n === 0) return null;
  const S = set.imageSize;
  const cols = Math.min(GRID_COLUMNS, n);
  const rows = Math.ceil(n / cols);
  const tiles = await Promise.all(set.files.slice(0, n).map((f) => sharp(f).flatten({ background: '#ffffff' }).resize(S, S, { fit: 'cover' }).png().toBuffer()));
  return sharp({ create: { width: cols * S + (cols + 1) * GAP, height: rows * S + (rows + 1) * GAP, channels: 3, background: '#ffffff' } })
    .composite(tiles.map((input, i) => ({ input, left: GAP + (i % cols) * (S + GAP), top: GAP + Math.floor(i / cols) * (S + GAP) })))
    .png().toBuffer();
}

const CSS = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5c6474; --bg: #fff; --line: #d5d9e0; }
@media (prefers-color-scheme: dark) { :root { --fg: #e3e6eb; --muted: #9aa3b2; --bg: #15181d; --line: #343a45; } }
body { margin: 0; padding: 24px; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; } h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid var(--line); }
table { border-collapse: collapse; } th, td { padding: 4px 12px 4px 0; text-align: left; vertical-align: top; } thead th { border-bottom: 1px solid var(--line); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; } .note, .meta { color: var(--muted); font-size: 12px; }
img.grid { image-rendering: pixelated; border: 1px solid var(--line); max-width: 100%; }
ol.captions { columns: 2; font-size: 12px; }
`;

export function renderEvalHtml(report: EvalReport, grid: Buffer | null, captions: readonly string[]): string {
  const s = report.samples;
  const rows = report.metrics.map((m) =>
    `<tr data-metric="${escapeHtml(m.key)}"><th>${escapeHtml(m.label)}</th><td class="num">${escapeHtml(formatMetric(m))}</td>` +
    `<td class="num">${m.better === 'higher' ? '↑' : '↓'}</td><td class="num">${m.samples}</td>` +
    `<td><span class="note">${escapeHtml(m.protocol)}</span></td><td><span class="note">${escapeHtml(m.comparable)}</span></td></tr>`);
  const skipped = report.skipped.map((x) => `<li><b>${escapeHtml(x.metric)}</b>: ${escapeHtml(x.reason)}</li>`);
  const what = [
    ['run', report.run],
    ['checkpoint', report.checkpoint ? `iteration ${report.checkpoint.iteration} (${report.checkpoint.dir}), EMA generator` : '–'],
    ['samples', `${s.count} ${s.source === 'generated' ? `generated (seed ${s.seed}) from captions of the ${s.split} split` : `images from ${s.dir}`}, ${s.imageSize} px`],
    ['networks', Object.entries(report.networks).map(([k, v]) => `${k}: ${v}`).join('; ') || '–'],
    ['time', `samples ${formatDuration(report.seconds.samples)}, scoring ${formatDuration(report.seconds.scoring)}, probe ${formatDuration(report.seconds.probe)}, total ${formatDuration(report.seconds.total)}`],
    ['written', report.createdAt],
  ];
  return [
    '<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
    `<title>MirrorGAN evaluation ${escapeHtml(report.out)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>', '<main>',
    '<h1>MirrorGAN evaluation</h1>',
    `<table class="what">${what.map(([k, v]) => `<tr><th>${escapeHtml(k!)}</th><td>${escapeHtml(v!)}</td></tr>`).join('')}</table>`,
    '<h2 id="metrics">Metrics</h2>',
    rows.length
      ? `<table class="metrics"><thead><tr><th>metric</th><th class="num">value</th><th></th><th class="num">samples</th><th>protocol (version)</th><th>compares with</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`
      : '<p class="note">No metric was computed.</p>',
    skipped.length ? `<h3>Skipped</h3><ul>${skipped.join('')}</ul>` : '',
    '<h2 id="samples">Samples</h2>',
    grid
      ? `<p class="note">The first ${captions.length} samples, row by row.</p><img class="grid" alt="sample grid" src="data:image/png;base64,${grid.toString('base64')}">` +
        `<ol class="captions">${captions.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ol>`
      : '<p class="note">No samples.</p>',
    '</main>', '</body>', '</html>', '',
  ].join('\n');
}
