// SPDX-License-Identifier: MIT
// `mirrorgan serve`: a local page to try the model (src/serve/), until SIGINT/SIGTERM.
import { Command, InvalidArgumentError } from 'commander';
import { createServer, SERVER_DEFAULTS } from '../serve/server.js';
import { integerAtLeast, loadModelOption, runOptionHelp } from './options.js';
import { printErr, printOut } from './output.js';

interface ServeFlags {
  run?: string;
  host: string;
  port: number;
  maxSamples: number;
  concurrency: number;
  queue: number;
  timeout: number;
}

const EXIT_ON_SECOND = { SIGINT: 130, SIGTERM: 143 } as const;

/** The first SIGINT/SIGTERM (a second one exits at once); `off` removes the handlers. */
function firstSignal(): { received: Promise<NodeJS.Signals>; off: () => void } {
  const offs: (() => void)[] = [];
  const received = new Promise<NodeJS.Signals>((resolve) => {
    let seen = false;
    for (const signal of Object.keys(EXIT_ON_SECOND) as (keyof typeof EXIT_ON_SECOND)[]) {
      const handler = (): void => {
        if (seen) process.exit(EXIT_ON_SECOND[signal]);
        seen = true;
        resolve(signal);
      };
      process.on(signal, handler);
      offs.push(() => process.off(signal, handler));
    }
  });
  return { received, off: () => offs.forEach((off) => off()) };
}

/** A commander parser for a TCP port (0 = any free one). */
function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected an integer between 0 and 65535');
  return n;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve a local page to try the model: type a caption, get samples with their word attention, re-description and seed')
    .option('--run <folder>', `${runOptionHelp(['run', 'checkpoint', 'model'])} (default: the model that ships with the package)`)
    .option('--host <address>', 'address to listen on (another than 127.0.0.1 opens the page to your network)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free one)', port, 8080)
    .option('--max-samples <n>', 'most samples per request', integerAtLeast(1), SERVER_DEFAULTS.maxSamples)
    .option('--concurrency <n>', 'requests generating at once', integerAtLeast(1), SERVER_DEFAULTS.concurrency)
    .option('--queue <n>', 'requests waiting beyond those; more are refused with 503', integerAtLeast(0), SERVER_DEFAULTS.queue)
    .option('--timeout <seconds>', 'deadline of one request, waiting included', integerAtLeast(1), SERVER_DEFAULTS.timeoutMs / 1000)
    .action(async (f: ServeFlags) => {
      const gan = await loadModelOption(f.run);
      const app = createServer(gan, { maxSamples: f.maxSamples, concurrency: f.concurrency, queue: f.queue, timeoutMs: f.timeout * 1000 });
      const stop = firstSignal();
      try {
        let url: string;
        try {
          url = await app.listen({ host: f.host, port: f.port });
        } catch (e) {
          await app.close();
          throw e;
        }
        printOut(`serving ${gan.source.manifest?.name ?? gan.source.path} at ${url}/ (Ctrl-C stops)`);
        const signal = await stop.received;
        printErr(`mirrorgan: ${signal} received, finishing the requests in progress (again to quit at once) ...`);
        await app.close();
        printErr('mirrorgan: server stopped');
      } finally {
        stop.off();
      }
    });
}
