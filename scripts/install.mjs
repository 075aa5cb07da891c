#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm install` hook: finds LibTorch, builds the addon with cmake-js, and skips all of it when
// nothing changed since the last build.
//
// Environment:
//   LIBTORCH=/path             a LibTorch root (holds share/cmake/Torch); tried first
//   Torch_DIR, CMAKE_PREFIX_PATH  where TorchConfig.cmake lives; tried second
//   LIBTORCH_USE_PYTORCH=0     do not ask python3's `torch` (asked third by default)
//   MIRRORGAN_SKIP_BUILD=1     do nothing (docs-only or TypeScript-only jobs)
//   MIRRORGAN_NO_SETUP=1       never run scripts/setup-libtorch.sh (apt) automatically
//   MIRRORGAN_UNITY=0|1        unity build off/on (default: on for a fresh build folder)
//   MIRRORGAN_DEBUG_BUILD=1    Debug configuration
//   MIRRORGAN_DISTRIBUTED=auto|on|off  c10d data-parallel training: when found (default),
//                              required (fail without it), or never
// Flags: --force rebuilds even when the stamp says nothing changed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build');
const addonPath = path.join(buildDir, 'Release', 'mirrorgan_native.node');
const stampPath = path.join(buildDir, 'install-stamp.json');
const logPath = path.join(buildDir, 'install.log');
const force = process.argv.includes('--force');

function say(msg) {
  process.stderr.write(`mirrorgan-native: ${msg}\n`);
}

function fail(reason, fixes, logTail) {
  say(`build failed: ${reason}`);
  if (logTail) process.stderr.write(`---- last lines of ${logPath} ----\n${logTail}\n----\n`);
  process.stderr.write('What to do:\n');
  fixes.forEach((f, i) => process.stderr.write(`  ${i + 1}. ${f}\n`));
  process.exit(1);
}

const FIXES = [
  'Debian/Ubuntu: sudo bash scripts/setup-libtorch.sh   (apt: libtorch-dev libopenblas0-pthread cmake g++)',
  'or point at a LibTorch download: LIBTORCH=/opt/libtorch npm rebuild mirrorgan-native',
  'or use a pip torch: LIBTORCH_USE_PYTORCH=1 npm rebuild mirrorgan-native (python3 must `import torch`)',
  'or give CMake the folder of TorchConfig.cmake: Torch_DIR=/path/share/cmake/Torch npm rebuild mirrorgan-native',
];

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}

function which(cmd) {
  return run('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Ask python3 for its torch: cmake prefix, ABI, version, CUDA. */
function pythonTorch() {
  if (process.env.LIBTORCH_USE_PYTORCH === '0') return null;
  const py = process.env.PYTHON ?? 'python3';
  const code = [
    'import json, torch, torch.utils',
    'print(json.dumps({"prefix": torch.utils.cmake_prefix_path, "abi": int(torch._C._GLIBCXX_USE_CXX11_ABI),',
    '  "version": torch.__version__, "cuda": torch.version.cuda}))',
  ].join('\n');
  const r = run(py, ['-c', code], { timeout: 60_000 });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return null;
  }
}

const SYSTEM_TORCH_DIRS = [
  '/usr/lib/x86_64-linux-gnu/cmake/Torch',
  '/usr/lib/aarch64-linux-gnu/cmake/Torch',
  '/usr/share/cmake/Torch',
  '/usr/local/share/cmake/Torch',
  '/usr/lib/cmake/Torch',
  '/usr/local/lib/cmake/Torch',
];

function systemTorch() {
  return SYSTEM_TORCH_DIRS.find((d) => fs.existsSync(path.join(d, 'TorchConfig.cmake'))) ?? null;
}

function isDebianRoot() {
  return process.getuid?.() === 0 && fs.existsSync('/etc/debian_version') && which('apt-get');
}

function runSetup() {
  say('no LibTorch found; installing Debian\'s libtorch-dev + OpenBLAS with scripts/setup-libtorch.sh ...');
  const r = run('bash', [path.join(root, 'scripts', 'setup-libtorch.sh')], { stdio: 'inherit' });
  return r.status === 0;
}

/** Decide how CMake will find LibTorch. Returns { how, cmakeArgs, fallback? }. */
function resolveTorch() {
  const lt = process.env.LIBTORCH;
  if (lt) {
    const dir = path.join(lt, 'share', 'cmake', 'Torch');
    if (!fs.existsSync(path.join(dir, 'TorchConfig.cmake'))) {
      fail(`LIBTORCH=${lt} has no share/cmake/Torch/TorchConfig.cmake`, FIXES);
    }
    return { how: `LIBTORCH=${lt}`, cmakeArgs: [`--CDTorch_DIR=${dir}`], manualRoot: lt };
  }
  if (process.env.Torch_DIR) {
    return { how: `Torch_DIR=${process.env.Torch_DIR}`, cmakeArgs: [`--CDTorch_DIR=${process.env.Torch_DIR}`] };
  }
  if (process.env.CMAKE_PREFIX_PATH) {
    const found = process.env.CMAKE_PREFIX_PATH.split(':').some(
      (p) => fs.existsSync(path.join(p, 'Torch', 'TorchConfig.cmake')) ||
        fs.existsSync(path.join(p, 'share', 'cmake', 'Torch', 'TorchConfig.cmake')),
    );
    if (found) return { how: `CMAKE_PREFIX_PATH=${process.env.CMAKE_PREFIX_PATH}`, cmakeArgs: [] };
  }
  const py = pythonTorch();
  if (py) {
    const manualRoot = path.resolve(py.prefix, '..', '..');
    return {
      how: `python torch ${py.version}${py.cuda ? ` (CUDA ${py.cuda})` : ' (CPU)'} at ${manualRoot}`,
      cmakeArgs: [`--CDCMAKE_PREFIX_PATH=${py.prefix}`],
      manualRoot,
      abi: py.abi,
    };
  }
  let sys = systemTorch();
  if (!sys && isDebianRoot() && process.env.MIRRORGAN_NO_SETUP !== '1') {
    if (runSetup()) sys = systemTorch();
  }
  if (sys) return { how: `system LibTorch (${sys})`, cmakeArgs: [`--CDTorch_DIR=${sys}`] };
  fail('no LibTorch found (LIBTORCH, Torch_DIR, CMAKE_PREFIX_PATH, python3 torch, system paths)', FIXES);
}

/** Debian's LibTorch needs OpenBLAS; warn (or install, as root) when it is missing. */
function checkOpenBlas(how) {
  if (!how.startsWith('system') || !which('dpkg-query')) return;
  const r = run('dpkg-query', ['-W', '-f=${Status}', 'libopenblas0-pthread']);
  if (r.stdout?.includes('install ok installed')) return;
  if (isDebianRoot() && process.env.MIRRORGAN_NO_SETUP !== '1') {
    runSetup();
  } else {
    say('warning: libopenblas0-pthread is not installed; LibTorch will use reference BLAS (~70x slower matmul).');
    say('         fix: sudo apt-get install libopenblas0-pthread');
  }
}

/** Where Gloo's headers would be (Debian: libgloo-dev); their arrival must trigger a rebuild. */
function glooHeaders(resolved) {
  const roots = ['/usr/include', '/usr/local/include'];
  if (resolved.manualRoot) roots.unshift(path.join(resolved.manualRoot, 'include'));
  return roots.filter((r) => fs.existsSync(path.join(r, 'gloo', 'algorithm.h')));
}

/** Distributed training is optional; say when the build leaves it out, and how to get it. */
function reportDistributed() {
  let rec;
  try {
    rec = JSON.parse(fs.readFileSync(path.join(buildDir, 'torch-build.json'), 'utf8')).distributed;
  } catch {
    return;
  }
  if (!rec) return;
  if (rec.gloo) say(`distributed training: c10d Gloo${rec.nccl ? ' + NCCL' : ` (NCCL: ${rec.ncclReason})`}`);
  else say(`distributed training unavailable: ${rec.reason}`);
}

function hashInputs(resolved) {
  const h = createHash('sha256');
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(path.join(root, 'native'));
  files.push(path.join(root, 'CMakeLists.txt'));
  files.sort();
  for (const f of files) {
    h.update(path.relative(root, f));
    h.update(fs.readFileSync(f));
  }
  h.update(JSON.stringify(resolved));
  h.update(process.version);
  return h.digest('hex');
}

function main() {
  if (process.env.MIRRORGAN_SKIP_BUILD === '1') {
    say('MIRRORGAN_SKIP_BUILD=1: not building the addon');
    return;
  }
  for (const tool of ['cmake', 'c++']) {
    if (!which(tool)) {
      if (isDebianRoot() && process.env.MIRRORGAN_NO_SETUP !== '1') runSetup();
      if (!which(tool)) fail(`'${tool}' is not on PATH`, ['Debian/Ubuntu: sudo apt-get install cmake g++ make', ...FIXES.slice(1)]);
    }
  }
  // cmake-js builds in Node-API mode (headers from the node-api-headers package, no download
  // from nodejs.org, which an offline machine cannot reach) only when package.json says so.
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  if (!pkg.binary?.napi_versions) {
    fail('package.json lacks binary.napi_versions, so cmake-js would download Node headers instead of using node-api-headers', [
      'restore "binary": { "napi_versions": [8] } in package.json (the value matches NAPI_VERSION in CMakeLists.txt)',
    ]);
  }
  const t0 = Date.now();
  const resolved = resolveTorch();
  checkOpenBlas(resolved.how);
  const distributed = (process.env.MIRRORGAN_DISTRIBUTED ?? 'auto').toUpperCase();
  if (!['AUTO', 'ON', 'OFF'].includes(distributed)) {
    fail(`MIRRORGAN_DISTRIBUTED must be auto, on or off (got '${process.env.MIRRORGAN_DISTRIBUTED}')`, FIXES);
  }
  const stamp = hashInputs({ how: resolved.how, args: resolved.cmakeArgs, distributed, gloo: glooHeaders(resolved) });
  if (!force && fs.existsSync(addonPath) && fs.existsSync(stampPath)) {
    try {
      if (JSON.parse(fs.readFileSync(stampPath, 'utf8')).stamp === stamp) {
        say(`addon up to date (${resolved.how}); nothing to build`);
        return;
      }
    } catch {
      /* rebuild */
    }
  }
  fs.mkdirSync(buildDir, { recursive: true });
  const fresh = !fs.existsSync(path.join(buildDir, 'CMakeCache.txt'));
  const unity = process.env.MIRRORGAN_UNITY ? process.env.MIRRORGAN_UNITY === '1' : fresh;
  const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  const baseArgs = [
    cmakeJs, 'build', '--directory', root, '--out', buildDir,
    '--parallel', String(os.availableParallelism?.() ?? os.cpus().length),
    '--config', process.env.MIRRORGAN_DEBUG_BUILD === '1' ? 'Debug' : 'Release',
    `--CDMG_UNITY_BUILD=${unity ? 'ON' : 'OFF'}`,
    `--CDMG_DISTRIBUTED=${distributed}`,
  ];
  say(`building the addon against ${resolved.how}${unity ? ' (unity build)' : ''} ...`);
  const attempt = (extra) => {
    const r = run(process.execPath, [...baseArgs, ...extra], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
    fs.writeFileSync(logPath, `${r.stdout ?? ''}\n${r.stderr ?? ''}`);
    return r.status === 0;
  };
  let ok = attempt([...resolved.cmakeArgs, '--CDMG_TORCH_MANUAL_ROOT=']);
  if (!ok && resolved.manualRoot && fs.existsSync(path.join(resolved.manualRoot, 'lib'))) {
    // A CUDA TorchConfig.cmake wants a CUDA toolkit at configure time; link by hand instead.
    say('find_package(Torch) failed; retrying with a manual link of the LibTorch libraries ...');
    fs.rmSync(path.join(buildDir, 'CMakeCache.txt'), { force: true });
    ok = attempt([`--CDMG_TORCH_MANUAL_ROOT=${resolved.manualRoot}`, `--CDMG_TORCH_CXX11_ABI=${resolved.abi ?? 1}`]);
  }
  if (!ok) {
    const log = fs.readFileSync(logPath, 'utf8').split('\n');
    const errors = log.filter((l) => /error|Error|FATAL/.test(l)).slice(0, 12);
    const tail = (errors.length ? errors : log.slice(-25)).join('\n');
    if (log.some((l) => l.includes('LibTorch was not found'))) fail('CMake did not find LibTorch', FIXES, tail);
    fail('the C++ compiler or linker failed', [
      `read the full log: ${logPath}`,
      'make sure g++ >= 9 and cmake >= 3.18 are installed (Debian: sudo apt-get install g++ cmake)',
      'if LibTorch was upgraded, rebuild from scratch: rm -rf build && npm rebuild mirrorgan-native',
      ...FIXES.slice(1),
    ], tail);
  }
  fs.writeFileSync(stampPath, JSON.stringify({ stamp, how: resolved.how, builtAt: new Date().toISOString() }));
  say(`built ${path.relative(root, addonPath)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  reportDistributed();
}

main();
