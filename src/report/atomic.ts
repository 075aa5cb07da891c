// SPDX-License-Identifier: MIT
/** Writing a file so that readers see either the old or the new content, never a partial one. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { MirrorganError } from '../../lib/errors.js';

/**
 * Writes `data` to a temporary file beside `file` and renames it into place; the temporary file
 * is removed if anything fails. Errors are raised as `ERR_FILE`.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new MirrorganError('ERR_FILE', `Cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
}
