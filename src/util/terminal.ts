// SPDX-License-Identifier: MIT
/**
 * Text that came from outside (captions, file names, words of a vocabulary, what the user typed)
 * must not drive the terminal it is printed on: an ESC or BEL inside a caption is shown as
 * `\u001b` / `\u0007`, not obeyed. The CLI's printers (src/cli/output.ts) and the default
 * stderr logger of the data layer both write through this one function.
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
