// SPDX-License-Identifier: MIT
// The `mirrorgan` command line. Each subcommand lives in its own file.
import { Command, CommanderError } from 'commander';
import { pretrainDamsmCommand } from './damsm.js';
import { dataCommand } from './data.js';
import { doctorCommand } from './doctor.js';
import { generateCommand } from './generate.js';
import { probeCommand } from './probe.js';
import { reportCommand } from './report.js';
import { captionCommand, pretrainStreamCommand } from './stream.js';
import { trainCommand } from './train.js';

export function program(): Command {
  const p = new Command('mirrorgan')
    .description('MirrorGAN text-to-image generation on LibTorch')
    .showHelpAfterError()
    .exitOverride();
  p.addCommand(trainCommand());
  p.addCommand(generateCommand());
  p.addCommand(probeCommand());
  p.addCommand(pretrainDamsmCommand());
  p.addCommand(pretrainStreamCommand());
  p.addCommand(captionCommand());
  p.addCommand(reportCommand());
  p.addCommand(dataCommand());
  p.addCommand(doctorCommand());
  // addCommand() does not pass exitOverride on: without it a subcommand's bad option exits the
  // process with 1 from inside commander instead of reaching run() as a usage error (2).
  for (const sub of p.commands) sub.exitOverride();
  return p;
}

const USAGE_CODES = new Set(['ERR_INVALID_ARG', 'ERR_DATA_INVALID_OPTION']);

/** Runs the CLI; resolves to the process exit code (0 ok, 1 runtime failure, 2 usage error). */
export async function run(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const code = (e as { code?: unknown })?.code;
    if (e instanceof Error && typeof code === 'string' && code.startsWith('ERR_')) {
      process.stderr.write(`mirrorgan: ${e.message} [${code}]\n`);
      return USAGE_CODES.has(code) ? 2 : 1;
    }
    process.stderr.write(`mirrorgan: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return 1;
  }
}
