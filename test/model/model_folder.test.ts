// SPDX-License-Identifier: MIT
// Model folders: export from a run, what the manifest records, loading (files checked against
// the manifest), float16 storage, the shipped-model lookup, and disposing loaded models.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispose, memory } from '../../lib/index.js';
import { exportModel } from '../../src/model/export.js';
import { MODEL_FILES, readModelManifest } from '../../src/model/model_folder.js';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { resolveRunPath } from '../../src/model/run_path.js';
import { scratchDir, tinyModel, tinyRun } from '../helpers/tiny_model.js';

let run: string;
let model32: string;
let model16: string;

beforeAll(async () => {
  run = await tinyRun();
  model32 = await tinyModel('float32');
  model16 = await tinyModel('float16');
});

async function firstImage(source: string, caption = 'a red heart', seed = 4): Promise<Buffer> {
  using gan = await MirrorGAN.load(source);
  return (await gan.generate(caption, { seed }))[0]!.png;
}

describe('mirrorgan export (exportModel)', () => {
  it('writes only what generation and re-description need, with a manifest of name, config, data, metrics and licence', async () => {
    const files = fs.readdirSync(model32, { recursive: true }).map(String).sort();
    expect(files).toEqual(['captioner', 'captioner/captioner.json', 'captioner/cnn_encoder.safetensors', 'captioner/rnn_decoder.safetensors', 'captioner/vocabulary.json', 'manifest.json', 'netG.safetensors', 'text_encoder.safetensors', 'vocabulary.json']);
    const m = await readModelManifest(model32);
    expect(m).toMatchObject({ format: 'mirrorgan-model', version: 1, name: 'tiny-float32', dtype: 'float32', training: { iteration: 2 } });
    expect(m.config.gan.gfDim).toBe(4);
    expect(m.config.dataset.cacheDir).toBe('');  // the exporting machine's paths are not carried
    expect(m.data).toMatchObject({ dataset: 'openmoji', licence: 'CC-BY-SA-4.0' });
    expect(m.licence.weights).toBe('CC-BY-SA-4.0');
    expect(m.licence.notice).toMatch(/derived work/);
    expect(Object.keys((m.metrics.losses as { mean: object }).mean)).toContain('G_total');
    for (const [rel, f] of Object.entries(m.files)) expect(fs.statSync(path.join(model32, rel)).size).toBe(f.bytes);
    expect(await resolveRunPath(model32, { accept: ['model'] })).toMatchObject({ kind: 'model', modelDir: model32, captionerDir: path.join(model32, 'captioner') });
  });

  it('float32 gives the run\'s own images; float16 halves the weights and stays within a level or two', async () => {
    const fromRun = await firstImage(run);
    expect((await firstImage(model32)).equals(fromRun)).toBe(true);
    const [a, b] = await Promise.all([sharp(await firstImage(model16)).raw().toBuffer(), sharp(fromRun).raw().toBuffer()]);
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
    expect(max).toBeLessThanOrEqual(4);
    const size = (dir: string) => fs.statSync(path.join(dir, MODEL_FILES.generator)).size;
    expect(size(model16)).toBeLessThan(0.55 * size(model32));
  });

  it('exports a checkpoint folder, re-exports a model folder, and refuses to overwrite without being told', async () => {
    const out = scratchDir('export');
    const ckpt = path.join(run, 'checkpoints', 'iter_0000002');
    const m = await exportModel(ckpt, path.join(out, 'a'), { mirrorganVersion: 'test', withoutCaptioner: true, metrics: { probe: { colour: 0.5 } }, trainingCommand: 'npx mirrorgan train' });
    expect(m.name).toBe('a');
    expect(Object.keys(m.files).some((f) => f.startsWith('captioner/'))).toBe(false);
    expect(m.metrics.probe).toEqual({ colour: 0.5 });
    expect(m.training.command).toBe('npx mirrorgan train');
    const again = await exportModel(model16, path.join(out, 'b'), { mirrorganVersion: 'test', dtype: 'float32', name: 'renamed' });
    expect([again.name, again.dtype, again.licence]).toEqual(['renamed', 'float32', (await readModelManifest(model16)).licence]);
    await expect(exportModel(run, path.join(out, 'a'), { mirrorganVersion: 'test' })).rejects.toMatchObject({ code: 'ERR_FILE', message: /already exists/ });
    await exportModel(run, path.join(out, 'a'), { mirrorganVersion: 'test', overwrite: true });
    expect(fs.readdirSync(out).sort()).toEqual(['a', 'b']);  // no temporary folder left behind
    await expect(exportModel(run, path.join(out, 'c'), { mirrorganVersion: 'test', name: '../evil' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(exportModel(path.join(run, 'stream'), path.join(out, 'd'), { mirrorganVersion: 'test' })).rejects.toMatchObject({ code: 'ERR_FILE', message: /is a captioner folder/ });
  });

  it('refuses a model folder whose files differ from its manifest, naming the file', async () => {
    const copy = path.join(scratchDir('tampered'), 'model');
    fs.cpSync(model16, copy, { recursive: true });
    const file = path.join(copy, MODEL_FILES.generator);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] ^= 1;
    fs.writeFileSync(file, bytes);
    await expect(MirrorGAN.load(copy)).rejects.toMatchObject({ code: 'ERR_FILE', message: new RegExp(`${MODEL_FILES.generator} differs from the one the manifest`) });
    fs.rmSync(path.join(copy, MODEL_FILES.vocabulary));
    fs.writeFileSync(path.join(copy, MODEL_FILES.manifest), '{"format":"mirrorgan-model","version":7}');
    await expect(MirrorGAN.load(copy)).rejects.toMatchObject({ code: 'ERR_FILE', message: /version 7/ });
  });
});

describe('MirrorGAN.pretrained', () => {
  it('without a shipped model, says how to get one', async () => {
    const empty = scratchDir('no-models');
    await expect(MirrorGAN.pretrained(undefined, { modelsDir: empty })).rejects.toMatchObject({
      code: 'ERR_FILE', message: /No pretrained model ships.*npx mirrorgan train.*--run <run>.*npx mirrorgan export/,
    });
  });

  it('loads the only model of the models folder, or the one named', async () => {
    const dir = scratchDir('models');
    fs.cpSync(model16, path.join(dir, 'emoji'), { recursive: true });
    using gan = await MirrorGAN.pretrained(undefined, { modelsDir: dir });
    expect([gan.source.kind, gan.source.manifest?.name, gan.hasCaptioner]).toEqual(['model', 'tiny-float16', true]);
    expect(await MirrorGAN.pretrainedModels(dir)).toEqual([{ name: 'emoji', dir: path.join(dir, 'emoji'), description: expect.stringMatching(/openmoji/), licence: 'CC-BY-SA-4.0' }]);
    fs.cpSync(model32, path.join(dir, 'other'), { recursive: true });
    await expect(MirrorGAN.pretrained(undefined, { modelsDir: dir })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: /2 models \(emoji, other\)/ });
    (await MirrorGAN.pretrained('other', { modelsDir: dir })).dispose();
    await expect(MirrorGAN.pretrained('nope', { modelsDir: dir })).rejects.toMatchObject({ message: /one of the shipped models \(emoji, other\)/ });
  });
});

describe('dispose', () => {
  it('memory() counts the model weights until dispose frees them; later calls are ERR_DISPOSED', async () => {
    const before = memory();
    const gan = await MirrorGAN.load(model16);
    const loaded = memory();
    expect(loaded.numModules).toBe(before.numModules + 2);  // text encoder and generator; the captioner loads on first use
    expect(loaded.moduleBytes - before.moduleBytes).toBe((gan.textEncoder.numParameters() + gan.generator.numParameters()) * 4 + bufferBytes(gan));
    await gan.generate('a red heart', { describe: true });
    expect(memory().numModules).toBe(before.numModules + 4);
    gan.dispose();
    expect(memory()).toMatchObject({ numModules: before.numModules, moduleBytes: before.moduleBytes });
    expect(gan.isDisposed).toBe(true);
    await expect(gan.generate('a red heart')).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
    gan.dispose();  // twice: nothing
  });

  it('waits for the calls already made, and `using` disposes at the end of the block', async () => {
    const before = memory().numModules;
    const gan = await MirrorGAN.load(model16);
    const pending = gan.generate('a red heart', { n: 2 });
    gan.dispose();
    expect((await pending).length).toBe(2);
    expect(memory().numModules).toBe(before);
    {
      using scoped = await MirrorGAN.load(model16);
      expect(memory().numModules).toBe(before + 2);
      expect(scoped.isDisposed).toBe(false);
    }
    expect(memory().numModules).toBe(before);
  });
});

/** Bytes of the BatchNorm running statistics and counters of the loaded modules. */
function bufferBytes(gan: MirrorGAN): number {
  let bytes = 0;
  for (const m of [gan.textEncoder, gan.generator]) {
    const named = m.namedParameters();
    const params = new Set(named.keys());
    dispose([...named.values()]);
    for (const [key, t] of m.namedStateDict()) {
      if (!params.has(key)) bytes += t.size * (t.dtype === 'int64' ? 8 : 4);
      t.dispose();
    }
  }
  return bytes;
}
