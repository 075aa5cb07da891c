// SPDX-License-Identifier: MIT
// The page of `mirrorgan serve` in a real browser: Debian's headless Chromium driven through
// playwright-core (no browser download). Types a caption, waits for the samples, checks that
// they decode as PNGs of the model's size and that the heat maps and re-descriptions render,
// tries bad input and sees the message, and saves a screenshot. Skips only when chromium is
// missing outside CI (CI=true: it must run; .ci/run installs chromium).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { createServer } from '../../src/serve/server.js';
import { scratchDir, tinyModel } from '../helpers/tiny_model.js';

/** The system Chromium: $CHROMIUM_PATH, else the first of Debian's and Ubuntu's names on PATH. */
function findChromium(): string | null {
  const given = process.env.CHROMIUM_PATH;
  if (given) return fs.existsSync(given) ? given : null;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
    } catch {
      /* not this one */
    }
  }
  return null;
}

const executable = findChromium();
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
if (!executable && inCi) throw new Error('CI is set but no chromium was found: install it (bash scripts/setup-browser.sh) or set CHROMIUM_PATH');
if (!executable) console.warn('browser test skipped: no chromium on PATH (install it with `sudo bash scripts/setup-browser.sh`, or set CHROMIUM_PATH); CI=true makes this a failure');

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(dataUrl: string): { width: number; height: number } {
  const bytes = Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64');
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe.skipIf(!executable)('the page in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let app: ReturnType<typeof createServer>;
  const screenshots = scratchDir('screenshots');

  beforeAll(async () => {
    const gan = await MirrorGAN.load(await tinyModel('float16'));
    app = createServer(gan, { maxSamples: 4 });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: executable as string, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    // Functions run in the page: `document` through globalThis (no DOM types in this project),
    // and functions rather than strings (the page's CSP forbids eval).
    const external: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) external.push(r.url()); });
    await page.goto(`${url}/`);
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#n option').length > 0);
    expect(external).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('turns a caption into samples with PNG images, heat maps per word, re-descriptions and seeds', async () => {
    await page.fill('#caption', 'a red heart');
    await page.selectOption('#n', '3');
    await page.click('#go');
    await page.waitForSelector('.sample >> nth=2', { timeout: 60_000 });
    // Runs in the page (the elements are `any`: no DOM types here).
    const samples = await page.$$eval('.sample', (cards) => cards.map((c: any) => ({
      image: c.querySelector('img.image').src as string,
      natural: c.querySelector('img.image').naturalWidth as number,
      seed: c.querySelector('.seed').textContent as string,
      download: c.querySelector('a[download]').download as string,
      description: c.querySelector('.description').textContent as string,
      words: [...c.querySelectorAll('.attention figcaption')].map((f: any) => f.textContent as string),
      maps: [...c.querySelectorAll('.attention img')].map((i: any) => ({ src: i.src as string, natural: i.naturalWidth as number })),
    })));
    expect(samples).toHaveLength(3);
    const seeds = samples.map((s) => Number(/seed (\d+)/.exec(s.seed ?? '')![1]));
    expect([seeds[1]! - seeds[0]!, seeds[2]! - seeds[0]!]).toEqual([1, 2]);
    for (const s of samples) {
      expect(pngSize(s.image)).toEqual({ width: 128, height: 128 });
      expect(s.natural).toBe(128);  // the browser decoded it
      expect(s.download).toMatch(/^mirrorgan-seed-\d+\.png$/);
      expect(s.description!.length).toBeGreaterThan(2);
      expect(s.words).toEqual(['a', 'red', 'heart']);
      for (const m of s.maps) {
        expect(pngSize(m.src)).toEqual({ width: 96, height: 96 });
        expect(m.natural).toBe(96);
      }
    }
    expect(await page.textContent('#notes')).toBe('Words used: a red heart.');
    expect(await page.textContent('#error')).toBe('');
    const file = path.join(screenshots, 'serve.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(pngSize(`data:image/png;base64,${fs.readFileSync(file).toString('base64')}`).width).toBe(1100);
  });

  it('shows the server\'s message for bad input and keeps the page usable', async () => {
    await page.fill('#caption', 'qwzx vbnm');
    await page.click('#go');
    await page.waitForFunction(() => (globalThis as any).document.getElementById('error').textContent !== '');
    expect(await page.textContent('#error')).toMatch(/None of the words of caption "qwzx vbnm" is in the vocabulary/);
    await page.fill('#caption', '   ');
    await page.click('#go');
    await page.waitForFunction(() => /empty/.test((globalThis as any).document.getElementById('error').textContent));
    expect(await page.textContent('#error')).toBe('The caption is empty: type a few words, such as "a red heart"');
    await page.fill('#caption', 'an emoji');
    await page.selectOption('#n', '1');
    await page.click('#go');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('.sample').length === 1 && (globalThis as any).document.getElementById('error').textContent === '');
  });
});
