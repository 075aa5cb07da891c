// SPDX-License-Identifier: MIT
// `npm run bench [name...]`: runs the benchmarks and prints figures and ratios.
// Speed goals live here, never in unit tests.
import { benchData } from './bench/data.js';
import { benchDeterminism } from './bench/determinism.js';
import { benchDistributed } from './bench/distributed.js';
import { benchGan } from './bench/gan.js';
import { benchReaders } from './bench/readers.js';

const suites: Record<string, () => Promise<void>> = {
  data: benchData,
  gan: benchGan,
  determinism: benchDeterminism,
  distributed: benchDistributed,
  readers: benchReaders,
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in suites)) {
    process.stderr.write(`bench: unknown suite '${name}' (known: ${Object.keys(suites).join(', ')})\n`);
    process.exit(2);
  }
}
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length && !wanted.includes(name)) continue;
  process.stdout.write(`\n== ${name} ==\n`);
  await run();
}
