// SPDX-License-Identifier: MIT
// `mirrorgan generate`, `export`, `caption` and `serve`: images with their seeds, attention
// figures, re-descriptions, captions from a file, JSON; a model folder from a run; the server's
// start, a request and a graceful SIGTERM. As a user runs them (child processes on dist/) where
// the process matters (output, exit, signals), in process otherwise; and what `generate` says
// when no model ships (the package's models/ folder mocked empty).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runCli } from '../../src/cli/main.js';
import { scratchDir, tinyModel, tinyRun } from '../helpers/tiny_model.js';
import { cli, ensureBuilt, waitFor } from './helpers.js';

let model: string;
let runDir: string;
const empty = scratchDir('no-shipped-models');

vi.mock('../../src/model/pretrained.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/model/pretrained.js')>();
  return { ...original, modelsDir: () => empty };
});

/** `mirrorgan <args>` in this process (src/, not dist/): exit code and what it printed. */
async function inProcess(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { status: await runCli(['node', 'mirrorgan', ...args]), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeAll(async () => {
  ensureBuilt();
  runDir = await tinyRun();
  model = await tinyModel('float16');
});

describe('mirrorgan generate', () => {
  it('writes n images per caption with their seeds, attention figures, re-descriptions and a grid', async () => {
    const out = scratchDir('generate');
    const r = await cli(['generate', '--run', model, '-n', '2', '-o', out, '--attention', '--describe', '--grid', '2', '--seed', '7', 'a red heart qwzx', 'an emoji']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${path.join(out, '000.png')}  128x128  seed 7  "a red heart qwzx"  \\(unknown words dropped: qwzx\\)  -> ".+"$`));
    expect(lines[1]).toBe(`${path.join(out, '000_attention.png')}  attention figure`);
    expect(lines.filter((l) => /seed \d+/.test(l)).map((l) => Number(/seed (\d+)/.exec(l)![1]))).toEqual([7, 8, 9, 10]);
    expect(lines.at(-1)).toBe(`${path.join(out, 'grid.png')}  grid of 4, 2 per row`);
    expect(fs.readdirSync(out).sort()).toEqual(['000.png', '000_attention.png', '001.png', '001_attention.png', '002.png', '002_attention.png', '003.png', '003_attention.png', 'grid.png']);
    // The figure: 64 px labels + (image + 3 words) x (128 + 2) + 2 wide, one 128 px row under 24 px of words.
    expect(await sharp(path.join(out, '000_attention.png')).metadata()).toMatchObject({ width: 64 + 4 * 130 + 2, height: 24 + 130 + 2 });
  });

  it('reads captions from a file (comments and blank lines skipped), prints JSON, and is reproducible by seed', async () => {
    const out = scratchDir('generate-file');
    const list = path.join(out, 'captions.txt');
    fs.writeFileSync(list, '# emoji to try\na red heart\n\n  an emoji  \n');
    const r = await inProcess(['generate', '--run', model, '-o', out, '--captions', list, '--json', '--seed', '3']);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { file: string; caption: string; seed: number; tokens: string[] }[];
    expect(json.map((j) => [j.caption, j.seed])).toEqual([['a red heart', 3], ['an emoji', 4]]);
    const alone = await inProcess(['generate', '--run', model, '-o', path.join(out, 'again'), '--seed', '4', 'an emoji']);
    expect(fs.readFileSync(path.join(out, 'again', '000.png')).equals(fs.readFileSync(json[1]!.file))).toBe(true);
    expect(alone.status).toBe(0);
  });

  it('takes a run or a checkpoint folder too, and refuses what it cannot use', async () => {
    const out = scratchDir('generate-run');
    expect((await inProcess(['generate', '--run', path.join(runDir, 'checkpoints', 'iter_0000002'), '-o', out, 'a red heart'])).status).toBe(0);
    const none = await inProcess(['generate', '--run', model, '-o', out]);
    expect([none.status, none.stderr]).toEqual([2, 'mirrorgan: Expected at least one caption (as arguments or in --captions <file>) for captions but received an array of length 0 of type array [ERR_INVALID_ARG]\n']);
    const unknown = await inProcess(['generate', '--run', model, '-o', out, 'qwzx']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/None of the words of caption "qwzx" is in the vocabulary .* \[ERR_CAPTION_UNKNOWN\]/);
    const captioner = await inProcess(['generate', '--run', path.join(runDir, 'stream'), 'a red heart']);
    expect(captioner.stderr).toMatch(/Expected a run folder .* or a model folder .* for --run but .* is a captioner folder/);
  });

  it('without --run and without a shipped model, says how to get one (exit 1)', async () => {
    const r = await inProcess(['generate', 'a red heart', '-o', scratchDir('nomodel')]);
    expect([r.status, r.stderr]).toEqual([1, `mirrorgan: No pretrained model ships with this copy of mirrorgan-native (${empty} holds no model folder): train one (npx mirrorgan train, about 25 minutes on a CPU) and use its run folder (--run <run>, MirrorGAN.load(<run>)), or export a run into the package (npx mirrorgan export --run <run> -o ${path.join(empty, '<name>')}) [ERR_FILE]\n`]);
  });
});

describe('mirrorgan caption', () => {
  it("reads a model folder's captioner, and says so when a model has none", async () => {
    const out = scratchDir('caption');
    expect((await inProcess(['generate', '--run', model, '-o', out, 'a red heart'])).status).toBe(0);
    const r = await inProcess(['caption', '--run', model, path.join(out, '000.png')]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout.trim().split(' ').length).toBeGreaterThan(0);
    const bare = path.join(out, 'bare');
    expect((await inProcess(['export', '--run', runDir, '-o', bare, '--no-captioner'])).status).toBe(0);
    const none = await inProcess(['caption', '--run', bare, path.join(out, '000.png')]);
    expect([none.status, none.stderr]).toEqual([1, expect.stringMatching(/has no STREAM captioner/)]);
  });
});

describe('mirrorgan export', () => {
  it('writes a model folder from a run and says how to use it; refuses an existing folder without --force', async () => {
    const out = path.join(scratchDir('export-cli'), 'emoji');
    const metrics = path.join(path.dirname(out), 'probe.json');
    fs.writeFileSync(metrics, JSON.stringify({ colourAccuracy: 0.25 }));
    const r = await cli(['export', '--run', runDir, '-o', out, '--metrics', metrics, '--dtype', 'float32', '--no-captioner']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${out}: model 'emoji' \\(float32, [\\d.]+ MB, 3 files, no captioner\\)\ntrained on openmoji; weights licence: CC-BY-SA-4.0\ngenerate with: npx mirrorgan generate --run ${out} "a caption"\n$`));
    expect(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).metrics.colourAccuracy).toBe(0.25);
    const again = await inProcess(['export', '--run', runDir, '-o', out]);
    expect([again.status, again.stderr]).toEqual([1, `mirrorgan: ${out} already exists; choose another folder or overwrite it (--force) [ERR_FILE]\n`]);
    expect((await inProcess(['export', '--run', runDir, '-o', out, '--force'])).status).toBe(0);
    const bad = await inProcess(['export', '--run', runDir, '-o', out, '--metrics', path.join(out, 'nope.json'), '--force']);
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringMatching(/Expected a JSON file holding an object for --metrics/)]);
  });
});

describe('mirrorgan serve', () => {
  it('serves on 127.0.0.1, answers a request, and stops gracefully on SIGTERM (exit 0)', async () => {
    let url = '';
    let answer: { status: number; body: { samples: unknown[] } } | null = null;
    const r = await cli(['serve', '--run', model, '--port', '0', '--max-samples', '2'], {
      killAfterMs: 60_000,
      whileRunning: (child, output) => {
        void (async () => {
          await waitFor(() => /serving .* at (http:\/\/\S+\/)/.test(output.stdout()), 30_000, 'the serving line');
          url = /at (http:\/\/\S+\/)/.exec(output.stdout())![1]!;
          const res = await fetch(`${url}api/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ caption: 'a red heart', n: 2 }) });
          answer = { status: res.status, body: (await res.json()) as { samples: unknown[] } };
          child.kill('SIGTERM');
        })();
      },
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(answer).toMatchObject({ status: 200, body: { samples: [expect.anything(), expect.anything()] } });
    expect(r.stdout).toBe(`serving tiny-float16 at ${url} (Ctrl-C stops)\n`);
    expect(r.stderr).toBe('mirrorgan: SIGTERM received, finishing the requests in progress (again to quit at once) ...\nmirrorgan: server stopped\n');
    expect([r.status, r.signal]).toEqual([0, null]);
  });

  it('refuses a bad port as a usage error', async () => {
    const r = await inProcess(['serve', '--run', model, '--port', '70000']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'--port <n>' argument '70000' is invalid\. expected an integer between 0 and 65535/);
  });
});
