// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { dispose, keep, memory, ones, randn, tensor, tidy, zeros, manualSeed, maxAbsDiff, cat } from '../../lib/index.js';

describe('Tensor round trip', () => {
  it('keeps data, shape and dtype for every dtype', () => {
    const cases = [
      { data: new Float32Array([1.5, -2, 3.25, 4, 5, 6]), dtype: 'float32' },
      { data: new Float64Array([1e-300, 2, 3, 4, 5, 6]), dtype: 'float64' },
      { data: new Int32Array([1, -2, 3, 2147483647, 5, 6]), dtype: 'int32' },
      { data: new BigInt64Array([1n, -2n, 3n, 9007199254740993n, 5n, 6n]), dtype: 'int64' },
      { data: new Uint8Array([0, 1, 2, 255, 4, 5]), dtype: 'uint8' },
    ] as const;
    for (const c of cases) {
      const t = tensor(c.data, [2, 3]);
      expect(t.shape).toEqual([2, 3]);
      expect(t.dtype).toBe(c.dtype);
      expect(t.device).toBe('cpu');
      expect(t.dataSync()).toEqual(c.data);
      t.dispose();
    }
  });

  it('maps bool from bytes and number[] to float32 by default', () => {
    const b = tensor(new Uint8Array([0, 7, 1, 0]), [4], { dtype: 'bool' });
    expect(b.dtype).toBe('bool');
    expect(Array.from(b.dataSync() as Uint8Array)).toEqual([0, 1, 1, 0]);
    const f = tensor([1, 2, 3]);
    expect(f.dtype).toBe('float32');
    expect(f.shape).toEqual([3]);
    const i = tensor([1, 2, 3], [3], { dtype: 'int64' });
    expect(i.toArray()).toEqual([1, 2, 3]);
    dispose([b, f, i]);
  });

  it('reads data asynchronously and converts between dtypes', async () => {
    const t = tensor(new Float32Array([1.9, -1.9]), [2]);
    expect(Array.from((await t.data()) as Float32Array)).toEqual([expect.closeTo(1.9, 5), expect.closeTo(-1.9, 5)]);
    const asInt = t.to('int32');
    expect(asInt.toArray()).toEqual([1, -1]);
    dispose([t, asInt]);
  });

  it('computes with the small op set', () => {
    tidy(() => {
      const a = tensor([1, 2, 3, 4], [2, 2]);
      const b = tensor([5, 6, 7, 8], [2, 2]);
      expect(a.matmul(b).toArray()).toEqual([19, 22, 43, 50]);
      expect(a.add(1).mul(2).toArray()).toEqual([4, 6, 8, 10]);
      expect(a.sum().item()).toBe(10);
      expect(a.mean([1]).toArray()).toEqual([1.5, 3.5]);
      expect(a.transpose(0, 1).toArray()).toEqual([1, 3, 2, 4]);
      const ix = tensor(BigInt64Array.from([1n, 0n, 1n]), [3], { dtype: 'int64' });
      expect(a.indexSelect(0, ix).toArray()).toEqual([3, 4, 1, 2, 3, 4]);
      expect(a.indexSelect(1, ix).toArray()).toEqual([2, 1, 2, 4, 3, 4]);
      expect(() => a.indexSelect(0, tensor([0, 1]))).toThrow('Expected a 1-D int64 tensor for index of indexSelect');
      expect(() => a.indexSelect(0, tensor(BigInt64Array.from([5n]), [1], { dtype: 'int64' }))).toThrow(/out of range|index/i);
      expect(cat([a, b], 0).shape).toEqual([4, 2]);
      expect(maxAbsDiff(a, b)).toBe(4);
      expect(zeros([2, 3]).sum().item()).toBe(0);
      expect(ones([2, 3]).sum().item()).toBe(6);
      expect(tensor([1, Number.NaN]).allFinite()).toBe(false);
    });
  });

  it('manualSeed makes randn reproducible', () => {
    manualSeed(42);
    const a = randn([5]);
    manualSeed(42);
    const b = randn([5]);
    expect(maxAbsDiff(a, b)).toBe(0);
    dispose([a, b]);
  });
});

describe('memory management', () => {
  it('dispose() frees the handle and memory() counts live tensors', () => {
    const before = memory();
    const t = zeros([10, 10]);
    expect(memory().numTensors).toBe(before.numTensors + 1);
    expect(memory().numBytes).toBe(before.numBytes + 400);
    t.dispose();
    t.dispose();  // idempotent
    expect(t.isDisposed).toBe(true);
    expect(memory()).toEqual(before);
  });

  it('Symbol.dispose works with `using`', () => {
    const before = memory().numTensors;
    {
      using t = ones([3]);
      expect(t.isDisposed).toBe(false);
      expect(memory().numTensors).toBe(before + 1);
    }
    expect(memory().numTensors).toBe(before);
  });

  it('tidy() disposes everything but what is returned, nested', () => {
    const before = memory().numTensors;
    const kept = tidy(() => {
      const a = ones([4]);
      const inner = tidy(() => {
        const b = a.mul(2);
        const c = b.add(1);
        return { c };
      });
      const d = inner.c.mul(a);
      keep(a.add(0)).dispose();
      return [d];
    });
    expect(kept[0].toArray()).toEqual([3, 3, 3, 3]);
    expect(memory().numTensors).toBe(before + 1);
    kept[0].dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('tidy() cleans up when the function throws, and refuses promises', () => {
    const before = memory().numTensors;
    expect(() => tidy(() => {
      ones([2]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(memory().numTensors).toBe(before);
    expect(() => tidy(() => Promise.resolve(ones([1])))).toThrow(/synchronous/);
    expect(memory().numTensors).toBe(before);
  });

  it('has no leak over many create/dispose cycles', () => {
    const before = memory();
    for (let i = 0; i < 200; i++) {
      tidy(() => {
        randn([8, 8]).matmul(randn([8, 8])).sum();
      });
    }
    expect(memory()).toEqual(before);
  });

});
