// SPDX-License-Identifier: MIT
// scripts/official2model.py: official MirrorGAN files (netG_epoch_N.pth, text_encoder200.pth,
// captions.pickle) -> a model folder that loads and generates through the same API. The
// official-format files are made here by Python torch from tiny modules with the official key
// names (legacy torch.save format, DataParallel `module.` prefixes, a protocol-2 captions pickle
// with Python-2 style str keys). Skipped with a message where no python3 has torch.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispose } from '../../lib/index.js';
import { Generator } from '../../src/glam/generator.js';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { TextEncoder } from '../../src/stem/text_encoder.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { repoRoot } from '../helpers/parity.js';
import { scratchDir } from '../helpers/tiny_model.js';

/** A python3 that imports torch: the one on PATH, else Debian's (python3-torch). */
function pythonWithTorch(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return python;
  }
  return null;
}

const python = pythonWithTorch();
if (!python) console.warn('official checkpoint conversion test skipped: no python3 with torch (Debian: apt-get install python3-torch)');

const WORDS = ['<end>', 'a', 'bird', 'with', 'red', 'wings', 'and', 'black', 'head', 'small', 'yellow', 'belly'];
const GENERATOR = { gfDim: 4, efDim: 16, cDim: 8, zDim: 8, rNum: 1, branchNum: 2 } as const;

/** Reads the tiny modules' safetensors and writes them the way the official code did. */
const MAKE_OFFICIAL = String.raw`
import json, pickle, struct, sys
from collections import OrderedDict
import torch
DT = {"F32": torch.float32, "I64": torch.int64}
def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n)); data = f.read()
    out = OrderedDict()
    for k, v in header.items():
        if k == "__metadata__": continue
        a, b = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=DT[v["dtype"]]).reshape(v["shape"]).clone()
    return out
g_st, e_st, g_pth, e_pth, captions, words = sys.argv[1:7]
# netG as saved from nn.DataParallel (module. prefixes), both in the pre-1.6 (non-zip) format.
torch.save(OrderedDict(("module." + k, v) for k, v in read(g_st).items()), g_pth, _use_new_zipfile_serialization=False)
torch.save(read(e_st), e_pth, _use_new_zipfile_serialization=False)
ws = json.loads(words)
ixtoword = {i: w for i, w in enumerate(ws)}
wordtoix = {w: i for i, w in enumerate(ws)}
train = [[1, 2, 3, 4, 5], [1, 9, 2, 3, 10, 11]]
test = [[1, 2, 3, 7, 8]]
with open(captions, "wb") as f:
    pickle.dump([train, test, ixtoword, wordtoix], f, protocol=2)
`;

describe.skipIf(!python)('official MirrorGAN checkpoints -> model folder', () => {
  const dir = scratchDir('official');
  const files = { netG: path.join(dir, 'netG_epoch_600.pth'), textEncoder: path.join(dir, 'text_encoder200.pth'), captions: path.join(dir, 'captions.pickle') };
  const refs = { netG: path.join(dir, 'netG.safetensors'), textEncoder: path.join(dir, 'text_encoder.safetensors') };
  const convert = (args: string[]) => spawnSync(python as string, [path.join(repoRoot, 'scripts', 'official2model.py'), ...args], { encoding: 'utf8' });
  const official = ['--netG', files.netG, '--text-encoder', files.textEncoder, '--captions', files.captions];

  beforeAll(async () => {
    const g = new Generator(GENERATOR);
    const e = new TextEncoder({ nTokens: WORDS.length, nHidden: GENERATOR.efDim, rnnType: 'LSTM' });
    await g.save(refs.netG);
    await e.save(refs.textEncoder);
    g.dispose();
    e.dispose();
    execFileSync(python as string, ['-c', MAKE_OFFICIAL, refs.netG, refs.textEncoder, files.netG, files.textEncoder, files.captions, JSON.stringify(WORDS)]);
  });

  it('converts them in one command into a folder that generates as the original modules do', async () => {
    const out = path.join(dir, 'birds');
    const r = convert([...official, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/birds: official MirrorGAN converted from netG_epoch_600\.pth \(cub, 128 px\); .* LSTM 16; 12 words; float32/);
    using gan = await MirrorGAN.load(out);
    // The architecture, read from the shapes.
    expect(gan.generator.options).toMatchObject({ gfDim: 4, efDim: 16, cDim: 8, zDim: 8, rNum: 1, branchNum: 2, sentenceAttention: 'official' });
    expect(gan.config).toMatchObject({ preset: 'birds', dataset: { name: 'cub' }, text: { embeddingDim: 16, rnnType: 'LSTM' } });
    expect(gan.hasCaptioner).toBe(false);
    // The vocabulary, as the project's own pickle reader reads captions.pickle.
    expect(Array.from({ length: gan.vocabulary.size }, (_, i) => gan.vocabulary.word(i))).toEqual(WORDS);
    const fromPickle = (await Vocabulary.fromPickle(files.captions)).vocabulary;
    expect(Array.from({ length: fromPickle.size }, (_, i) => fromPickle.word(i))).toEqual(WORDS);
    // Every weight, key for key.
    for (const [mod, ref] of [[gan.generator, refs.netG], [gan.textEncoder, refs.textEncoder]] as const) {
      const original = mod instanceof Generator ? new Generator(GENERATOR) : new TextEncoder({ nTokens: WORDS.length, nHidden: 16 });
      await original.load(ref);
      const [a, b] = [mod.namedStateDict(), original.namedStateDict()];
      expect([...a.keys()]).toEqual([...b.keys()]);
      for (const [k, t] of a) expect(Array.from(t.dataSync() as ArrayLike<number | bigint>), k).toEqual(Array.from(b.get(k)!.dataSync() as ArrayLike<number | bigint>));
      dispose([a, b]);
      original.dispose();
    }
    const [img] = await gan.generate('a bird with red wings and a parrot', { seed: 3 });
    expect([img!.size, img!.tokens, img!.unknownWords]).toEqual([128, ['a', 'bird', 'with', 'red', 'wings', 'and', 'a'], ['parrot']]);
    await expect(gan.describe(img!.png)).rejects.toMatchObject({ code: 'ERR_FILE', message: /has no STREAM captioner/ });
  });

  it('stores float16 on request, and refuses mismatched or foreign files with the reason', async () => {
    const half = path.join(dir, 'half');
    expect(convert([...official, '-o', half, '--dtype', 'float16', '--name', 'birds-half']).status).toBe(0);
    using gan = await MirrorGAN.load(half);
    expect([gan.source.manifest?.name, gan.source.manifest?.dtype]).toEqual(['birds-half', 'float16']);
    expect(fs.statSync(path.join(half, 'netG.safetensors')).size).toBeLessThan(0.55 * fs.statSync(path.join(dir, 'birds', 'netG.safetensors')).size);
    const again = convert([...official, '-o', half]);
    expect([again.status, again.stderr.trim()]).toEqual([1, `official2model: ${half} already exists; choose another folder or overwrite it (--force)`]);
    const swapped = convert(['--netG', files.textEncoder, '--text-encoder', files.textEncoder, '--captions', files.captions, '-o', path.join(dir, 'x')]);
    expect(swapped.stderr).toMatch(/no 'ca_net.fc.weight': not a MirrorGAN\/AttnGAN generator/);
    const wrongVocabulary = path.join(dir, 'other.pickle');
    execFileSync(python as string, ['-c', `import pickle; pickle.dump([[], [], {0: '<end>', 1: 'a'}, {}], open(${JSON.stringify(wrongVocabulary)}, 'wb'), protocol=2)`]);
    const mismatch = convert(['--netG', files.netG, '--text-encoder', files.textEncoder, '--captions', wrongVocabulary, '-o', path.join(dir, 'y')]);
    expect(mismatch.stderr).toMatch(/has 2 words but .* embeds 12: they are not from the same dataset/);
    expect(fs.existsSync(path.join(dir, 'x')) || fs.existsSync(path.join(dir, 'y'))).toBe(false);
  });
});
