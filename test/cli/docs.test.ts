// SPDX-License-Identifier: MIT
// docs/cli.md stays true: every option of every command is documented, and every command line
// the page shows parses (subcommand, options, choices, values) against the real program.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { program } from '../../src/cli/main.js';
import { repoRoot } from '../helpers/parity.js';

const page = fs.readFileSync(path.join(repoRoot, 'docs', 'cli.md'), 'utf8');

function leaves(cmd: Command, prefix: string[] = []): { name: string[]; cmd: Command }[] {
  if (cmd.commands.length === 0) return [{ name: prefix, cmd }];
  return cmd.commands.flatMap((sub) => leaves(sub, [...prefix, sub.name()]));
}

/** Splits one shell line into words: quotes, no expansion; a `#` comment ends it. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (ch === '#' && word === null) {
      break;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** A program whose commands only parse: every action is a no-op. */
function parseOnly(): Command {
  const p = program();
  const silence = (c: Command): void => {
    c.action(() => undefined);
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    c.commands.forEach(silence);
  };
  p.commands.forEach(silence);
  return p;
}

describe('docs/cli.md', () => {
  it('documents every command and every option', () => {
    expect(page).toContain('--version');
    for (const { name, cmd } of leaves(program())) {
      if (name[0] === 'help') continue;
      expect(page, name.join(' ')).toContain(`## ${name[0]}`);
      for (const option of cmd.options) {
        if (option.long === '--help') continue;
        expect(page, `${name.join(' ')} ${option.long}`).toContain(option.long as string);
      }
    }
  });

  it('every command line it shows parses', async () => {
    const lines = page.split('\n').map((l) => l.replace(/^\$ /, '')).filter((l) => l.startsWith('npx mirrorgan '));
    expect(lines.length).toBeGreaterThan(15);
    for (const line of lines) {
      const argv = shellWords(line).slice(2);
      await expect(parseOnly().parseAsync(argv, { from: 'user' }), line).resolves.toBeDefined();
    }
  });
});
