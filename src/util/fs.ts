// SPDX-License-Identifier: MIT
/** Small file-system helpers shared by the run-folder code. */
import { access } from 'node:fs/promises';

/** True when `path` exists (and is reachable). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
