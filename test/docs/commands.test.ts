// SPDX-License-Identifier: MIT
// Every command shown in README.md and docs/*.md parses with the real CLI; the quick ones run.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { allDocCommands, checkCommand, checkMirrorgan, type DocCommand, extractCommands, mirrorganInvocations, shellWords } from './commands.js';

describe('commands in the docs', () => {
  const commands = allDocCommands();

  it('finds the commands the docs show (README set-up lines included)', () => {
    const texts = commands.map((c) => c.text);
    expect(texts).toContain('npm install && npx mirrorgan train');
    expect(texts).toContain('npm test');
    const subcommands = new Set(commands.flatMap((c) => mirrorganInvocations(c.text)).map((a) => a[0]));
    for (const s of ['train', 'generate', 'probe', 'report', 'pretrain-damsm', 'pretrain-stream', 'caption', 'data', 'doctor']) expect(subcommands, s).toContain(s);
  });

  it('every mirrorgan subcommand and option in them exists and parses; npm scripts and script files exist', () => {
    const problems = commands.flatMap((c) => checkCommand(c).map((p) => `${c.where}: ${c.text}\n    ${p}`));
    expect(problems).toEqual([]);
  });

  describe('the quick ones run', () => {
    afterEach(() => vi.restoreAllMocks());
    const quick = [...new Map(commands.flatMap((c) => mirrorganInvocations(c.text).map((args) => [args.join(' '), args] as const))
      .filter(([, args]) => args[0] === 'doctor' || args.some((a) => a === '--help' || a === '-h' || a === '--version'))).values()];

    it('there are some (doctor at least)', () => {
      expect(quick.some((args) => args[0] === 'doctor')).toBe(true);
    });

    it.each(quick.map((args) => [args.join(' '), args]))('mirrorgan %s exits 0', async (_name, args) => {
      const out: string[] = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
        out.push(String(s));
        return true;
      });
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      expect(await run(['node', 'mirrorgan', ...(args as string[])])).toBe(0);
      expect(out.join('')).not.toBe('');
    });
  });
});

describe('the docs check itself', () => {
  const check = (markdown: string): string[][] => extractCommands(markdown, 'x.md').map((c: DocCommand) => checkCommand(c));

  it('reads sh blocks, $-lines of other blocks, continuations, comments and inline spans', () => {
    const md = [
      '```sh',
      'npx mirrorgan train --preset cpu   # a comment with --bogus in it',
      'npx mirrorgan generate --run runs/x \\',
      '  --seed 1 "a red heart"',
      '```',
      '```text',
      '$ npx mirrorgan doctor --json',
      'output line --not-a-command',
      '```',
      'Then `npx mirrorgan report` and `npm run bench` and `tensorboard --logdir runs`.',
    ].join('\n');
    expect(extractCommands(md, 'x.md')).toEqual([
      { where: 'x.md:2', text: 'npx mirrorgan train --preset cpu', kind: 'block' },
      { where: 'x.md:3', text: 'npx mirrorgan generate --run runs/x  --seed 1 "a red heart"', kind: 'block' },
      { where: 'x.md:7', text: 'npx mirrorgan doctor --json', kind: 'block' },
      { where: 'x.md:10', text: 'npx mirrorgan report', kind: 'inline' },
      { where: 'x.md:10', text: 'npm run bench', kind: 'inline' },
    ]);
    expect(check(md)).toEqual([[], [], [], [], []]);
    expect(shellWords(`a 'b c' "d e" f\\ g && h;i|j`)).toEqual(['a', 'b c', 'd e', 'f g', '&&', 'h', ';', 'i', '|', 'j']);
  });

  it('fails on a subcommand, an option, a value or a script that does not exist', () => {
    const bad = [
      '```sh',
      'npx mirrorgan trian',                                   // no such subcommand
      'npx mirrorgan train --no-such-option',                  // unknown option
      'npx mirrorgan train --preset huge',                     // not one of the choices
      'npx mirrorgan train --out',                             // option without its value
      'npx mirrorgan export -o models/x',                      // required --run missing
      'npx mirrorgan caption --run r',                         // required <images...> argument missing
      'npx mirrorgan doctor extra',                            // an argument doctor does not take
      'npx mirrorgan data',                                    // a parent command without its subcommand
      'npx mirrorgan data biuld',                              // no such nested subcommand
      'npx mirrorgan probe --run r --seeds 0',                 // the option's own parser refuses 0
      'npm install && npx mirrorgan trane',                    // after an operator
      'npx mirrorgan train --set train.nonsense=1',            // a config key that does not exist
      'npx mirrorgan train --set tree.branchNum=9',            // a value out of the key's range
      'npm run no-such-script',
      'node scripts/no-such-file.mjs',
      '```',
      'Inline: `npx mirrorgan caption --modle runs/stream`.',  // a misspelt option, inline
    ].join('\n');
    const results = check(bad);
    expect(results).toHaveLength(16);
    results.forEach((problems, i) => expect(problems, `command ${i}`).toHaveLength(1));
    expect(results[0]![0]).toMatch(/no subcommand 'trian'/);
    expect(results[1]![0]).toMatch(/unknown option '--no-such-option'/);
    expect(results[2]![0]).toMatch(/huge.*invalid|invalid.*huge/);
    expect(results[3]![0]).toMatch(/--out <dir>' argument missing/);
    expect(results[4]![0]).toMatch(/missing required option '--run <folder>'/);
    expect(results[5]![0]).toMatch(/missing argument 'images'/);
    expect(results[6]![0]).toMatch(/unexpected argument 'extra'/);
    expect(results[7]![0]).toMatch(/data: needs a subcommand \(build, info\)/);
    expect(results[8]![0]).toMatch(/no subcommand 'biuld'/);
    expect(results[9]![0]).toMatch(/expected an integer >= 1/);
    expect(results[10]![0]).toMatch(/no subcommand 'trane'/);
    expect(results[11]![0]).toMatch(/--set: Unknown config field 'train.nonsense'$/);
    expect(results[12]![0]).toMatch(/--set: Expected an integer between 1 and 3 for tree.branchNum but received '9'/);
    expect(results[13]![0]).toMatch(/no such script/);
    expect(results[14]![0]).toMatch(/no such file/);
    expect(results[15]![0]).toMatch(/unknown option '--modle'/);
  });

  it('lets an inline mention leave out required parts, but not name wrong ones', () => {
    expect(checkMirrorgan(['caption', '--run', 'r'], false)).toBeNull();
    expect(checkMirrorgan(['caption', '--run', 'r'], true)).toMatch(/missing argument/);
    expect(checkMirrorgan(['generate', '--help'], true)).toBeNull();
    expect(checkMirrorgan(['report', '--bogus'], false)).toMatch(/unknown option/);
  });
});
