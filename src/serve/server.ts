// SPDX-License-Identifier: MIT
/**
 * The HTTP side of `mirrorgan serve`, on fastify: the page (`GET /`), the model's description
 * (`GET /api/info`), generation (`POST /api/generate`) and a health check (`GET /healthz`).
 *
 * Input is checked by a JSON schema (no type coercion: a number is not a caption) and every
 * refusal is a 4xx with a sentence a person can act on; generation runs under a concurrency
 * limit with a bounded queue (503 when full) and a deadline per request; `close()` stops
 * accepting, lets the running requests finish and frees the model.
 */
import { randomInt } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { attentionOverlays } from '../model/attention_figure.js';
import type { MirrorGAN } from '../model/mirrorgan.js';
import { MAX_SEED } from '../model/noise.js';
import { PAGE_CSP, renderPage } from './page.js';
import { QueueError, WorkQueue } from './work_queue.js';

/** Settings of the server. */
export interface ServerOptions {
  /** Most samples per request. */
  maxSamples: number;
  /** Longest caption in characters. */
  maxCaptionLength: number;
  /** Requests generating at once. */
  concurrency: number;
  /** Requests waiting beyond those (more get 503). */
  queue: number;
  /** Deadline of one request, waiting included, in milliseconds. */
  timeoutMs: number;
}

export const SERVER_DEFAULTS: ServerOptions = { maxSamples: 8, maxCaptionLength: 200, concurrency: 1, queue: 8, timeoutMs: 60_000 };

/** Side of the heat-map thumbnails on the page. */
const OVERLAY_CELL = 96;
/** Largest request body: a caption and three numbers. */
const BODY_LIMIT = 16 * 1024;

interface GenerateBody {
  caption: string;
  n?: number;
  seed?: number;
  describe?: boolean;
}

function generateSchema(o: ServerOptions) {
  return {
    type: 'object',
    required: ['caption'],
    additionalProperties: false,
    properties: {
      caption: { type: 'string', minLength: 1, maxLength: o.maxCaptionLength, pattern: '\\S' },
      n: { type: 'integer', minimum: 1, maximum: o.maxSamples },
      seed: { type: 'integer', minimum: 0, maximum: MAX_SEED - o.maxSamples + 1 },
      describe: { type: 'boolean' },
    },
  } as const;
}

/** One sentence for what the schema refused. */
function validationMessage(e: FastifyError, o: ServerOptions): string {
  const v = e.validation?.[0];
  if (!v) return e.message;
  const field = v.instancePath.replace(/^\//, '');
  const params = v.params as Record<string, unknown>;
  if (field === '' && v.keyword === 'required') return `Type a caption: the request needs "${String(params.missingProperty)}", text of 1 to ${o.maxCaptionLength} characters`;
  if (field === '' && v.keyword === 'additionalProperties') return `Unknown field "${String(params.additionalProperty)}" (the fields are caption, n, seed, describe)`;
  if (field === '') return 'The request body must be a JSON object such as {"caption": "a red heart"}';
  if (field === 'caption') {
    if (v.keyword === 'type') return 'The caption must be text (a JSON string)';
    if (v.keyword === 'maxLength') return `The caption is too long: at most ${o.maxCaptionLength} characters`;
    return 'The caption is empty: type a few words, such as "a red heart"';
  }
  if (field === 'n') return `n (samples) must be an integer between 1 and ${o.maxSamples}`;
  if (field === 'seed') return `seed must be an integer between 0 and ${MAX_SEED - o.maxSamples + 1}`;
  if (field === 'describe') return 'describe must be true or false';
  return `${field}: ${v.message ?? 'invalid'}`;
}

/** A data: URL of a PNG. */
function dataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** The fastify app serving `gan` (not listening yet: call `listen`). `close()` also disposes the model. */
export function createServer(gan: MirrorGAN, options: Partial<ServerOptions> = {}): FastifyInstance {
  const o: ServerOptions = { ...SERVER_DEFAULTS, ...options };
  const work = new WorkQueue(o.concurrency, o.queue);
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // A client that takes longer than this to send its request is cut off (slow-loris).
    requestTimeout: 10_000,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const manifest = gan.source.manifest;
  const info = {
    name: manifest?.name ?? gan.source.path.split(/[\\/]/).filter(Boolean).pop() ?? 'model',
    description: manifest?.description ?? `MirrorGAN trained on ${gan.config.dataset.name} (${gan.source.kind} ${gan.source.path})`,
    sizes: gan.generator.sizes,
    describe: gan.hasCaptioner,
    maxSamples: o.maxSamples,
    maxCaptionLength: o.maxCaptionLength,
    vocabularySize: gan.vocabulary.size,
    licence: manifest?.licence ?? { weights: 'see the training data', notice: `Trained on ${gan.config.dataset.name}.` },
  };

  app.setErrorHandler((e: FastifyError, _req, reply) => {
    if (e.validation) return reply.code(400).send({ error: 'ERR_INVALID_ARG', message: validationMessage(e, o) });
    const code = (e as { code?: string }).code;
    if (e instanceof QueueError) {
      return reply.code(503).header('retry-after', '2').send({ error: e.reason === 'timeout' ? 'ERR_TIMEOUT' : 'ERR_BUSY', message: e.message });
    }
    if (code === 'ERR_CAPTION_UNKNOWN') return reply.code(422).send({ error: code, message: e.message });
    if (code === 'ERR_CAPTION_EMPTY') return reply.code(400).send({ error: code, message: 'The caption has no words: type a few, such as "a red heart"' });
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return reply.code(e.statusCode).send({ error: code ?? 'ERR_REQUEST', message: e.message });
    app.log.error(e);
    return reply.code(500).send({ error: 'ERR_INTERNAL', message: `The server failed: ${e.message}` });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'ERR_NOT_FOUND', message: `Nothing at ${req.method} ${req.url}; the page is at /` }));

  app.get('/', (_req, reply) => reply.header('content-security-policy', PAGE_CSP).type('text/html; charset=utf-8').send(renderPage()));
  app.get('/healthz', () => ({ ok: true, ...work.load }));
  app.get('/api/info', () => info);
  app.post<{ Body: GenerateBody }>('/api/generate', { schema: { body: generateSchema(o) } }, async (req, reply) => {
    const { caption } = req.body;
    const n = req.body.n ?? Math.min(4, o.maxSamples);
    const seed = req.body.seed ?? randomInt(0, MAX_SEED - o.maxSamples + 1);
    const describe = req.body.describe ?? gan.hasCaptioner;
    if (describe && !gan.hasCaptioner) {
      return reply.code(400).send({ error: 'ERR_INVALID_ARG', message: 'This model has no STREAM captioner, so it cannot re-describe its images: leave describe out' });
    }
    return work.run(async () => {
      const images = await gan.generate(caption, { n, seed, describe });
      const first = images[0]!;
      return {
        caption, tokens: first.tokens, unknownWords: first.unknownWords, size: first.size, sizes: first.stages.map((s) => s.size),
        samples: await Promise.all(images.map(async (img) => ({
          seed: img.seed,
          image: dataUrl(img.png),
          ...(img.description !== undefined ? { description: img.description } : {}),
          attention: img.attention.length === 0 ? [] : (await attentionOverlays(img, { cell: OVERLAY_CELL })).map((a) => ({ token: a.token, image: dataUrl(a.png) })),
        }))),
      };
    }, o.timeoutMs);
  });
  app.addHook('onClose', async () => {
    await work.close();
    gan.dispose();
  });
  return app;
}
