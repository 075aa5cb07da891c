// SPDX-License-Identifier: MIT
/**
 * Everything the CLI prints goes through here, so text that came from outside (captions, file
 * names, words of a vocabulary, error messages that quote them) cannot drive the terminal: an
 * ESC or BEL inside a caption is shown as `\u001b` / `\u0007`, not obeyed. Progress bars are
 * drawn by the progress reporter, which prints only numbers it formats itself.
 */

/**
 * C0 controls except tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), and the bidi
 * overrides and isolates that reorder what a line appears to say.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every terminal control character written as a `\uXXXX` escape (also valid inside JSON strings). */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

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
