// SPDX-License-Identifier: MIT
// The package's entry points by their package names: Node resolves `mirrorgan-native`,
// `mirrorgan-native/lib` and `mirrorgan-native/eval` (self-reference through package.json
// "exports") to the compiled files of the sources that define them; those export what a user
// needs, and the root no longer carries the probe or internal helpers.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { repoRoot } from '../helpers/parity.js';

interface Entry {
  /** The TypeScript source the entry point is compiled from. */
  source: string;
  /** Names it must export. */
  names: string[];
  /** Names it must not export. */
  absent: string[];
}

const ENTRIES: Record<string, Entry> = {
  'mirrorgan-native': {
    source: 'src/index.ts',
    names: [
      'MirrorGAN', 'attentionFigure', 'attentionOverlays', 'exportModel', 'readModelManifest', 'trainPipeline', 'GanTrainer', 'resolveConfig', 'defaults', 'PRESETS', 'generatorOptions', 'textEncoderOptions', 'loadDataset', 'DataLoader', 'Vocabulary',
      'Generator', 'Discriminator', 'TextEncoder', 'CompactImageEncoder', 'InceptionImageEncoder', 'CaptionEncoder', 'CaptionDecoder',
      'pretrainDamsm', 'loadDamsmImageEncoder', 'pretrainStream', 'loadCaptioner', 'frozenCaptioner', 'captionLoss', 'corpusBleu',
      'writeReport', 'exportTensorBoard', 'TensorBoardWriter', 'MirrorganError', 'DataError', 'ERROR_CODES', 'isErrorCode',
      'Tensor', 'tensor', 'randn', 'tidy', 'memory', 'dispose', 'Module', 'callNative', 'Adam', 'clipGradNorm', 'saveSafetensors',
      'loadSafetensors', 'manualSeed', 'setNumThreads', 'cudaAvailable', 'initDataParallel', 'DataParallel', 'distributedSupport',
    ],
    absent: [
      'ProbeReferences', 'scoreColourShape', 'colourShapeProbes', 'captionerCrossEntropies', 'rPrecision', 'crc32c', 'encodeTFRecord',
      'encodeEvent', 'escapeHtml', 'readPickle', 'Rng', 'deriveSeed', 'cropFlip', 'resizeToCHW', 'scanOpenMoji', 'scanCub', 'ImageCache',
      'DataReport', 'describeEmoji', 'JobLock', 'coerce', 'setField', 'canonicalJson', 'freePort', 'workerArgs',
    ],
  },
  'mirrorgan-native/lib': {
    source: 'lib/index.ts',
    names: ['Tensor', 'tensor', 'Module', 'Adam', 'clipGradNorm', 'loadTorchPickle', 'JobLock', 'MirrorganError', 'DataError', 'ERROR_CODES'],
    absent: ['MirrorGAN', 'ProbeReferences'],
  },
  'mirrorgan-native/eval': {
    source: 'src/eval/index.ts',
    names: [
      'ProbeReferences', 'scoreColourShape', 'colourShapeProbes', 'summariseProbeScores', 'probeLayout', 'probeMatching',
      'probeTextSeparation', 'probeReferenceFiles', 'captionerCrossEntropies', 'damsmSentenceScores', 'rPrecision', 'PROBE_COLOURS',
    ],
    absent: ['MirrorGAN', 'Tensor'],
  },
};
const SPECIFIERS = Object.keys(ENTRIES);

/** Runs an ES module snippet with Node from the package folder; `specifiers` are its arguments. */
function node(script: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script, ...SPECIFIERS], { cwd: repoRoot, encoding: 'utf8' });
}

/** The source file tsc compiles to `file` (dist/<path>.js or .d.ts). */
function sourceOf(file: string): string {
  return path.relative(path.join(repoRoot, 'dist'), file).replace(/\.d\.ts$|\.js$/, '.ts');
}

const newestSource = Math.max(...['src', 'lib'].flatMap((d) => fs.readdirSync(path.join(repoRoot, d), { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => fs.statSync(path.join(e.parentPath, e.name)).mtimeMs)));
const distFresh = SPECIFIERS.every((s) => {
  const f = path.join(repoRoot, 'dist', ENTRIES[s]!.source.replace(/\.ts$/, '.js'));
  return fs.existsSync(f) && fs.statSync(f).mtimeMs >= newestSource;
});

describe('package entry points', () => {
  it('resolve by name (package.json "exports") to the compiled entry sources, with types beside them; nothing else is exported', () => {
    const resolved = node('for (const s of process.argv.slice(1)) console.log(import.meta.resolve(s));').trim().split('\n');
    expect(resolved.map((url) => sourceOf(fileURLToPath(url)))).toEqual(SPECIFIERS.map((s) => ENTRIES[s]!.source));
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; exports: Record<string, { types: string; default: string }> };
    expect(pkg.name).toBe('mirrorgan-native');
    expect(Object.keys(pkg.exports).map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`))).toEqual(SPECIFIERS);
    for (const s of SPECIFIERS) {
      const e = pkg.exports[s === pkg.name ? '.' : `./${s.slice(pkg.name.length + 1)}`]!;
      expect(sourceOf(path.join(repoRoot, e.types))).toBe(ENTRIES[s]!.source);
    }
    const refused = node("try { import.meta.resolve('mirrorgan-native/src/util/rng.js'); console.log('resolved'); } catch (e) { console.log(e.code); }");
    expect(refused.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  for (const [specifier, entry] of Object.entries(ENTRIES)) {
    it(`${specifier} exports what a user needs and not the internals`, async () => {
      const mod = (await import(path.join(repoRoot, entry.source))) as Record<string, unknown>;
      expect(entry.names.filter((n) => !(n in mod))).toEqual([]);
      expect(entry.absent.filter((n) => n in mod)).toEqual([]);
    });
  }

  // dist/ is compiled by `npm install` (prepare) and `npm run build:ts`; older than the sources, it
  // would test yesterday's code (.ci/run always builds it fresh).
  it.runIf(distFresh)('the built entry points, imported by name, export exactly the names of their sources', async () => {
    const built = JSON.parse(node('const out = {}; for (const s of process.argv.slice(1)) out[s] = Object.keys(await import(s)).sort(); console.log(JSON.stringify(out));')) as Record<string, string[]>;
    for (const [specifier, entry] of Object.entries(ENTRIES)) {
      const mod = (await import(path.join(repoRoot, entry.source))) as Record<string, unknown>;
      expect(built[specifier], specifier).toEqual(Object.keys(mod).sort());
    }
  });
});
