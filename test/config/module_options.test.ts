// SPDX-License-Identifier: MIT
// One source for module options: every module built from a config gets its options from
// src/config/module_options.ts, and a module built without a config takes the schema's defaults
// and ranges, so nothing is written twice.
import { describe, expect, it } from 'vitest';
import { defaults, FIELDS, resolveConfig, type MirrorGANConfig } from '../../src/config/index.js';
import {
  captionDecoderOptions, captionEncoderOptions, damsmGammas, discriminatorOptions, generatorOptions, textEncoderOptions,
} from '../../src/config/module_options.js';
import { Discriminator, Generator } from '../../src/glam/index.js';
import { InceptionImageEncoder, TextEncoder } from '../../src/stem/index.js';
import { CaptionDecoder, CaptionEncoder, captionLoss } from '../../src/stream/index.js';

function rangeOf(key: string): { min: number; max: number } {
  const f = FIELDS.find((x) => x.key === key)!;
  return { min: f.min!, max: f.max! };
}

function withGan(c: MirrorGANConfig, gan: Partial<MirrorGANConfig['gan']>): MirrorGANConfig {
  return { ...c, gan: { ...c.gan, ...gan } };
}

describe('module options derived from the config', () => {
  it('maps every config key onto the modules (cpu preset)', () => {
    const c = resolveConfig({ preset: 'cpu', set: ['gan.maskTiling=fixed', 'text.rnnType=GRU', 'stream.embedSize=64'] });
    expect(generatorOptions(c)).toEqual({
      gfDim: 8, efDim: 256, cDim: 100, zDim: 100, rNum: 1, branchNum: 2, sentenceAttention: 'official', maskTiling: 'fixed',
    });
    expect(discriminatorOptions(c, 128)).toEqual({ size: 128, dfDim: 16, efDim: 256 });
    expect(textEncoderOptions(c, 317)).toEqual({ nTokens: 317, nHidden: 256, rnnType: 'GRU' });
    expect(damsmGammas(c)).toEqual({ gamma1: 4, gamma2: 5, gamma3: 10 });
    expect(captionEncoderOptions(c)).toEqual({ arch: 'compact', imageSize: 64, embedSize: 64 });
    // the official trainer builds the decoder LSTM with 2 x CAP.hidden_size units
    expect(captionDecoderOptions(c)).toEqual({ embedSize: 64, hiddenSize: 256 });
  });

  it('a module built without options has the schema defaults (the official CUB values)', () => {
    const d = defaults();
    const g = new Generator();
    expect(g.options).toEqual(generatorOptions(d));
    expect(g.options).toMatchObject({ gfDim: d.gan.gfDim, zDim: d.gan.zDim, branchNum: d.tree.branchNum, rNum: d.gan.rNum });
    const te = new TextEncoder({ nTokens: 10 });
    expect(te.options).toMatchObject(textEncoderOptions(d, 10));
    expect(new InceptionImageEncoder().options.nef).toBe(d.text.embeddingDim);
    const enc = new CaptionEncoder();
    expect(enc.options.embedSize).toBe(d.stream.embedSize);
    expect(new CaptionDecoder({ nWords: 10 }).options).toMatchObject(captionDecoderOptions(d));
  });

  it('refuses an out-of-range value with the schema range, from a config or from a library call', () => {
    const { min, max } = rangeOf('gan.gfDim');
    const big = withGan(defaults(), { gfDim: max + 1 });
    expect(() => generatorOptions(big)).toThrow(`Expected an integer between ${min} and ${max} for gan.gfDim but received ${max + 1}`);
    expect(() => new Generator({ gfDim: max + 1 })).toThrow(`Expected an integer between ${min} and ${max} for gfDim but received ${max + 1} of type number`);
    expect(() => new Generator({ gfDim: 2.5 })).toThrow(/integer between .* for gfDim/);
    const dRange = rangeOf('gan.dfDim');
    expect(() => new Discriminator({ size: 64, dfDim: 0 })).toThrow(`Expected an integer between ${dRange.min} and ${dRange.max} for dfDim`);
    expect(() => discriminatorOptions(withGan(defaults(), { dfDim: 0 }), 64)).toThrow(/for gan.dfDim/);
    expect(() => new Generator({ branchNum: 4 })).toThrow(/Expected an integer between 1 and 3 for branchNum/);
    expect(() => new Generator({ sentenceAttention: 'sometimes' as never })).toThrow(/Expected one of official, paper, off for sentenceAttention/);
    expect(() => new TextEncoder({ nTokens: 10, rnnType: 'RNN' as never })).toThrow(/Expected one of LSTM, GRU for rnnType/);
    const e = rangeOf('text.embeddingDim');
    expect(() => new TextEncoder({ nTokens: 10, nHidden: e.max + 2 })).toThrow(`between ${e.min} and ${e.max} for nHidden`);
    expect(() => captionLoss({} as never, { reduction: 'max' as never })).toThrow(/Expected one of mean, sum for reduction/);
  });

  it('an odd text.embeddingDim is refused at resolve time (the text encoder splits it over two directions)', () => {
    expect(() => resolveConfig({ set: ['text.embeddingDim=255'] })).toThrow(/Expected an even integer .* for text.embeddingDim but received 255/);
  });
});
