// SPDX-License-Identifier: MIT
/** The report's link to the run's latest `mirrorgan eval` (the newest `<run>/eval/<folder>/eval.json`). */
import fs from 'node:fs/promises';
import path from 'node:path';

import { formatMetric, type MetricResult } from '../eval/metrics.js';
import { escapeHtml } from './format.js';

/** What the report shows of one evaluation. */
export interface EvaluationSummary {
  dir: string;
  createdAt: string;
  iteration: number | null;
  samples: number;
  metrics: MetricResult[];
}

/** The newest evaluation of a run (by its createdAt), or null when there is none. */
export async function latestEvaluation(runDir: string): Promise<EvaluationSummary | null> {
  const root = path.join(runDir, 'eval');
  let entries: string[];
  try {
    entries = await fs.readdir(root);
  } catch {
    return null;
  }
  let best: EvaluationSummary | null = null;
  for (const name of entries) {
    let report: { createdAt?: unknown; checkpoint?: { iteration?: unknown } | null; samples?: { count?: unknown }; metrics?: unknown };
    try {
      report = JSON.parse(await fs.readFile(path.join(root, name, 'eval.json'), 'utf8'));
    } catch {
      continue;  // not an evaluation folder, or one still running
    }
    if (typeof report.createdAt !== 'string' || !Array.isArray(report.metrics)) continue;
    if (best && report.createdAt <= best.createdAt) continue;
    best = {
      dir: path.join(root, name), createdAt: report.createdAt,
      iteration: typeof report.checkpoint?.iteration === 'number' ? report.checkpoint.iteration : null,
      samples: typeof report.samples?.count === 'number' ? report.samples.count : 0,
      metrics: report.metrics as MetricResult[],
    };
  }
  return best;
}

/** The report section: a link to the evaluation page and its numbers, or how to make one. */
export function evaluationSection(e: EvaluationSummary | null, reportDir: string, runDir: string): string {
  if (!e) return `<p class="note">No evaluation yet: <code>npx mirrorgan eval --run ${escapeHtml(runDir)}</code> (docs/evaluation.md).</p>`;
  const href = path.relative(reportDir, path.join(e.dir, 'index.html')).split(path.sep).join('/');
  const rows = e.metrics.map((m) => `<tr data-metric="${escapeHtml(m.key)}"><th>${escapeHtml(m.label)}</th><td class="num">${escapeHtml(formatMetric(m))}</td></tr>`);
  return [
    `<p>Latest evaluation: <a href="${escapeHtml(href)}">${escapeHtml(path.basename(e.dir))}</a> · ${e.samples} samples` +
      `${e.iteration === null ? '' : ` · checkpoint at iteration ${e.iteration}`} · ${escapeHtml(e.createdAt)}</p>`,
    rows.length ? `<table class="evaluation">${rows.join('')}</table>` : '',
  ].join('\n');
}
