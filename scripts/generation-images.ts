// SPDX-License-Identifier: MIT
/**
 * Remakes the pictures of docs/generate.md and docs/serve.md from a model: an attention figure
 * (docs/images/attention-figure.png) and a screenshot of the `mirrorgan serve` page in Debian's
 * Chromium (docs/images/serve.png).
 *
 *   npx tsx scripts/generation-images.ts                 # the shipped model
 *   npx tsx scripts/generation-images.ts runs/emoji      # a run, checkpoint or model folder
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { packageRoot } from '../lib/native.js';
import { attentionFigure } from '../src/model/attention_figure.js';
import { MirrorGAN } from '../src/model/mirrorgan.js';
import { createServer } from '../src/serve/server.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const images = path.join(packageRoot(), 'docs', 'images');
const source = process.argv[2];
const load = () => (source ? MirrorGAN.load(source) : MirrorGAN.pretrained());

{
  using gan = await load();
  const [heart] = await gan.generate('a red heart', { seed: 1 });
  await writeFileAtomic(path.join(images, 'attention-figure.png'), await attentionFigure(heart!));
}

const app = createServer(await load(), { maxSamples: 8 });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
const browser = await chromium.launch({ executablePath: execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim(), args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 860 } });
  await page.goto(`${url}/`);
  // A function, not a string: the page's CSP forbids eval. (No DOM types in this project.)
  await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#n option').length > 0);
  await page.fill('#caption', 'a red heart');
  await page.selectOption('#n', '4');
  await page.click('#go');
  await page.waitForSelector('.sample >> nth=3', { timeout: 120_000 });
  await page.screenshot({ path: path.join(images, 'serve.png'), fullPage: true });
} finally {
  await browser.close();
  await app.close();
}
console.log(`wrote attention-figure.png and serve.png in ${images}`);
