// SPDX-License-Identifier: MIT
/**
 * Everything the CLI prints goes through here, so text that came from outside (captions, file
 * names, words of a vocabulary, error messages that quote them) cannot drive the terminal
 * (src/util/terminal.ts escapes it). The data layer's default logger escapes the same way.
 */
import { escapeControls } from '../util/terminal.js';

export { escapeControls };

/** One value for a one-line field: controls escaped, and newlines too, so it stays on its line. */
export function printable(value: string): string {
  return escapeControls(value).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

function write(stream: NodeJS.WriteStream, text: string): void {
  stream.write(`${escapeControls(text)}${text.endsWith('\n') ? '' : '\n'}`);
}

/** Prints a result on stdout (a newline is added unless `text` ends with one). */
export function printOut(text: string): void {
  write(process.stdout, text);
}

/** Prints a message on stderr (a newline is added unless `text` ends with one). */
export function printErr(text: string): void {
  write(process.stderr, text);
}
