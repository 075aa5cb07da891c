// SPDX-License-Identifier: MIT
// The shape of the source tree: layers import one way, files stay readable, and writing a file
// atomically has one helper.
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { repoRoot } from '../helpers/parity.js';

function sources(dir: string): { file: string; text: string }[] {
  return fs.readdirSync(path.join(repoRoot, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => {
      const abs = path.join(e.parentPath, e.name);
      return { file: path.relative(repoRoot, abs), text: fs.readFileSync(abs, 'utf8') };
    });
}

/** The folders under src/ (or lib/) that `file` imports from. */
function importedLayers(file: string, text: string): string[] {
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gm)].map((m) => {
    const target = path.relative(repoRoot, path.resolve(path.dirname(path.join(repoRoot, file)), m[1]!));
    const [top, layer] = target.split(path.sep);
    return top === 'src' ? `src/${layer}` : top!;
  });
}

const src = sources('src');
const lib = sources('lib');

describe('source tree', () => {
  it('runs its layers one way: text and util import no upper layer, lib imports nothing from src', () => {
    const wrong: string[] = [];
    for (const { file, text } of [...src, ...lib]) {
      const layers = importedLayers(file, text);
      if (file.startsWith(`src${path.sep}text`)) wrong.push(...layers.filter((l) => !['src/text', 'src/util', 'lib'].includes(l)).map((l) => `${file} -> ${l}`));
      if (file.startsWith(`src${path.sep}util`)) wrong.push(...layers.filter((l) => !['src/util', 'lib'].includes(l)).map((l) => `${file} -> ${l}`));
      if (file.startsWith('lib')) wrong.push(...layers.filter((l) => l !== 'lib').map((l) => `${file} -> ${l}`));
    }
    expect(src.length).toBeGreaterThan(50);
    expect(wrong).toEqual([]);
  });

  it('has no file in src/ over 500 lines', () => {
    const long = src.map(({ file, text }) => ({ file, lines: text.split('\n').length - 1 })).filter((f) => f.lines > 500);
    expect(long).toEqual([]);
  });

  it('renames files only in the atomic-write helper (and folders assembled under a temporary name)', () => {
    const renames = [...src, ...lib].filter(({ text }) => /\brename(Sync)?\(/.test(text)).map((f) => f.file).sort();
    expect(renames).toEqual([path.join('src', 'report', 'tensorboard.ts'), path.join('src', 'train', 'checkpoint.ts'), path.join('src', 'util', 'atomic.ts')]);
  });
});
