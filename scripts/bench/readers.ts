// SPDX-License-Identifier: MIT
/**
 * Reader benchmark: a 200,000-tensor safetensors header, a 50,000-key YAML config and a
 * 300,000-item pickle APPENDS, each timed several times: median and range of the CPU time of
 * this process (steady on a shared machine, where wall time is not) and the median wall time. With
 * BENCH_BASELINE=<another checkout> the same inputs also go through that checkout's readers,
 * back to back, and the ratio is printed (the checkout needs node_modules, e.g. a symlink).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const kTensors = 200_000;
const kKeys = 50_000;
const kItems = 300_000;
const kRepeats = 3;

interface Readers {
  header: (file: string) => Promise<unknown>;
  config: (file: string) => unknown;
  pickle: (bytes: Uint8Array) => unknown;
}

async function readersAt(root: string): Promise<Readers> {
  const st = await import(path.join(root, 'lib', 'safetensors.ts'));
  const cfg = await import(path.join(root, 'src', 'config', 'load.ts'));
  const pk = await import(path.join(root, 'src', 'data', 'pickle.ts'));
  return {
    header: st.readSafetensorsHeader,
    config: (file) => cfg.resolveConfig({ files: [file] }),
    pickle: pk.readPickle,
  };
}

interface Timing {
  /** CPU ms of this process: median, min, max. */
  cpu: [number, number, number];
  /** Median wall-clock ms. */
  wall: number;
}

/** `kRepeats` runs, or the error the first one ended with. */
async function time(fn: () => unknown): Promise<Timing | string> {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < kRepeats; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      await fn();
    } catch (e) {
      // The config input is refused at its first (unknown) key: that is the measured path.
      if (!(e as { code?: string }).code?.startsWith('ERR_')) return `${(e as Error).name}: ${(e as Error).message.split('\n')[0]}`;
    }
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    wall.push(performance.now() - t0);
  }
  cpu.sort((a, b) => a - b);
  wall.sort((a, b) => a - b);
  return { cpu: [cpu[kRepeats >> 1]!, cpu[0]!, cpu[kRepeats - 1]!], wall: wall[kRepeats >> 1]! };
}

function show(t: Timing | string): string {
  if (typeof t === 'string') return t;
  const [median, min, max] = t.cpu.map((x) => x.toFixed(0));
  return `cpu ${median} ms (${min}–${max}), wall ${t.wall.toFixed(0)} ms`;
}

export async function benchReaders(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-bench-readers-'));
  try {
    const parts: string[] = [];
    for (let i = 0; i < kTensors; i++) parts.push(`"layer.${i}.weight":{"dtype":"F32","shape":[1],"data_offsets":[${4 * i},${4 * i + 4}]}`);
    const json = Buffer.from(`{${parts.join(',')}}`);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const header = path.join(dir, 'wide.safetensors');
    fs.writeFileSync(header, Buffer.concat([len, json, Buffer.alloc(4 * kTensors)]));
    const config = path.join(dir, 'keys.yml');
    fs.writeFileSync(config, Array.from({ length: kKeys }, (_, i) => `key${i}: ${i}`).join('\n'));
    const appends = Buffer.concat([Buffer.from(']('), Buffer.from('K\x07'.repeat(kItems), 'latin1'), Buffer.from('e.')]);

    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
    const sides: [string, Readers][] = [['this checkout', await readersAt(root)]];
    const baseline = process.env.BENCH_BASELINE;
    if (baseline) sides.push([`baseline ${baseline}`, await readersAt(path.resolve(baseline))]);
    const inputs: [string, (r: Readers) => unknown][] = [
      [`safetensors header, ${kTensors.toLocaleString('en')} tensors`, (r) => r.header(header)],
      [`YAML config, ${kKeys.toLocaleString('en')} keys`, (r) => r.config(config)],
      [`pickle APPENDS, ${kItems.toLocaleString('en')} items`, (r) => r.pickle(appends)],
    ];
    for (const [name, run] of inputs) {
      const results = [];
      for (const [side, readers] of sides) {
        const t = await time(() => run(readers));
        results.push(t);
        process.stdout.write(`${name.padEnd(40)} ${side.padEnd(30)} ${show(t)}\n`);
      }
      const [ours, base] = results;
      if (base && typeof base !== 'string' && typeof ours !== 'string') {
        process.stdout.write(`${''.padEnd(40)} ${'cpu ratio (baseline / this)'.padEnd(30)} ${(base.cpu[0] / ours!.cpu[0]).toFixed(1)}x\n`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
