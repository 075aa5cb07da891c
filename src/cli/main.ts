// SPDX-License-Identifier: MIT
// The `mirrorgan` command line. Each subcommand lives in its own file.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import type { ErrorCode } from '../../lib/errors.js';
import { packageRoot } from '../../lib/native.js';
import { configCommand } from './config.js';
import { pretrainDamsmCommand } from './damsm.js';
import { dataCommand } from './data.js';
import { doctorCommand } from './doctor.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { generateCommand } from './generate.js';
import { abortedExitCode } from './interrupt.js';
import { escapeControls, printErr } from './output.js';
import { probeCommand } from './probe.js';
import { reportCommand } from './report.js';
import { serveCommand } from './serve.js';
import { captionCommand, pretrainStreamCommand } from './stream.js';
import { trainCommand } from './train.js';

/** The package's version, from its package.json (the one `npm install` put in place). */
export function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}

/**
 * Settings every (sub)command needs and commander does not pass on through addCommand():
 * errors reach run() instead of exiting inside commander, and commander's own messages (which
 * quote what the user typed) are printed with control characters escaped.
 */
function configureTree(cmd: Command): void {
  cmd.exitOverride().showHelpAfterError().configureOutput({
    writeOut: (s) => process.stdout.write(escapeControls(s)),
    writeErr: (s) => process.stderr.write(escapeControls(s)),
  });
  for (const sub of cmd.commands) configureTree(sub);
}

export function program(): Command {
  const p = new Command('mirrorgan')
    .description('MirrorGAN text-to-image generation on LibTorch')
    .version(packageVersion(), '-V, --version', 'print the version of mirrorgan-native');
  p.addCommand(trainCommand());
  p.addCommand(generateCommand());
  p.addCommand(serveCommand());
  p.addCommand(exportCommand());
  p.addCommand(probeCommand());
  p.addCommand(evalCommand());
  p.addCommand(pretrainDamsmCommand());
  p.addCommand(pretrainStreamCommand());
  p.addCommand(captionCommand());
  p.addCommand(reportCommand());
  p.addCommand(configCommand());
  p.addCommand(dataCommand());
  p.addCommand(doctorCommand());
  configureTree(p);
  return p;
}

/** Codes of errors in what the user typed: exit code 2, as for commander's own usage errors. */
const USAGE_CODES: ReadonlySet<string> = new Set<ErrorCode>(['ERR_INVALID_ARG']);

/** Node's file-system error codes (ENOENT, EACCES, ...), reported as ERR_FILE. */
const SYSTEM_CODE = /^E[A-Z]+$/;

/**
 * Runs the CLI; resolves to the process exit code: 0 ok, 1 runtime failure, 2 usage error,
 * 130 (143) when Ctrl-C (SIGTERM) stopped a training command. Every failure is one line on
 * stderr, `mirrorgan: <message> [<code>]`; MIRRORGAN_DEBUG=1 adds the stack.
 */
export async function run(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const raw = (e as { code?: unknown })?.code;
    const message = e instanceof Error ? e.message : String(e);
    const code = typeof raw === 'string' && raw.startsWith('ERR_') ? raw : typeof raw === 'string' && SYSTEM_CODE.test(raw) ? 'ERR_FILE' : 'ERR_INTERNAL';
    printErr(`mirrorgan: ${message.trimEnd()} [${code}]`);
    if (process.env.MIRRORGAN_DEBUG && e instanceof Error && e.stack) printErr(e.stack);
    if (code === 'ERR_ABORTED') return abortedExitCode(e);
    return USAGE_CODES.has(code) ? 2 : 1;
  }
}
