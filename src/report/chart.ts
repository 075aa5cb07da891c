// SPDX-License-Identifier: MIT
/**
 * Line charts as inline SVG, no scripts: axes with nice ticks, grid lines, a legend, a linear
 * or logarithmic y axis, raw curves drawn faint under their smoothed version. Long curves are
 * reduced to a few points per pixel column (keeping each column's minimum and maximum, so
 * spikes stay visible) to keep the page small.
 */
import { escapeHtml, formatNumber } from './format.js';
import type { Point, SeriesGroup } from './series.js';

/** Options of {@link renderChart}. */
export interface ChartOptions {
  /** Width of the drawing in CSS pixels (it scales down to fit the page). Default 720. */
  width?: number;
  /** Height in CSS pixels. Default 300. */
  height?: number;
  /**
   * Logarithmic y axis. Ignored (linear is used) when a value is zero or negative; check with
   * {@link canUseLogScale}. Default false.
   */
  logY?: boolean;
}

/** Line colours, in series order (Tableau 10). */
export const CHART_COLORS: readonly string[] = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
];

const MARGIN = { left: 72, right: 18, bottom: 42 };
const LEGEND_ROW = 18;
const CHAR_WIDTH = 7;

function allPoints(group: SeriesGroup): Point[] {
  return group.series.flatMap((s) => (s.smoothed ? [...s.points, ...s.smoothed] : s.points));
}

/** Whether a group can be drawn on a log y axis (it has data and every value is positive). */
export function canUseLogScale(group: SeriesGroup): boolean {
  const pts = allPoints(group);
  return pts.length > 0 && pts.every((p) => p.y > 0);
}

/** A "nice" step (1, 2 or 5 times a power of ten) giving about `count` intervals over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/** Rounds away float noise (0.30000000000000004 → 0.3) relative to the step. */
function clean(v: number, step: number): number {
  const digits = Math.max(0, Math.min(20, -Math.floor(Math.log10(step)) + 2));
  return Number(v.toFixed(digits));
}

function linearTicks(lo: number, hi: number, count: number, integer = false): { lo: number; hi: number; ticks: number[] } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { lo: 0, hi: 1, ticks: [0, 1] };
  // A span below float resolution (two records a microsecond apart on a wall-clock axis of
  // ~1.8e9 s) would give a step that adding cannot move: treat it as a single value.
  if (!(hi - lo > Math.max(Math.abs(lo), Math.abs(hi)) * 1e-9)) {
    const mid = (lo + hi) / 2;
    const pad = mid === 0 ? 1 : Math.abs(mid) * 0.1;
    lo = mid - pad;
    hi = mid + pad;
  }
  let step = niceStep(hi - lo, count);
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(lo / step) * step;
  const n = Math.round((Math.ceil(hi / step) * step - first) / step);
  // Ticks by index, not by repeated addition: the count is bounded whatever the floats do.
  const ticks = Array.from({ length: n + 1 }, (_, k) => clean(first + k * step, step));
  return { lo: ticks[0], hi: ticks[ticks.length - 1], ticks };
}

function logTicks(lo: number, hi: number): { lo: number; hi: number; ticks: number[] } {
  let a = Math.log10(lo);
  let b = Math.log10(hi);
  if (b - a < 1) {
    // Less than a decade: nice linear values, placed on the log scale.
    const mid = (a + b) / 2;
    const half = Math.max((b - a) / 2, 0.05) * 1.08;
    a = mid - half;
    b = mid + half;
    const [l, h] = [10 ** a, 10 ** b];
    return { lo: l, hi: h, ticks: linearTicks(l, h, 6).ticks.filter((v) => v > 0 && v >= l && v <= h) };
  }
  const [l, h] = [10 ** Math.floor(a), 10 ** Math.ceil(b)];
  const mantissas = b - a < 3 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((b - a) / 8));
  const ticks: number[] = [];
  for (let k = Math.floor(a); k <= Math.ceil(b); k++) {
    if ((k - Math.floor(a)) % every !== 0) continue;
    for (const m of mantissas) {
      const v = Number((m * 10 ** k).toPrecision(6));
      if (v >= l * 0.999 && v <= h * 1.001) ticks.push(v);
    }
  }
  return { lo: l, hi: h, ticks };
}

/**
 * Keeps at most about `buckets * 2` points: per bucket of equal x width, the points with the
 * smallest and the largest y, in x order. Shorter inputs are returned unchanged.
 */
export function downsample(points: readonly Point[], buckets: number): Point[] {
  if (points.length <= buckets * 2) return [...points];
  const x0 = points[0].x;
  const width = (points[points.length - 1].x - x0) / buckets || 1;
  const out: Point[] = [];
  let i = 0;
  while (i < points.length) {
    const b = Math.min(buckets - 1, Math.floor((points[i].x - x0) / width));
    let min = i;
    let max = i;
    let j = i;
    while (j < points.length && Math.min(buckets - 1, Math.floor((points[j].x - x0) / width)) === b) {
      if (points[j].y < points[min].y) min = j;
      if (points[j].y > points[max].y) max = j;
      j++;
    }
    for (const k of min === max ? [min] : [Math.min(min, max), Math.max(min, max)]) out.push(points[k]);
    i = j;
  }
  const lastPoint = points[points.length - 1];
  if (out[out.length - 1] !== lastPoint) out.push(lastPoint);
  return out;
}

const r1 = (v: number): string => String(Math.round(v * 10) / 10);

/** Lays legend items out left to right, wrapping; returns the SVG and the height it takes. */
function legend(names: string[], width: number): { svg: string; height: number } {
  let x = MARGIN.left;
  let row = 0;
  const parts: string[] = [];
  names.forEach((name, i) => {
    const w = 22 + name.length * CHAR_WIDTH + 16;
    if (x + w > width - MARGIN.right && x > MARGIN.left) {
      row++;
      x = MARGIN.left;
    }
    const y = 12 + row * LEGEND_ROW;
    parts.push(
      `<line x1="${x}" y1="${y}" x2="${x + 16}" y2="${y}" stroke="${CHART_COLORS[i % CHART_COLORS.length]}" stroke-width="3"/>` +
        `<text x="${x + 22}" y="${y + 4}">${escapeHtml(name)}</text>`,
    );
    x += w;
  });
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: (row + 1) * LEGEND_ROW + 8 };
}

/**
 * Renders one chart as an `<svg class="chart">` element (no XML namespace needed inline in
 * HTML). `uid` must be unique in the page: it names the plot's clip path.
 */
export function renderChart(group: SeriesGroup, uid: string, options: ChartOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 300;
  const logY = (options.logY ?? false) && canUseLogScale(group);
  const pts = allPoints(group);
  const { svg: legendSvg, height: top } = legend(group.series.map((s) => s.name), width);
  const plot = { x: MARGIN.left, y: top, w: width - MARGIN.left - MARGIN.right, h: height - top - MARGIN.bottom };

  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yMin = ys.length ? Math.min(...ys) : 0;
  const yMax = ys.length ? Math.max(...ys) : 1;
  const xt = linearTicks(xMin, xMax, 6, xs.every(Number.isInteger));
  const yt = logY ? logTicks(yMin, yMax) : linearTicks(yMin, yMax, 5);

  const sx = (x: number): number => plot.x + ((x - xt.lo) / (xt.hi - xt.lo)) * plot.w;
  const sy = logY
    ? (y: number): number => plot.y + plot.h - ((Math.log10(y) - Math.log10(yt.lo)) / (Math.log10(yt.hi) - Math.log10(yt.lo))) * plot.h
    : (y: number): number => plot.y + plot.h - ((y - yt.lo) / (yt.hi - yt.lo)) * plot.h;

  const out: string[] = [];
  out.push(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`,
    `<title>${escapeHtml(group.title)}</title>`,
    `<defs><clipPath id="clip-${escapeHtml(uid)}"><rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}"/></clipPath></defs>`,
    legendSvg,
  );

  const grid: string[] = [];
  const labels: string[] = [];
  for (const t of yt.ticks) {
    const y = r1(sy(t));
    grid.push(`<line x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}"/>`);
    labels.push(`<text x="${plot.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(formatNumber(t))}</text>`);
  }
  for (const t of xt.ticks) {
    const x = r1(sx(t));
    grid.push(`<line x1="${x}" y1="${plot.y}" x2="${x}" y2="${plot.y + plot.h}"/>`);
    labels.push(`<text x="${x}" y="${plot.y + plot.h + 16}" text-anchor="middle">${escapeHtml(formatNumber(t))}</text>`);
  }
  out.push(`<g class="grid">${grid.join('')}</g>`);
  out.push(
    `<g class="axis"><path d="M${plot.x} ${plot.y}V${plot.y + plot.h}H${plot.x + plot.w}" fill="none"/>${labels.join('')}</g>`,
    `<text class="axis-label" x="${r1(plot.x + plot.w / 2)}" y="${height - 6}" text-anchor="middle">${escapeHtml(group.xLabel)}</text>`,
    `<text class="axis-label" transform="translate(12 ${r1(plot.y + plot.h / 2)}) rotate(-90)" text-anchor="middle">${escapeHtml(group.yLabel + (logY ? ' (log scale)' : ''))}</text>`,
  );

  const buckets = Math.max(1, Math.round(plot.w));
  const line = (p: readonly Point[]): string => downsample(p, buckets).map((q, i) => `${i ? 'L' : 'M'}${r1(sx(q.x))} ${r1(sy(q.y))}`).join('');
  const curves: string[] = [];
  group.series.forEach((s, i) => {
    const color = CHART_COLORS[i % CHART_COLORS.length];
    if (s.points.length === 1) {
      curves.push(`<circle cx="${r1(sx(s.points[0].x))}" cy="${r1(sy(s.points[0].y))}" r="3" fill="${color}"/>`);
      return;
    }
    if (s.smoothed) curves.push(`<path class="raw" d="${line(s.points)}" stroke="${color}"/>`);
    curves.push(`<path d="${line(s.smoothed ?? s.points)}" stroke="${color}"><title>${escapeHtml(s.name)}</title></path>`);
  });
  out.push(`<g class="curves" clip-path="url(#clip-${escapeHtml(uid)})">${curves.join('')}</g>`, '</svg>');
  return out.join('\n');
}
