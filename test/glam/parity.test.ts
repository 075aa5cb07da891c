// SPDX-License-Identifier: MIT
// GLAM parity: the official MirrorGAN modules' outputs, gradients and BatchNorm updates,
// reproduced from the stored weights and inputs (test/fixtures/parity).
import { describe, expect, it } from 'vitest';
import { callNative, dispose, Module, type Tensor } from '../../lib/index.js';
import { Discriminator, Generator } from '../../src/glam/index.js';
import { gradWithinTolerance, loadFixture, worstOutputViolation } from '../helpers/parity.js';

type Fixture = Map<string, Tensor>;

/** Weights: every key that is not an in./out./grad. entry, optionally under a prefix. */
function weights(fx: Fixture, prefix = ''): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, t] of fx) {
    if (/^(in|out|grad)\./.test(k) || !k.startsWith(prefix)) continue;
    out.set(k.slice(prefix.length), t);
  }
  return out;
}

function expectOut(mine: Tensor, stored: Tensor | undefined, what: string, atol = 1e-5, rtol = 1e-4): void {
  expect(stored, `fixture has ${what}`).toBeDefined();
  expect(mine.shape, what).toEqual(stored!.shape);
  expect(worstOutputViolation(mine, stored!, atol, rtol), what).toBeLessThanOrEqual(0);
}

function expectGrad(mine: Tensor | null, stored: Tensor | undefined, what: string): void {
  expect(stored, `fixture has ${what}`).toBeDefined();
  expect(mine, `${what} has a gradient`).not.toBeNull();
  const r = gradWithinTolerance(mine!, stored!);
  expect(r.diff, `${what}: max diff ${r.diff} > ${r.limit}`).toBeLessThanOrEqual(r.limit);
}

function expectBuffers(m: Module, fx: Fixture, prefix: string): number {
  let n = 0;
  for (const [k, t] of m.namedStateDict()) {
    const stored = fx.get(`${prefix}${k}`);
    if (!/running_mean|running_var|num_batches_tracked/.test(k)) continue;
    expect(stored, `fixture has ${prefix}${k}`).toBeDefined();
    if (k.endsWith('num_batches_tracked')) expect(t.toArray(), k).toEqual(stored!.toArray());
    else expectOut(t, stored, `${prefix}${k}`);
    n++;
  }
  return n;
}

describe('GLAttentionGeneral parity (attention fixture)', () => {
  it('word and sentence attention, the mask quirk, and all gradients', async () => {
    const { tensors: fx } = await loadFixture('attention');
    const att = new Module('GLAttentionGeneral', { idf: 16, cdf: 256, cDim: 100, maskTiling: 'official', sentenceAttention: 'official' });
    att.loadStateDict(weights(fx));
    const h = fx.get('in.h')!.clone();
    const c = fx.get('in.c_code')!.clone();
    const w = fx.get('in.words_emb')!.clone();
    for (const t of [h, c, w]) t.requiresGrad = true;
    const out = att.forward({ h, c_code: c, words_emb: w, mask: fx.get('in.mask')! });
    for (const k of ['weighted_context', 'weighted_sentence', 'word_attn', 'sent_att']) expectOut(out[k], fx.get(`out.${k}`), k);
    // attention maps sum to 1 over words at every pixel
    const sums = out.word_attn.sum([1]).toArray();
    for (const s of sums) expect(s).toBeCloseTo(1, 5);
    const loss = out.weighted_context.mul(fx.get('in.loss_w_context')!).sum().add(out.weighted_sentence.mul(fx.get('in.loss_w_sentence')!).sum());
    expectOut(loss, fx.get('out.loss'), 'loss');
    loss.backward();
    expectGrad(h.grad, fx.get('grad.in.h'), 'grad.in.h');
    expectGrad(c.grad, fx.get('grad.in.c_code'), 'grad.in.c_code');
    expectGrad(w.grad, fx.get('grad.in.words_emb'), 'grad.in.words_emb');
    for (const [k, p] of att.namedParameters()) expectGrad(p.grad, fx.get(`grad.${k}`), `grad.${k}`);
    // without a mask
    const nomask = att.forward({ h, c_code: c, words_emb: w });
    expectOut(nomask.weighted_context, fx.get('out.nomask.weighted_context'), 'nomask.weighted_context');
    expectOut(nomask.word_attn, fx.get('out.nomask.word_attn'), 'nomask.word_attn');
    // the fixed tiling really differs from the official one on this input
    const fixed = new Module('GLAttentionGeneral', { idf: 16, cdf: 256, cDim: 100, maskTiling: 'fixed', sentenceAttention: 'official' });
    fixed.loadStateDict(weights(fx));
    const f = fixed.forward({ h, c_code: c, words_emb: w, mask: fx.get('in.mask')! });
    expect(worstOutputViolation(f.word_attn, fx.get('out.word_attn')!)).toBeGreaterThan(0);
    // with the fixed tiling, padded words get exactly zero attention
    const attn = f.word_attn.dataSync() as Float32Array;
    const mask = fx.get('in.mask')!.dataSync() as Uint8Array;
    const [B, T, H, W] = f.word_attn.shape;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
      if (!mask[b * T + t]) continue;
      for (let q = 0; q < H * W; q++) expect(attn[((b * T) + t) * H * W + q]).toBe(0);
    }
    dispose(fx);
  });
});

describe('G_NET parity (generator fixture)', () => {
  it('eval and train forwards, attention maps, BN updates and every gradient', async () => {
    const { tensors: fx, sidecar } = await loadFixture('generator');
    const cfg = (sidecar as { config: { 'cfg (official keys)': Record<string, number> } }).config['cfg (official keys)'];
    const opts = { gfDim: cfg['GAN.GF_DIM'], zDim: cfg['GAN.Z_DIM'], cDim: cfg['GAN.CONDITION_DIM'], rNum: cfg['GAN.R_NUM'], branchNum: cfg['TREE.BRANCH_NUM'] };
    const g = new Generator(opts);  // the other options: the schema's defaults, the official ones
    const w = weights(fx);
    // the sidecar lists the official state_dict() keys in their order
    const official = Object.keys((sidecar as { weights: { keys: Record<string, unknown> }[] }).weights[0].keys);
    expect(official).toHaveLength(105);
    expect([...g.namedStateDict().keys()]).toEqual(official);
    expect([...w.keys()].sort()).toEqual([...official].sort());
    g.loadStateDict(w);
    const inputs = { z: fx.get('in.z')!, sent_emb: fx.get('in.sent_emb')!, words_emb: fx.get('in.words_emb')!, mask: fx.get('in.mask')!, eps: fx.get('in.eps')! };

    g.eval();
    const ev = g.forward(inputs, { grad: false });
    for (const s of [64, 128, 256]) expectOut(ev[`fake_${s}`], fx.get(`out.eval.fake_${s}`), `eval fake_${s}`, 3e-4, 1e-4);
    for (const k of ['mu', 'logvar', 'c_code']) expectOut(ev[k], fx.get(`out.eval.${k}`), `eval ${k}`);

    g.train();
    const z = inputs.z.clone(), s = inputs.sent_emb.clone(), we = inputs.words_emb.clone();
    for (const t of [z, s, we]) t.requiresGrad = true;
    const tr = g.forward({ ...inputs, z, sent_emb: s, words_emb: we });
    for (const sz of [64, 128, 256]) expectOut(tr[`fake_${sz}`], fx.get(`out.train.fake_${sz}`), `train fake_${sz}`, 3e-4, 1e-4);
    expectOut(tr.att_stage2, fx.get('out.train.att_stage2'), 'att_stage2', 3e-4, 1e-4);
    expectOut(tr.att_stage3, fx.get('out.train.att_stage3'), 'att_stage3', 3e-4, 1e-4);
    expect(expectBuffers(g, fx, 'out.train.bn.')).toBe(45);
    const { loss: kl } = callNative('kl_loss', { mu: tr.mu, logvar: tr.logvar });
    expectOut(kl, fx.get('out.train.kl_loss'), 'kl_loss');
    let loss = kl;
    for (const sz of [64, 128, 256]) loss = loss.add(tr[`fake_${sz}`].mul(fx.get(`in.loss_w_${sz}`)!).sum());
    expectOut(loss, fx.get('out.train.loss'), 'loss', 3e-4, 1e-4);
    loss.backward();
    let n = 0;
    for (const [k, p] of g.namedParameters()) {
      expectGrad(p.grad, fx.get(`grad.${k}`), `grad.${k}`);
      n++;
    }
    expect(n).toBe(60);
    expectGrad(z.grad, fx.get('grad.in.z'), 'grad.in.z');
    expectGrad(s.grad, fx.get('grad.in.sent_emb'), 'grad.in.sent_emb');
    expectGrad(we.grad, fx.get('grad.in.words_emb'), 'grad.in.words_emb');
    dispose(fx);
  });
});

describe.each([64, 128, 256])('D_NET%i parity (discriminator fixture)', (size) => {
  it('features, both heads, every part of discriminator_loss, gradients, BN updates, G-side term', async () => {
    const { tensors: fx, sidecar } = await loadFixture(`discriminator_${size}`);
    const cfg = (sidecar as { config: { 'cfg (official keys)': Record<string, number> } }).config['cfg (official keys)'];
    const w = weights(fx);
    const make = () => {
      const d = new Discriminator({ size, dfDim: cfg['GAN.DF_DIM'] });
      d.loadStateDict(w);
      return d;
    };
    const official = Object.keys((sidecar as { weights: { keys: Record<string, unknown> }[] }).weights[0].keys);
    expect([...make().namedStateDict().keys()]).toEqual(official);
    expect(official).toHaveLength({ 64: 29, 128: 41, 256: 53 }[size]!);
    const inputs = { real: fx.get('in.real')!, fake: fx.get('in.fake')!, sent_emb: fx.get('in.sent_emb')! };
    const parts = ['features_real', 'features_fake', 'cond_real_logits', 'cond_fake_logits', 'cond_wrong_logits', 'uncond_real_logits', 'uncond_fake_logits'];
    const bces = ['cond_real_bce', 'cond_fake_bce', 'cond_wrong_bce', 'uncond_real_bce', 'uncond_fake_bce'];

    const evT = make().eval().call('d_loss', inputs);
    for (const k of parts) expectOut(evT[k], fx.get(`out.eval.${k}`), `eval ${k}`);
    for (const k of bces) expectOut(evT[k], fx.get(`out.eval.errD_parts.${k}`), `eval ${k}`);
    expectOut(evT.errD, fx.get('out.eval.errD'), 'eval errD');

    const dTrain = make().train();
    const tr = dTrain.call('d_loss', inputs);
    for (const k of parts) expectOut(tr[k], fx.get(`out.train.${k}`), `train ${k}`);
    for (const k of bces) expectOut(tr[k], fx.get(`out.train.errD_parts.${k}`), `train ${k}`);
    expectOut(tr.errD, fx.get('out.train.errD'), 'train errD');
    tr.errD.backward();
    for (const [k, p] of dTrain.namedParameters()) expectGrad(p.grad, fx.get(`grad.${k}`), `grad.${k}`);
    expect(expectBuffers(dTrain, fx, 'out.train.bn.')).toBeGreaterThan(0);

    const dG = make().train();
    const gl = await dG.callAsync('g_loss', { fake: inputs.fake, sent_emb: inputs.sent_emb });
    expectOut(gl.cond_logits, fx.get('out.train_g.cond_logits'), 'train_g cond_logits');
    expectOut(gl.uncond_logits, fx.get('out.train_g.uncond_logits'), 'train_g uncond_logits');
    expectOut(gl.g_loss, fx.get('out.train_g.g_loss'), 'train_g g_loss');
    dispose(fx);
  });
});

