// SPDX-License-Identifier: MIT
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, formatDoctor } from '../../src/cli/doctor.js';
import { repoRoot } from '../helpers/parity.js';
import { getNumThreads, runtimeInfo } from '../../lib/index.js';

describe('mirrorgan doctor', () => {
  it('reports LibTorch, BLAS, threads and a matmul figure', async () => {
    const r = await doctor({ seconds: 0.3 });
    expect(r.runtime.torchVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(typeof r.runtime.cudaAvailable).toBe('boolean');
    expect(r.matmul.gflops).toBeGreaterThan(0);
    // Setup installs OpenBLAS; reference BLAS must be flagged if it ever comes back.
    expect(r.runtime.blas.reference).toBe(false);
    expect(r.runtime.blas.name).not.toBe('unknown');
    const text = formatDoctor(r);
    expect(text).toMatch(/libtorch\s+\d/);
    expect(text).toMatch(/GFLOP\/s/);
    // The project's setup (scripts/setup-libtorch.sh) installs what c10d's Gloo needs.
    expect(r.distributed).toMatchObject({ gloo: true, reason: '' });
    expect(text).toMatch(/distrib\.  c10d Gloo \(CPU\)(; NCCL unavailable: .+| \+ NCCL \(CUDA\))\n/);
  });

  it('uses one intra-op thread per usable core by default', () => {
    const info = runtimeInfo();
    if (!process.env.MIRRORGAN_NUM_THREADS && !process.env.OMP_NUM_THREADS) {
      expect(getNumThreads()).toBe(info.usableCores);
    }
  });

  it('runs as `mirrorgan doctor --json` from the bin script', () => {
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'bin', 'mirrorgan.js'), 'doctor', '--json', '--seconds', '0.2'], { encoding: 'utf8' });
    const report = JSON.parse(out);
    expect(report.runtime.numThreads).toBeGreaterThan(0);
    expect(Array.isArray(report.warnings)).toBe(true);
  });

  it('exits 2 with a one-line message on a bad option', () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'mirrorgan.js'), 'doctor', '--seconds', 'x'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--seconds/);
  });
});
