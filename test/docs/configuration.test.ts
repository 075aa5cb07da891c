// SPDX-License-Identifier: MIT
// docs/configuration.md is generated from the config schema; this keeps the committed page and
// the schema from drifting apart.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIGURATION_PAGE, fieldDescriptions, renderConfigurationPage } from '../../scripts/config-docs.js';
import { FIELDS } from '../../src/config/schema.js';

describe('docs/configuration.md', () => {
  it('is exactly what `npm run docs:config` generates from src/config/schema.ts', () => {
    const committed = fs.readFileSync(CONFIGURATION_PAGE, 'utf8');
    // On a difference, run `npm run docs:config` and commit docs/configuration.md.
    expect(committed).toBe(renderConfigurationPage());
  });

  it('lists every schema field once, with its YAML name, and a description from the schema', () => {
    const page = renderConfigurationPage();
    const docs = fieldDescriptions();
    for (const f of FIELDS) {
      const rows = page.split('\n').filter((l) => l.startsWith(`| \`${f.key}\` |`));
      expect(rows, f.key).toHaveLength(1);
      if (f.official) expect(rows[0], f.key).toContain(`| \`${f.official}\` |`);
      expect(docs.get(f.key), f.key).toMatch(/\S/);
    }
  });

  it('takes the descriptions from the interface doc comments; a field without one reads as empty, which the generator refuses', () => {
    const source = [
      'export interface MirrorGANConfig {',
      '  train: {',
      '    /** Images per GAN batch. TRAIN.BATCH_SIZE */',
      '    batchSize: number;',
      '    seed: number;',
      '  };',
      '}',
    ].join('\n');
    const docs = fieldDescriptions(source);
    expect(docs.get('train.batchSize')).toBe('Images per GAN batch. TRAIN.BATCH_SIZE');
    expect(docs.get('train.seed')).toBe('');
  });
});
