// SPDX-License-Identifier: MIT
// `mirrorgan doctor`: what LibTorch, device, BLAS and threads this install really runs on.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { distributedSupport, type DistributedSupport } from '../../lib/distributed.js';
import { matmulBenchmark, runtimeInfo, type RuntimeInfo } from '../../lib/runtime.js';
import { packageRoot } from '../../lib/native.js';
import { invalidArg } from '../../lib/errors.js';
import { printOut } from './output.js';

export interface DoctorReport {
  node: string;
  napiVersion: string;
  packageVersion: string;
  /** How the addon found LibTorch at build time (build/install-stamp.json). */
  builtAgainst: string | null;
  runtime: RuntimeInfo;
  /** Whether this build can join a c10d process group (Gloo / NCCL), and why not. */
  distributed: DistributedSupport;
  matmul: { gflops: number; n: number; seconds: number };
  warnings: string[];
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Collects the doctor report (runs a ~1 s matmul probe off the main thread). */
export async function doctor(options: { seconds?: number } = {}): Promise<DoctorReport> {
  const root = packageRoot();
  const runtime = runtimeInfo();
  const bench = await matmulBenchmark(options.seconds ?? 1, 512);
  const warnings: string[] = [];
  if (runtime.blas.reference) {
    warnings.push('LibTorch is using reference BLAS (slow). Fix: sudo apt-get install libopenblas0-pthread');
  } else if (runtime.blas.name === 'unknown' && !runtime.buildConfig.includes('MKL')) {
    warnings.push('could not tell which BLAS LibTorch uses');
  }
  if (runtime.numThreads < runtime.usableCores) {
    warnings.push(`LibTorch uses ${runtime.numThreads} thread(s) on ${runtime.usableCores} usable cores (MIRRORGAN_NUM_THREADS / OMP_NUM_THREADS?)`);
  }
  if (bench.gflops < 10) warnings.push(`matmul runs at ${bench.gflops.toFixed(1)} GFLOP/s, far below an optimised BLAS`);
  return {
    node: process.version,
    napiVersion: process.versions.napi ?? '?',
    packageVersion: String(readJson(path.join(root, 'package.json'))?.version ?? '?'),
    builtAgainst: (readJson(path.join(root, 'build', 'install-stamp.json'))?.how as string) ?? null,
    runtime,
    distributed: distributedSupport(),
    matmul: { gflops: bench.gflops, n: bench.n, seconds: bench.seconds },
    warnings,
  };
}

/** One line: which c10d backends this build has, or why it has none. */
export function formatDistributed(d: DistributedSupport): string {
  if (!d.gloo) return `unavailable: ${d.reason}`;
  return `c10d Gloo (CPU)${d.nccl ? ' + NCCL (CUDA)' : `; NCCL unavailable: ${d.ncclReason}`}`;
}

export function formatDoctor(r: DoctorReport): string {
  const rt = r.runtime;
  const blasLib = rt.blas.libraries.find((l) => /(openblas|mkl|blis)[^/]*$/.test(l)) ?? rt.blas.libraries[0] ?? '';
  const lines = [
    `mirrorgan-native ${r.packageVersion}`,
    `  node      ${r.node} (N-API ${r.napiVersion})`,
    `  libtorch  ${rt.torchVersion}${r.builtAgainst ? `  [${r.builtAgainst}]` : ''}`,
    `  cuda      ${rt.cudaAvailable ? `available, ${rt.cudaDeviceCount} device(s)${rt.cudnnAvailable ? ', cuDNN' : ''}` : 'not available (CPU only)'}`,
    `  blas      ${rt.blas.name}${blasLib ? `  (${blasLib})` : ''}`,
    `  threads   ${rt.numThreads} intra-op (${rt.usableCores} usable cores)`,
    `  distrib.  ${formatDistributed(r.distributed)}`,
    `  matmul    ${r.matmul.gflops.toFixed(1)} GFLOP/s (${r.matmul.n}x${r.matmul.n} float32, ${r.matmul.seconds.toFixed(1)} s)`,
  ];
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  if (!r.warnings.length) lines.push('  ok');
  return lines.join('\n');
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('show the LibTorch, device, BLAS and thread setup and a matmul speed probe')
    .option('--json', 'print the report as JSON')
    .option('--seconds <s>', 'length of the matmul probe', '1')
    .action(async (opts: { json?: boolean; seconds: string }) => {
      const seconds = Number(opts.seconds);
      if (!(seconds > 0 && seconds <= 60)) throw invalidArg('--seconds', 'a number in (0, 60]', opts.seconds);
      const report = await doctor({ seconds });
      printOut(opts.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
    });
}
