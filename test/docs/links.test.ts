// SPDX-License-Identifier: MIT
// Relative links, package imports and config keys named in README.md and docs/*.md exist.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as lib from '../../lib/index.js';
import * as evaluation from '../../src/eval/index.js';
import * as root from '../../src/index.js';
import { repoRoot } from '../helpers/parity.js';
import { docFiles } from './commands.js';
import { checkLinks, configMentions, headingSlug, packageImports } from './links.js';

const EXPORTS: Record<string, Record<string, unknown>> = { 'mirrorgan-native': root, 'mirrorgan-native/lib': lib, 'mirrorgan-native/eval': evaluation };
const pages = docFiles().map((f) => ({ file: f, text: fs.readFileSync(path.join(repoRoot, f), 'utf8') }));

describe('links, imports and config keys in the docs', () => {
  it('every relative link and image points at a file, and every #anchor at a heading', () => {
    expect(pages.flatMap((p) => checkLinks(p.text, p.file))).toEqual([]);
  });

  it('every name the TypeScript examples import from the package is exported', () => {
    const imports = pages.flatMap((p) => packageImports(p.text).map((i) => ({ ...i, file: p.file })));
    expect(imports.length).toBeGreaterThan(10);
    const missing = imports.filter((i) => !(i.specifier in EXPORTS) || !(i.name in EXPORTS[i.specifier]!)).map((i) => `${i.file}: ${i.name} from '${i.specifier}'`);
    expect(missing).toEqual([]);
  });

  it('every config key written as inline code exists (and a written value is valid)', () => {
    const mentions = pages.flatMap((p) => configMentions(p.text, p.file));
    expect(mentions.length).toBeGreaterThan(20);
    expect(mentions.filter((m) => m.problem).map((m) => `${m.where}: ${m.text}: ${m.problem}`)).toEqual([]);
  });
});

describe('the docs link and key checks themselves', () => {
  it('make GitHub anchors', () => {
    expect(headingSlug('Does it follow colour and shape? `mirrorgan probe`')).toBe('does-it-follow-colour-and-shape-mirrorgan-probe');
    expect(headingSlug('The λ ablation (paper §4)')).toBe('the-λ-ablation-paper-4');
    expect(headingSlug('2026-11-29: attribute captions and recoloured copies')).toBe('2026-11-29-attribute-captions-and-recoloured-copies');
  });

  it('fail on a missing file, a missing anchor, an unexported import and an unknown or invalid key', () => {
    const md = [
      '# Title',
      'See [here](#title), [there](#nowhere), [a page](docs/no-such.md), [a file](package.json),',
      '[training](docs/training.md#generating), [bad anchor](docs/training.md#no-such-heading), ![pic](docs/images/none.png).',
      '`train.streamWeight`, `train.nonsense`, `gan.zDim=8`, `tree.branchNum=9`, `TRAIN.SMOOTH.LAMBDA1`, `GPU_ID`, `data.train.size`',
      '```ts',
      "import { MirrorGAN, NoSuchThing } from 'mirrorgan-native';",
      '```',
    ].join('\n');
    expect(checkLinks(md, 'README.md').map((p) => p.replace(/^README\.md:\d+: /, ''))).toEqual([
      '#nowhere: no heading #nowhere in README.md',
      'docs/no-such.md: no such file docs/no-such.md',
      'docs/training.md#no-such-heading: no heading #no-such-heading in docs/training.md',
      'docs/images/none.png: no such file docs/images/none.png',
    ]);
    expect(configMentions(md, 'x.md').map((m) => [m.text, m.problem === null])).toEqual([
      ['train.streamWeight', true], ['train.nonsense', false], ['gan.zDim=8', true], ['tree.branchNum=9', false], ['TRAIN.SMOOTH.LAMBDA1', true],
    ]);
    expect(packageImports(md).filter((i) => !(i.name in root)).map((i) => i.name)).toEqual(['NoSuchThing']);
  });
});
