// SPDX-License-Identifier: MIT
// The `mirrorgan` command line. Each subcommand lives in its own file.
import { Command, CommanderError } from 'commander';
import { MirrorganError } from '../../lib/errors.js';
import { dataCommand } from './data.js';
import { doctorCommand } from './doctor.js';
import { trainCommand } from './train.js';

export function program(): Command {
  const p = new Command('mirrorgan')
    .description('MirrorGAN text-to-image generation on LibTorch')
    .showHelpAfterError()
    .exitOverride();
  p.addCommand(trainCommand());
  p.addCommand(doctorCommand());
  p.addCommand(dataCommand());
  return p;
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 runtime failure, 2 usage error). */
export async function run(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof MirrorganError) {
      process.stderr.write(`mirrorgan: ${e.message} [${e.code}]\n`);
      return e.code === 'ERR_INVALID_ARG' || e.code === 'ERR_DATA_INVALID_OPTION' ? 2 : 1;
    }
    process.stderr.write(`mirrorgan: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return 1;
  }
}
