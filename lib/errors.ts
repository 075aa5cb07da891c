// SPDX-License-Identifier: MIT
/** Errors raised by mirrorgan-native, each with a stable `code`. */

/** Stable error codes. Native failures use the same codes (native/core/error.h). */
export type ErrorCode =
  | 'ERR_INVALID_ARG'
  | 'ERR_DISPOSED'
  | 'ERR_SHAPE'
  | 'ERR_DTYPE'
  | 'ERR_DEVICE'
  | 'ERR_BUSY'
  | 'ERR_NON_FINITE'
  | 'ERR_FILE'
  | 'ERR_STATE_DICT'
  | 'ERR_UNKNOWN_MODULE'
  | 'ERR_TORCH'
  | 'ERR_OUT_OF_MEMORY'
  | 'ERR_INTERNAL'
  | 'ERR_ADDON_LOAD'
  | 'ERR_DIST_UNAVAILABLE'
  | 'ERR_DIST_STORE'
  | 'ERR_DIST_TIMEOUT'
  | 'ERR_DIST_PEER'
  | 'ERR_DIST_MISMATCH'
  | (string & {});

/** An error from mirrorgan-native: a one-line message and a stable `code`. */
export class MirrorganError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MirrorganError';
    this.code = code;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${value} of type ${typeof value}`;
  if (typeof value === 'string') return `'${value.length > 40 ? value.slice(0, 40) + '…' : value}' of type string`;
  return `a value of type ${typeof value}`;
}

/** `Expected <expected> for <name> but received <value> of type <type>` — the one sentence shape. */
export function invalidArg(name: string, expected: string, received: unknown): MirrorganError {
  return new MirrorganError('ERR_INVALID_ARG', `Expected ${expected} for ${name} but received ${describe(received)}`);
}

/**
 * Runs a native call and re-raises its error as a MirrorganError whose stack points at the
 * caller (native errors carry no JS stack of their own).
 */
export function native<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}

/** Like native(), for calls that return a promise. */
export async function nativeAsync<T>(fn: () => Promise<T>): Promise<T> {
  const here = new Error();
  try {
    return await fn();
  } catch (e) {
    const err = fromNative(e);
    err.stack = `${err.name}: ${err.message}\n${here.stack?.split('\n').slice(1).join('\n') ?? ''}`;
    throw err;
  }
}

function fromNative(e: unknown): Error {
  if (e instanceof MirrorganError) return e;
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return new MirrorganError(code, e.message);
  }
  return e instanceof Error ? e : new MirrorganError('ERR_INTERNAL', String(e));
}
