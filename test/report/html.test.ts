// SPDX-License-Identifier: MIT
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { renderChart, downsample } from '../../src/report/chart.js';
import { formatDuration, formatNumber } from '../../src/report/format.js';
import { renderReport, writeReport } from '../../src/report/html.js';
import { parseMetrics } from '../../src/report/metrics.js';
import { readPngHeader, selectEvenly } from '../../src/report/samples.js';
import { groupSeries } from '../../src/report/series.js';
import { DEFAULT_CAPTIONS, fakeLosses, makeRun, solidPng, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;
const imageIterations = (html: string): number[] => [...html.matchAll(/<figure class="grid" data-iteration="(\d+)">/g)].map((m) => Number(m[1]));

describe('writeReport', () => {
  it('writes a self-contained page: charts, escaped captions, embedded grids, summary, config', async () => {
    const run = join(dir, 'two-stage');
    await makeRun(run, { stages: 2, iterations: 100, sampleEvery: 10 });
    const file = await writeReport(run, { now: new Date('2024-11-28T00:00:00Z') });
    expect(file).toBe(join(run, 'report.html'));
    const html = await readFile(file, 'utf8');

    // Self-contained: nothing fetched, no scripts.
    expect(html).not.toMatch(/http/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/@import|@font-face/);
    for (const m of html.matchAll(/\bsrc="([^"]*)"/g)) expect(m[1]).toMatch(/^data:image\/png;base64,/);
    for (const m of html.matchAll(/url\(([^)]*)\)/g)) expect(m[1]).toMatch(/^#clip-/);

    // One <svg> per chart: D, G, KL, STREAM, DAMSM, lr, speed, DAMSM pretraining losses,
    // STREAM pretraining losses and validation.
    expect(count(html, /<svg\b/g)).toBe(10);
    expect(count(html, /<section class="chart-box"/g)).toBe(10);
    expect(html).toContain('id="loss-D"');
    expect(html).toContain('id="pretrain-stream-val"');

    // All 11 grids (iterations 0, 10, ..., 100), oldest first, each with its 8 captions, escaped.
    expect(count(html, /<img src="data:image\/png;base64,/g)).toBe(11);
    expect(imageIterations(html)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(html).toContain('<li>a blue &lt;b&gt;circle&lt;/b&gt; &amp; &quot;star&quot;</li>');
    expect(html).toContain('<li>a pink &#39;flower&#39;</li>');
    expect(html).not.toContain('<b>circle');
    expect(count(html, /<li>/g)).toBe(11 * DEFAULT_CAPTIONS.length);
    expect(html).toContain('grid-template-columns: repeat(4, minmax(0, 1fr))');

    // The embedded bytes are the grid PNG as written.
    const last = /<figure class="grid" data-iteration="100">.*?base64,([^"]+)"/s.exec(html)![1];
    expect(Buffer.from(last, 'base64').equals(await readFile(join(run, 'samples', 'iter_000100.png')))).toBe(true);
    expect(html).toContain('width="84" height="44"');

    // Summary numbers.
    expect(html).toMatch(/data-field="iterations">100</);
    expect(html).toMatch(/data-field="last epoch">3</);
    expect(html).toMatch(/data-field="training time">3 min 20 s</);
    expect(html).toMatch(/data-field="speed \(median\)">0.5 it\/s</);
    expect(html).toMatch(/data-field="pretraining damsm">2 epochs</);
    expect(html).toMatch(/data-field="sample grids">11</);
    const d0 = fakeLosses(100, 2).D0;
    expect(formatNumber(d0)).toBe('1.091');
    expect(html).toMatch(new RegExp(`<tr data-loss="D0"><th>D0</th><td class="num">1.091</td><td class="num">100</td><td class="num">1.091</td><td class="num">100</td><td class="num">1.091</td></tr>`));
    expect(html).toMatch(/<tr data-loss="DAMSM"><th>DAMSM<\/th><td class="num">0<\/td><td class="num">100<\/td><td class="num">0<\/td><td class="num">1<\/td>/);
    expect(html).toContain('1 line(s) of metrics.jsonl could not be read');

    // Config, escaped, collapsible.
    expect(html).toContain('<details><summary>Resolved configuration (config.json)</summary>');
    expect(html).toContain('&quot;note&quot;: &quot;x &lt; y &amp;&amp; z&quot;');
    expect(html).toContain('generated 2024-11-28T00:00:00.000Z');

    // Atomic write: no temporary file left behind; a second write replaces the page.
    await writeReport(run, { maxSamples: 2 });
    expect((await readdir(run)).filter((f) => f.includes('report'))).toEqual(['report.html']);
    expect(imageIterations(await readFile(file, 'utf8'))).toEqual([0, 100]);
  });

  it('embeds at most maxSamples grids, evenly spaced, always the last (3 stages)', async () => {
    const run = join(dir, 'three-stage');
    await makeRun(run, { stages: 3, iterations: 200, sampleEvery: 10 });
    const html = await renderReport(run);
    expect(imageIterations(html)).toHaveLength(12);
    expect(imageIterations(html)[0]).toBe(0);
    expect(imageIterations(html).at(-1)).toBe(200);
    expect(imageIterations(html)).toEqual([...imageIterations(html)].sort((a, b) => a - b));
    expect(html).toMatch(/data-field="sample grids">21 \(12 shown\)</);
    expect(html).toContain('12 of 21 sample grids');
    expect(count(html, /<svg\b/g)).toBe(10);
    expect(html).toContain('<tr data-loss="G_adv2">');
    expect(html).toContain('<tr data-loss="D2">');
    expect(imageIterations(await renderReport(run, { maxSamples: 1 }))).toEqual([200]);
    expect(imageIterations(await renderReport(run, { maxSamples: 0 }))).toEqual([]);
  });

  it('draws log-scale loss axes when asked and stays linear where values are zero', async () => {
    const run = join(dir, 'two-stage');
    const html = await renderReport(run, { logY: true, smoothing: 0 });
    expect(count(html, /loss \(log scale\)/g)).toBe(6); // D, G, KL, STREAM and the two pretraining loss charts
    expect(count(html, /value \(log scale\)/g)).toBe(0); // validation metrics stay linear
    expect(html).not.toMatch(/learning rate \(log scale\)|iterations \/ s \(log scale\)/);
    expect(html).toContain('linear scale: some values are zero or negative'); // DAMSM = 0
    expect(html).not.toContain('class="raw"');
    expect(html).toContain('Curves show raw values.');
    const smoothed = await renderReport(run, { smoothing: 0.9 });
    expect(smoothed).toContain('class="raw"');
  });

  it('reports a run that has only just started', async () => {
    const run = join(dir, 'fresh');
    await mkdir(run);
    await writeFile(join(run, 'config.json'), '{"broken": ');
    const html = await renderReport(run);
    expect(html).toContain('No training metrics yet.');
    expect(html).toContain('No sample grids yet.');
    expect(html).toContain('config.json is not valid JSON; shown as written.');
    expect(count(html, /<svg\b/g)).toBe(0);
  });

  it('tolerates a grid without a sidecar and ignores temporary files', async () => {
    const run = join(dir, 'nosidecar');
    await mkdir(join(run, 'samples'), { recursive: true });
    await writeFile(join(run, 'samples', 'iter_000005.png'), solidPng(10, 6, [1, 2, 3]));
    await writeFile(join(run, 'samples', 'iter_000006.png.tmp'), 'partial');
    await writeFile(join(run, 'samples', 'iter_000007.json'), '{}');
    const html = await renderReport(run);
    expect(imageIterations(html)).toEqual([5]);
    expect(html).toContain('no captions (sidecar JSON missing or unreadable)');
  });

  it('fails with ERR_FILE for a missing or non-run folder and ERR_INVALID_ARG for bad options', async () => {
    await expect(writeReport(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ERR_FILE', message: expect.stringContaining('Run folder not found') });
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await expect(writeReport(empty)).rejects.toMatchObject({ code: 'ERR_FILE', message: expect.stringContaining('is not a run folder') });
    await expect(writeReport(join(dir, 'two-stage'), { maxSamples: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(writeReport(join(dir, 'two-stage'), { smoothing: 1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });
});

describe('charts', () => {
  it('keeps long runs small: at most about two points per pixel column, spikes kept', () => {
    const lines: string[] = [];
    for (let i = 1; i <= 20000; i++) lines.push(JSON.stringify({ type: 'iteration', iteration: i, loss: { D0: i === 12345 ? 100 : 1 + (i % 7) / 10 } }));
    const [group] = groupSeries(parseMetrics(lines.join('\n')));
    const svg = renderChart(group, 'x');
    const path = /<path d="([^"]+)"/.exec(svg.slice(svg.indexOf('class="curves"')))![1];
    const points = path.split(/[ML]/).filter(Boolean).length;
    expect(points).toBeLessThanOrEqual(2 * 720 + 1);
    expect(points).toBeGreaterThan(500);
    expect(svg.length).toBeLessThan(40_000);
    expect(downsample(group.series[0].points, 600).some((p) => p.y === 100)).toBe(true);
    expect(svg).toMatch(/>100</); // the y axis reaches the spike
  });

  it('draws a single point and a constant series without dividing by zero', () => {
    const [g] = groupSeries(parseMetrics('{"type":"iteration","iteration":7,"loss":{"D0":2}}'));
    const svg = renderChart(g, 'one', { logY: true });
    expect(svg).toContain('<circle');
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('Infinity');
  });

  it('draws values one float step apart (a smoothed single loss) with a bounded axis', () => {
    // 56.22386169433594 and its next double: a step of span / 5 cannot move a sum at this
    // magnitude, which once made the tick loop run until V8 gave up on the array.
    const y = 56.22386169433594;
    const group = {
      id: 'loss-x', title: 'x', xLabel: 'iteration', yLabel: 'loss', kind: 'loss' as const,
      series: [{ name: 'DAMSM', points: [{ x: 1, y }], smoothed: [{ x: 1, y: y + 7.105427357601002e-15 }] }],
    };
    for (const logY of [false, true]) {
      const svg = renderChart(group, `tiny${logY}`, { logY });
      expect(svg).toContain('<circle');
      expect(svg).not.toContain('NaN');
      expect((svg.match(/<text/g) ?? []).length).toBeLessThan(40);
    }
  });
});

describe('helpers', () => {
  it('selectEvenly spaces picks and always keeps the last', () => {
    const items = Array.from({ length: 21 }, (_, i) => i);
    expect(selectEvenly(items, 5)).toEqual([0, 5, 10, 15, 20]);
    expect(selectEvenly(items, 1)).toEqual([20]);
    expect(selectEvenly(items, 0)).toEqual([]);
    expect(selectEvenly([1, 2], 12)).toEqual([1, 2]);
    const twelve = selectEvenly(Array.from({ length: 13 }, (_, i) => i), 12);
    expect(new Set(twelve).size).toBe(12);
    expect(twelve.at(-1)).toBe(12);
  });

  it('reads PNG headers and formats numbers and durations', () => {
    expect(readPngHeader(solidPng(42, 22, [0, 0, 0]))).toEqual({ width: 42, height: 22, colorType: 6 });
    expect(readPngHeader(Buffer.from('not a png at all, really not'))).toBeNull();
    expect([formatNumber(8.4), formatNumber(0.0002), formatNumber(1.23456), formatNumber(2e-7), formatNumber(undefined)]).toEqual(['8.4', '0.0002', '1.235', '2e-7', '–']);
    expect([formatDuration(42.25), formatDuration(812.3), formatDuration(7500)]).toEqual(['42.3 s', '13 min 32 s', '2 h 05 min']);
  });
});
