#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npx mirrorgan ...`: runs the compiled CLI (dist/, built by `npm install` through `prepare`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('mirrorgan: the TypeScript sources are not compiled (dist/ is missing).\n' +
    'What to do:\n  1. run `npm run build:ts` in the package folder\n');
  process.exit(1);
}
const { run } = await import(pathToFileURL(main).href);
process.exitCode = await run(process.argv);
