// SPDX-License-Identifier: MIT
// Issue #18 item 7: every CLI failure is one line with a code and a non-zero exit status; text
// that came from the user cannot drive the terminal; an unwritable --out fails before any work.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeControls, printable } from '../../src/cli/output.js';
import { cli, ensureBuilt, hasRawControl, tempFolder } from './helpers.js';

const tmp = tempFolder('mg-cli-errors-');
afterAll(() => tmp.remove());
beforeAll(() => ensureBuilt(), 300_000);

/** The failure shape: exactly one line `mirrorgan: <message> [ERR_...]`, no stack frame. */
function expectOneLineError(stderr: string, code: RegExp | string = /ERR_[A-Z_]+/): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^mirrorgan: .+ \[ERR_[A-Z_]+\]$/);
  if (typeof code === 'string') expect(lines[0]!.endsWith(` [${code}]`), lines[0]).toBe(true);
  else expect(lines[0]).toMatch(code);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('CLI errors: one line, a code, a non-zero exit', () => {
  it('`data` exits 2 on a bad option and 1 on missing data (it used to exit 0 after printing the error)', async () => {
    const usage = await cli(['data', 'info', '--dataset', 'cub', '--cache', tmp.dir]);
    expect(usage.status).toBe(2);
    expectOneLineError(usage.stderr, 'ERR_INVALID_ARG');
    const empty = path.join(tmp.dir, 'empty-folder-dataset');
    fs.mkdirSync(empty);
    const missing = await cli(['data', 'info', '--dataset', 'folder', '--root', empty, '--cache', tmp.dir]);
    expect(missing.status).toBe(1);
    expectOneLineError(missing.stderr, /\[ERR_DATA_[A-Z_]+\]$/);
  });

  it('`train --out <a file>` is ERR_FILE (exit 1), not a stack trace', async () => {
    const file = path.join(tmp.dir, 'passwd');
    fs.writeFileSync(file, 'root:x:0:0\n');
    const r = await cli(['train', '--out', file]);
    expect(r.status).toBe(1);
    expectOneLineError(r.stderr, 'ERR_FILE');
    expect(r.stderr).toContain(`Expected a writable folder for --out but ${file} is a file`);
    expect(fs.readFileSync(file, 'utf8')).toBe('root:x:0:0\n');
  });

  it('a YAML file that does not parse is ERR_INVALID_ARG (exit 2), naming the file and the line', async () => {
    const bad = path.join(tmp.dir, 'bad.yml');
    fs.writeFileSync(bad, 'TRAIN:\n\tBATCH_SIZE: 3\n');
    const r = await cli(['train', '--cfg', bad, '--out', path.join(tmp.dir, 'never')]);
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, 'ERR_INVALID_ARG');
    expect(r.stderr).toContain(`${bad}: `);
    expect(r.stderr).toMatch(/line 2/);
    expect(fs.existsSync(path.join(tmp.dir, 'never'))).toBe(false);
  });

  it('an error without a code of ours is still one line (ERR_INTERNAL or better), with the stack only on MIRRORGAN_DEBUG', async () => {
    // `preset: hasOwnProperty` reached a raw TypeError inside the config loader.
    const odd = path.join(tmp.dir, 'odd.yml');
    fs.writeFileSync(odd, 'preset: hasOwnProperty\n');
    const r = await cli(['config', '--print', '--cfg', odd]);
    expect([1, 2]).toContain(r.status);
    expectOneLineError(r.stderr);
    const debug = await cli(['config', '--print', '--cfg', odd], { env: { MIRRORGAN_DEBUG: '1' } });
    expect(debug.status).toBe(r.status);
    expect(debug.stderr.split('\n')[0]).toBe(r.stderr.split('\n')[0]);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe('CLI output cannot drive the terminal', () => {
  it('escapeControls writes C0/C1 controls, DEL and bidi overrides as \\uXXXX and keeps newlines and tabs', () => {
    expect(escapeControls('a\u001b[31mred\u0007\u009b2J\u202eevil\u007f\tok\nnext')).toBe('a\\u001b[31mred\\u0007\\u009b2J\\u202eevil\\u007f\tok\nnext');
    expect(printable('one\ntwo\tthree\r')).toBe('one\\ntwo\\tthree\\u000d');
    expect(JSON.parse(`"${escapeControls('\u009b\u202e')}"`)).toBe('\u009b\u202e');  // valid inside JSON strings
  });

  it('user text echoed in errors is escaped: a --run path, a --set value, an unknown option', async () => {
    const weird = path.join(tmp.dir, 'run\u001b]0;pwned\u0007\u001b[2J');
    const a = await cli(['generate', '--run', weird, 'a red circle']);
    expect(a.status).toBe(1);
    expect(hasRawControl(a.stderr)).toBe(false);
    expect(a.stderr).toContain('run\\u001b]0;pwned\\u0007\\u001b[2J');
    const b = await cli(['config', '--print', '--set', 'train.sampleCaptions\u001b[31m=x']);
    expect(b.status).toBe(2);
    expect(hasRawControl(b.stderr)).toBe(false);
    expect(b.stderr).toContain('\\u001b[31m');
    const c = await cli(['train', '--bell\u0007']);
    expect(c.status).toBe(2);
    expect(hasRawControl(c.stderr)).toBe(false);
    expect(c.stderr).toContain("unknown option '--bell\\u0007'");
  });
});

describe('data warnings cannot drive the terminal either', () => {
  it('a bad-data warning naming a file with ESC in its name is escaped', async () => {
    const root = path.join(tmp.dir, 'folder-data');
    fs.mkdirSync(root);
    await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 200, g: 20, b: 20 } } }).png().toFile(path.join(root, 'red.png'));
    const rows = [
      { image: 'red.png', captions: ['a red square'], split: 'train' },
      { image: 'gone\u001b[2J.png', captions: ['a \u0007 blue square'], split: 'train' },
    ];
    fs.writeFileSync(path.join(root, 'captions.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = await cli(['data', 'build', '--dataset', 'folder', '--root', root, '--cache', path.join(tmp.dir, 'folder-cache'), '--size', '64', '--no-progress']);
    expect(r.stderr).toContain('gone\\u001b[2J.png');
    expect(hasRawControl(r.stderr)).toBe(false);
    expect(hasRawControl(r.stdout)).toBe(false);
  });
});

describe('every writing command checks its output before any work', () => {
  // /proc refuses new entries with ENOENT, on which Node's recursive mkdir loops forever.
  const procOut = '/proc/mirrorgan-no-such/out';
  const runDir = path.join(tmp.dir, 'fake-run');
  beforeAll(() => {
    fs.mkdirSync(path.join(runDir, 'checkpoints'), { recursive: true });
    fs.writeFileSync(path.join(runDir, 'config.json'), '{}\n');
    fs.writeFileSync(path.join(runDir, 'metrics.jsonl'), '');
  });

  const cases: [string, string[]][] = [
    ['train', ['train', '--out', procOut]],
    ['pretrain-damsm', ['pretrain-damsm', '--out', procOut]],
    ['pretrain-stream', ['pretrain-stream', '--out', procOut]],
    ['generate', ['generate', '--run', runDir, '--out', procOut, 'a red circle']],
    ['probe', ['probe', '--run', runDir, '--out', procOut]],
    ['report', ['report', '--run', runDir, '--out', `${procOut}/report.html`]],
    ['config', ['config', '--keys', '--out', `${procOut}/keys.txt`]],
    ['data build', ['data', 'build', '--cache', procOut, '--limit', '2']],
  ];
  it.runIf(fs.existsSync('/proc/self'))('refuses an output folder under /proc at once (it used to hang)', async () => {
    for (const [name, args] of cases) {
      const r = await cli(args, { killAfterMs: 60_000 });
      expect(r.signal, `${name} hung`).toBeNull();
      expect(r.status, name).toBe(1);
      expectOneLineError(r.stderr, 'ERR_FILE');
      expect(r.stderr, name).toMatch(/Expected a writable folder for (--out|--cache) but cannot create \/proc\/mirrorgan-no-such: no such file or directory \(ENOENT\)/);
    }
  }, 300_000);
});
