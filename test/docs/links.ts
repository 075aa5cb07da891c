// SPDX-License-Identifier: MIT
/**
 * The rest of what the docs name: relative links and images (the file and, for a `#anchor`, the
 * heading exist), names imported from the package in the TypeScript examples, and config keys
 * written as inline code (`train.streamWeight`, `--set`-style `gan.zDim=8`, `TRAIN.SMOOTH.LAMBDA1`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/parity.js';
import { checkConfigSetting } from './commands.js';

/** GitHub's heading anchor: lower case, punctuation dropped, each space a hyphen. */
export function headingSlug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** Markdown without its fenced code blocks (links and code spans inside them are not links). */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

function anchors(markdown: string): Set<string> {
  return new Set(prose(markdown).filter((l) => /^#{1,6} /.test(l)).map((l) => headingSlug(l.replace(/^#+ /, ''))));
}

/** Problems with the relative links and images of one page (`file` relative to the repository). */
export function checkLinks(markdown: string, file: string, read = (f: string) => fs.readFileSync(path.join(repoRoot, f), 'utf8')): string[] {
  const problems: string[] = [];
  prose(markdown).forEach((line, i) => {
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      const [rel, anchor] = target.split('#') as [string, string | undefined];
      const resolved = rel === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), rel));
      const where = `${file}:${i + 1}: ${target}`;
      if (!fs.existsSync(path.join(repoRoot, resolved))) {
        problems.push(`${where}: no such file ${resolved}`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved === file ? markdown : read(resolved)).has(anchor)) {
        problems.push(`${where}: no heading #${anchor} in ${resolved}`);
      }
    }
  });
  return problems;
}

/** The names a page's ```ts examples import from the package, per module specifier. */
export function packageImports(markdown: string): { specifier: string; name: string }[] {
  const out: { specifier: string; name: string }[] = [];
  for (const block of markdown.matchAll(/```ts\n([\s\S]*?)```/g)) {
    for (const m of block[1]!.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(mirrorgan-native(?:\/[\w-]+)?)'/g)) {
      for (const n of m[1]!.split(',').map((x) => x.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!).filter(Boolean)) out.push({ specifier: m[2]!, name: n });
    }
  }
  return out;
}

/** Inline code that reads as a config key (optionally `=value`): checked against the schema. */
export function configMentions(markdown: string, file: string): { where: string; text: string; problem: string | null }[] {
  const out: { where: string; text: string; problem: string | null }[] = [];
  prose(markdown).forEach((line, i) => {
    for (const m of line.matchAll(/`([^`\s]+)`/g)) {
      const text = m[1]!;
      if (!/^((dataset|tree|gan|text|train|damsm|stream)\.[a-z][A-Za-z0-9]*|[A-Z][A-Z0-9_]*(\.[A-Z][A-Z0-9_]*)+)(=\S*)?$/.test(text)) continue;
      out.push({ where: `${file}:${i + 1}`, text, problem: checkConfigSetting(text) });
    }
  });
  return out;
}
