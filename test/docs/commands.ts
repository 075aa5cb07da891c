// SPDX-License-Identifier: MIT
/**
 * Finds the shell commands the docs show and checks them against the real CLI: every
 * `mirrorgan <subcommand> ...` must name a subcommand that exists and options that parse with the
 * commander program of src/cli/main.ts (parsed, never run); `npm run <script>` must name a
 * package.json script; `node|bash|python3 scripts/...` must name a file that exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Command, CommanderError } from 'commander';
import { program } from '../../src/cli/main.js';
import { defaults, FIELDS, IGNORED_OFFICIAL, RETIRED_KEYS, setField } from '../../src/config/schema.js';
import { repoRoot } from '../helpers/parity.js';

export interface DocCommand {
  /** Where it was found, as `file:line`. */
  where: string;
  /** The command line as written (comment stripped). */
  text: string;
  /** A command-line block shows a whole command; an inline mention may leave out required parts. */
  kind: 'block' | 'inline';
}

const SHELL_INFO = new Set(['sh', 'bash', 'shell', 'console']);
const OPERATORS = new Set(['&&', '||', ';', '|']);

/** Every command shown in one Markdown text: lines of sh blocks, `$ ` lines of other blocks, inline spans. */
export function extractCommands(markdown: string, file: string): DocCommand[] {
  const out: DocCommand[] = [];
  const lines = markdown.split('\n');
  let fence: string | null = null;
  let pending = '';
  let pendingLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = /^\s*```(\w*)/.exec(line);
    if (open) {
      fence = fence === null ? open[1]!.toLowerCase() : null;
      continue;
    }
    if (fence !== null) {
      let text = line.trim();
      if (!SHELL_INFO.has(fence)) {
        if (!text.startsWith('$ ')) continue;
      } else if (text === '' || text.startsWith('#')) continue;
      if (text.startsWith('$ ')) text = text.slice(2);
      if (!pending) pendingLine = i + 1;
      if (text.endsWith('\\')) {
        pending += `${text.slice(0, -1)} `;
        continue;
      }
      out.push({ where: `${file}:${pendingLine}`, text: stripComment(pending + text), kind: 'block' });
      pending = '';
      continue;
    }
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      const span = m[1]!.trim();
      if (/^(npx |sudo )?(mirrorgan|npm|node|bash|python3) /.test(span) || /^(npx )?mirrorgan$/.test(span)) {
        out.push({ where: `${file}:${i + 1}`, text: span, kind: 'inline' });
      }
    }
  }
  return out;
}

/** Drops a shell comment: `#` starting a word outside quotes. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trim();
  }
  return line.trim();
}

/** Splits a command line into words (quotes removed) and the operators && || ; | between commands. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let has = false;
  let quote: string | null = null;
  const flush = () => {
    if (has) words.push(word);
    word = '';
    has = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      has = true;
    } else if (/\s/.test(c)) flush();
    else if (c === ';' || c === '|' || (c === '&' && line[i + 1] === '&')) {
      flush();
      const op = c === ';' ? ';' : line[i + 1] === c ? c + c : c;
      if (op.length === 2) i++;
      words.push(op);
    } else {
      word += c;
      has = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} in: ${line}`);
  flush();
  return words;
}

function silence(cmd: Command): void {
  cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  for (const sub of cmd.commands) silence(sub);
}

const HELP = new Set(['-h', '--help']);

/**
 * Checks `mirrorgan <args>` against the real program without running it. Returns the problem,
 * or null. `complete` also asks for required options and arguments (a whole command line).
 */
export function checkMirrorgan(args: string[], complete: boolean): string | null {
  const root = program();
  silence(root);
  let cmd: Command = root;
  let rest = [...args];
  if (rest[0] === 'help') rest = [...rest.slice(1), '--help'];
  while (rest.length > 0 && !rest[0]!.startsWith('-') && cmd.commands.length > 0) {
    const name = rest[0]!;
    const sub = cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!sub) return `${cmd.name()}: no subcommand '${name}' (known: ${cmd.commands.map((c) => c.name()).join(', ')})`;
    cmd = sub;
    rest = rest.slice(1);
  }
  const help = rest.some((a) => HELP.has(a));
  rest = rest.filter((a) => !HELP.has(a));
  let parsed: { operands: string[]; unknown: string[] };
  try {
    parsed = cmd.parseOptions(rest);
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.version' ? null : `${cmd.name()}: ${e.message.replace(/^error: /, '')}`;
    throw e;
  }
  if (parsed.unknown.length > 0) return `${cmd.name()}: unknown option '${parsed.unknown[0]}'`;
  for (const kv of cmd.options.some((o) => o.attributeName() === 'set') ? (cmd.getOptionValue('set') as string[]) : []) {
    const problem = checkConfigSetting(kv);
    if (problem) return `${cmd.name()} --set: ${problem}`;
  }
  if (!complete || help) return null;
  if (cmd.commands.length > 0) return `${cmd.name()}: needs a subcommand (${cmd.commands.map((c) => c.name()).join(', ')})`;
  for (const o of cmd.options) {
    if (o.mandatory && cmd.getOptionValue(o.attributeName()) === undefined) return `${cmd.name()}: missing required option '${o.flags}'`;
  }
  const declared = cmd.registeredArguments;
  const required = declared.filter((a) => a.required).length;
  if (parsed.operands.length < required) return `${cmd.name()}: missing argument '${declared[parsed.operands.length]!.name()}'`;
  if (!declared.at(-1)?.variadic && parsed.operands.length > declared.length) {
    return `${cmd.name()}: unexpected argument '${parsed.operands[declared.length]}'`;
  }
  return null;
}

/** Checks one `key=value` (or a bare `key`) against the config schema; returns the problem or null. */
export function checkConfigSetting(setting: string): string | null {
  const eq = setting.indexOf('=');
  if (eq < 0) {
    const known = FIELDS.some((f) => f.key === setting || f.official === setting || f.formerly === setting) || IGNORED_OFFICIAL.has(setting) || RETIRED_KEYS.has(setting);
    return known ? null : `Unknown config field '${setting}'`;
  }
  try {
    setField(defaults(), setting.slice(0, eq), setting.slice(eq + 1));
    return null;
  } catch (e) {
    return (e as Error).message.replace(/ \(known: .*\)$/, '');
  }
}

function packageScripts(): Record<string, string> {
  return (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
}

/** The `mirrorgan` argument lists of a command line (one per `npx mirrorgan` / `mirrorgan` in it). */
export function mirrorganInvocations(text: string): string[][] {
  return segments(shellWords(text)).flatMap((w) => (w[0] === 'mirrorgan' ? [w.slice(1)] : []));
}

/** Commands of a line, each without leading VAR=value, sudo and npx. */
function segments(words: string[]): string[][] {
  const out: string[][] = [[]];
  for (const w of words) {
    if (OPERATORS.has(w)) out.push([]);
    else out.at(-1)!.push(w);
  }
  return out.map((seg) => {
    let s = seg;
    while (s.length > 0 && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(s[0]!) || s[0] === 'sudo' || s[0] === 'npx')) s = s.slice(1);
    return s;
  }).filter((s) => s.length > 0);
}

/** Every problem with one documented command line (empty when it is fine). */
export function checkCommand(cmd: DocCommand): string[] {
  const problems: string[] = [];
  const scripts = packageScripts();
  for (const words of segments(shellWords(cmd.text))) {
    const [head, ...args] = words as [string, ...string[]];
    if (head === 'mirrorgan') {
      const p = checkMirrorgan(args, cmd.kind === 'block');
      if (p) problems.push(p);
    } else if (head === 'npm' && args[0] === 'run') {
      if (args[1] && !(args[1] in scripts)) problems.push(`npm run ${args[1]}: no such script in package.json`);
    } else if ((head === 'node' || head === 'bash' || head === 'python3') && args[0] && /^(scripts|bin)\//.test(args[0])) {
      if (!fs.existsSync(path.join(repoRoot, args[0]))) problems.push(`${args[0]}: no such file`);
    }
  }
  return problems;
}

/** README.md and every page under docs/. */
export function docFiles(): string[] {
  const docs = fs.readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => path.join('docs', f));
  return ['README.md', ...docs];
}

export function allDocCommands(): DocCommand[] {
  return docFiles().flatMap((f) => extractCommands(fs.readFileSync(path.join(repoRoot, f), 'utf8'), f));
}
