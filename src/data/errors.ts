// SPDX-License-Identifier: MIT
/**
 * Errors raised by the data and text layers. Every error carries a stable `code`
 * so the CLI and callers can branch on it without parsing messages.
 */

import { MirrorganError } from '../../lib/errors.js';

/** Codes a {@link DataError} can carry. */
export type DataErrorCode =
  /** An option had the wrong type or range. */
  | 'ERR_DATA_INVALID_OPTION'
  /** A dataset root, split list or required metadata file is missing. */
  | 'ERR_DATA_NOT_FOUND'
  /** A metadata file (pickle, JSON, JSONL, bbox list) could not be parsed. */
  | 'ERR_DATA_BAD_FORMAT'
  /** After skipping bad items nothing usable is left. */
  | 'ERR_DATA_EMPTY'
  /** A caption has no `\w+` tokens at all. */
  | 'ERR_CAPTION_EMPTY'
  /** Every word of a caption is outside the vocabulary. */
  | 'ERR_CAPTION_UNKNOWN'
  /** A cached blob is shorter than its index says (disk full, concurrent writer). */
  | 'ERR_CACHE_CORRUPT';

/** An error from the data or text layer, with a machine-readable `code`. */
export class DataError extends MirrorganError {
  /** Stable machine-readable code. */
  declare readonly code: DataErrorCode;

  constructor(code: DataErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DataError';
  }
}

/**
 * Builds the project's one argument-error sentence:
 * `Expected integer between 1 and 4096 for batchSize but received 0 of type number`.
 * @private
 */
export function invalidOption(expected: string, name: string, value: unknown): DataError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new DataError(
    'ERR_DATA_INVALID_OPTION',
    `Expected ${expected} for ${name} but received ${shown} of type ${typeof value}`,
  );
}

/** Validates an integer option in [min, max]. @private */
export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(`integer between ${min} and ${max}`, name, value);
  }
  return value;
}
