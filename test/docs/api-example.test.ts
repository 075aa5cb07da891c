// SPDX-License-Identifier: MIT
// The library example of docs/api.md, kept runnable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Adam, callNative, memory, Module, randn, tidy } from '../../src/index.js';

it('docs/api.md example: CA_NET trains one KL step and saves', async () => {
  const before = memory().numTensors;
  const ca = new Module('CA_NET', { tDim: 256, cDim: 100 });
  const opt = new Adam(ca, { lr: 2e-4, betas: [0.5, 0.999] });
  const loss = tidy(() => {
    const { mu, logvar } = ca.forward({ sent_emb: randn([12, 256]) });
    const kl = mu.pow(2).add(logvar.exp()).sub(logvar).sub(1).mean().mul(0.5);
    expect(kl.item()).toBeCloseTo(callNative('kl_loss', { mu, logvar }).loss.item(), 5);
    opt.zeroGrad();
    kl.backward();
    opt.step();
    return kl.item();
  });
  expect(loss).toBeGreaterThan(0);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mg-api-doc-')), 'ca_net.safetensors');
  await ca.save(file);
  expect(fs.statSync(file).size).toBeGreaterThan(400 * 256 * 4);
  expect(memory().numTensors).toBe(before);
});
