// SPDX-License-Identifier: MIT
// `mirrorgan serve`'s HTTP side, in process (fastify inject): the page, generation, every kind
// of bad input (a 4xx with a sentence), the bounded queue (503 when full), deadlines, and the
// graceful close that lets running requests finish before the model is freed.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { createServer } from '../../src/serve/server.js';
import { tinyModel } from '../helpers/tiny_model.js';

let model: string;
beforeAll(async () => {
  model = await tinyModel('float16');
});

/** A model whose generate waits until `open()` is called: requests stay in flight as long as a test needs. */
async function gatedModel(): Promise<{ gan: MirrorGAN; open: () => void }> {
  const gan = await MirrorGAN.load(model);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => { open = resolve; });
  const generate = gan.generate.bind(gan);
  gan.generate = async (...args: Parameters<MirrorGAN['generate']>) => {
    await gate;
    return generate(...args);
  };
  return { gan, open };
}

function pngOf(dataUrl: string): Buffer {
  expect(dataUrl.startsWith('data:image/png;base64,')).toBe(true);
  return Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64');
}

describe('the server', () => {
  let gan: MirrorGAN;
  let app: ReturnType<typeof createServer>;
  beforeAll(async () => {
    gan = await MirrorGAN.load(model);
    app = createServer(gan, { maxSamples: 4 });
  });
  afterAll(async () => {
    await app.close();
    expect(gan.isDisposed).toBe(true);  // closing the server frees the model
  });

  it('serves a self-contained page (no external resource, a CSP that forbids them) and the model info', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.body).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(page.body).not.toMatch(/@import|url\(/);
    const info = (await app.inject({ method: 'GET', url: '/api/info' })).json();
    expect(info).toMatchObject({ name: 'tiny-float16', sizes: [64, 128], describe: true, maxSamples: 4, licence: { weights: 'CC-BY-SA-4.0' } });
  });

  it('generates samples with their seed, PNG, re-description and one heat map per word; the same seed gives the same images', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/generate', payload: { caption: 'a red heart qwzx', n: 3, seed: 40 } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ caption: 'a red heart qwzx', tokens: ['a', 'red', 'heart'], unknownWords: ['qwzx'], size: 128, sizes: [64, 128] });
    expect(body.samples.map((s: { seed: number }) => s.seed)).toEqual([40, 41, 42]);
    for (const s of body.samples) {
      expect(await sharp(pngOf(s.image)).metadata()).toMatchObject({ format: 'png', width: 128, height: 128 });
      expect(typeof s.description).toBe('string');
      expect(s.attention.map((a: { token: string }) => a.token)).toEqual(['a', 'red', 'heart']);
      expect(await sharp(pngOf(s.attention[0].image)).metadata()).toMatchObject({ width: 96, height: 96 });
    }
    const again = (await app.inject({ method: 'POST', url: '/api/generate', payload: { caption: 'a red heart qwzx', n: 1, seed: 41, describe: false } })).json();
    expect(again.samples[0].image).toBe(body.samples[1].image);
    expect(again.samples[0].description).toBeUndefined();
    const unseeded = (await app.inject({ method: 'POST', url: '/api/generate', payload: { caption: 'a red heart' } })).json();
    expect(unseeded.samples).toHaveLength(4);  // n defaults to min(4, maxSamples), the seed to a random one
    expect(Number.isInteger(unseeded.samples[0].seed)).toBe(true);
  });

  it.each([
    ['no caption', {}, 400, /Type a caption/],
    ['an empty caption', { caption: '' }, 400, /caption is empty/],
    ['a blank caption', { caption: '   \t' }, 400, /caption is empty/],
    ['punctuation only', { caption: '?!' }, 400, /no words/],
    ['a caption too long', { caption: 'a '.repeat(101) + 'b' }, 400, /too long: at most 200 characters/],
    ['a number', { caption: 5 }, 400, /must be text/],
    ['an array', { caption: ['a red heart'] }, 400, /must be text/],
    ['unknown words only', { caption: 'qwzx vbnm' }, 422, /None of the words of caption "qwzx vbnm" is in the vocabulary/],
    ['too many samples', { caption: 'a red heart', n: 5 }, 400, /between 1 and 4/],
    ['a fractional n', { caption: 'a red heart', n: 1.5 }, 400, /between 1 and 4/],
    ['a negative seed', { caption: 'a red heart', seed: -1 }, 400, /seed must be an integer/],
    ['a string describe', { caption: 'a red heart', describe: 'yes' }, 400, /describe must be true or false/],
    ['an unknown field', { caption: 'a red heart', colour: 'red' }, 400, /Unknown field "colour"/],
    ['not an object', ['a red heart'], 400, /must be a JSON object/],
  ])('refuses %s with a clear message', async (_what, payload, status, message) => {
    const res = await app.inject({ method: 'POST', url: '/api/generate', payload: payload as object });
    expect(res.statusCode).toBe(status);
    expect(res.json().message).toMatch(message);
  });

  it('refuses bodies that are not JSON, and unknown paths', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/generate', headers: { 'content-type': 'application/json' }, payload: '{"caption": ' });
    expect([bad.statusCode, bad.json().error]).toEqual([400, 'FST_ERR_CTP_INVALID_JSON_BODY']);
    const text = await app.inject({ method: 'POST', url: '/api/generate', headers: { 'content-type': 'text/plain' }, payload: 'a red heart' });
    expect([text.statusCode, text.json().message]).toEqual([400, 'The request body must be a JSON object such as {"caption": "a red heart"}']);
    const big = await app.inject({ method: 'POST', url: '/api/generate', payload: { caption: 'x'.repeat(20_000) } });
    expect(big.statusCode).toBe(413);
    const missing = await app.inject({ method: 'GET', url: '/nothing' });
    expect([missing.statusCode, missing.json().message]).toEqual([404, 'Nothing at GET /nothing; the page is at /']);
  });
});

describe('load limits', () => {
  it('runs `concurrency` requests, queues `queue` more and refuses the rest with 503', async () => {
    const { gan, open } = await gatedModel();
    const app = createServer(gan, { concurrency: 1, queue: 1 });
    const post = () => app.inject({ method: 'POST', url: '/api/generate', payload: { caption: 'a red heart', n: 1, seed: 1, describe: false } });
    const first = post();
    const second = post();
    await new Promise((r) => setTimeout(r, 200));
    const third = await post();
    expect(third.statusCode).toBe(503);
    expect(third.headers['retry-after']).toBe('2');
    expect(third.json()).toMatchObject({ error: 'ERR_BUSY', message: /busy \(1 running, 1 waiting\)/ });
    open();
    expect([(await first).statusCode, (await second).statusCode]).toEqual([200, 200]);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ ok: true, running: 0, waiting: 0 });
    await app.close();
  });

  it('answers 503 when a request outlives its deadline', async () => {
    const { gan, open } = await gatedModel();
    const app = createServer(gan, { timeoutMs: 300 });
    const res = await app.inject({ method: 'POST', url: '/api/generate', payload: { caption: 'a red heart' } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'ERR_TIMEOUT', message: 'No result within 300 ms; try fewer samples or try again later' });
    open();
    await app.close();
  });

  it('closes gracefully: a running request completes, then the model is freed', async () => {
    const { gan, open } = await gatedModel();
    const app = createServer(gan);
    const running = app.inject({ method: 'POST', url: '/api/generate', payload: { caption: 'a red heart', n: 2 } });
    await new Promise((r) => setTimeout(r, 100));
    const closed = app.close();
    setTimeout(open, 100);
    await closed;
    expect((await running).statusCode).toBe(200);
    expect(gan.isDisposed).toBe(true);
  });
});
