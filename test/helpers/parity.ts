// SPDX-License-Identifier: MIT
// Reads the official parity fixtures committed under test/fixtures/parity.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors } from '../../lib/safetensors.js';
import { maxAbsDiff, type Tensor } from '../../lib/tensor.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The fixture folder (part of the repository; tests fail, not skip, when it is missing). */
export function parityDir(): string {
  const dir = path.join(repoRoot, 'test', 'fixtures', 'parity');
  if (!fs.existsSync(path.join(dir, 'README.md'))) throw new Error(`parity fixtures not found at ${dir}`);
  return dir;
}

export async function loadFixture(name: string): Promise<{ tensors: Map<string, Tensor>; sidecar: Record<string, unknown> }> {
  const dir = parityDir();
  const { tensors } = await loadSafetensors(path.join(dir, `${name}.safetensors`));
  const sidecar = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  return { tensors, sidecar };
}

/** The README's rule for out.* tensors: |yours - stored| <= atol + rtol * |stored|, elementwise. */
export function worstOutputViolation(mine: Tensor, stored: Tensor, atol = 1e-5, rtol = 1e-4): number {
  const a = mine.dataSync() as Float32Array;
  const b = stored.dataSync() as Float32Array;
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i] - b[i]) - (atol + rtol * Math.abs(b[i]));
    if (excess > worst) worst = excess;
  }
  return worst;
}

/** The README's rule for grad.* tensors: max |diff| <= atol + rtol * max |stored|. */
export function gradWithinTolerance(mine: Tensor, stored: Tensor, atol = 1e-5, rtol = 1e-3): { ok: boolean; diff: number; limit: number } {
  const diff = maxAbsDiff(mine, stored);
  const s = stored.dataSync() as Float32Array;
  let maxAbs = 0;
  for (const v of s) maxAbs = Math.max(maxAbs, Math.abs(v));
  const limit = atol + rtol * maxAbs;
  return { ok: diff <= limit, diff, limit };
}
