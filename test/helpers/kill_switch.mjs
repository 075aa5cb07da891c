// SPDX-License-Identifier: MIT
// Preloaded (`node --import`) into a `mirrorgan train` child by test/cli/kill.test.ts: the child
// kills itself with SIGKILL at a chosen point, so the test can stop training anywhere without
// racing its timing. MG_KILL_PHASE names the phase (the log line that opens it): 'STEM' (DAMSM
// pretraining), 'STREAM' (captioner pretraining), 'GAN'; MG_KILL_AT is the N-th optimizer step
// of that phase (the kill comes before the step runs), or with MG_KILL_PHASE=checkpoint the N-th
// file operation inside a GAN checkpoint write (mkdir, writeFile, rename, rm under checkpoints/).
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const phase = process.env.MG_KILL_PHASE;
const at = Number(process.env.MG_KILL_AT);
const MARKERS = { STEM: 'STEM: pretraining', STREAM: 'STREAM: pretraining', GAN: 'resume: ' };
let current = null;
let count = 0;

function tick(kind) {
  const counted = phase === 'checkpoint' ? kind === 'checkpoint' && current === 'GAN' : kind === 'step' && current === phase;
  if (counted && ++count === at) process.kill(process.pid, 'SIGKILL');
}

// The phase in progress, from the pipeline's log lines (every launch passes --resume, so the
// GAN phase opens with a `resume:` line).
const write = process.stderr.write.bind(process.stderr);
process.stderr.write = (chunk, ...rest) => {
  for (const [name, marker] of Object.entries(MARKERS)) if (String(chunk).includes(marker)) current = name;
  return write(chunk, ...rest);
};

const { Adam } = await import(new URL('../../dist/lib/optim.js', import.meta.url).href);
for (const method of ['step', 'stepAsync']) {
  const real = Adam.prototype[method];
  Adam.prototype[method] = function (...args) {
    tick('step');
    return real.apply(this, args);
  };
}

for (const name of ['mkdir', 'writeFile', 'rename', 'rm']) {
  const real = fsp[name];
  fsp[name] = function (...args) {
    if (args.slice(0, 2).some((p) => typeof p === 'string' && /[\\/]checkpoints[\\/]/.test(p))) tick('checkpoint');
    return real.apply(this, args);
  };
}
syncBuiltinESMExports();
