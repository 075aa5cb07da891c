// SPDX-License-Identifier: MIT
/** Errors raised by mirrorgan-native, each with a stable `code`. */

/**
 * Every error code the project raises: a closed list, so the compiler checks each use. The
 * native ones are mirrored in native/core/error.h (a test keeps the two in step).
 */
export const ERROR_CODES = [
  // ---- native and binding ----
  /** A wrong argument type or value: `Expected <what> for <name> but received <value> of type <type>`. */
  'ERR_INVALID_ARG',
  /** A disposed tensor, module or optimizer was used. */
  'ERR_DISPOSED',
  /** A tensor of the wrong shape. */
  'ERR_SHAPE',
  /** A tensor of the wrong element type. */
  'ERR_DTYPE',
  /** A tensor on the wrong device, or a device that is not available. */
  'ERR_DEVICE',
  /** A second native job on a module or optimizer that is still running one. */
  'ERR_BUSY',
  /** NaN/Inf in a module input or in the gradients given to Adam. */
  'ERR_NON_FINITE',
  /** A missing, corrupt, truncated or unwritable file (the reason is named). */
  'ERR_FILE',
  /** Weights that do not fit the module (first missing/unexpected key or wrong shape/dtype named). */
  'ERR_STATE_DICT',
  /** No native module or function by that name. */
  'ERR_UNKNOWN_MODULE',
  /** Any other LibTorch failure. */
  'ERR_TORCH',
  /** LibTorch ran out of memory. */
  'ERR_OUT_OF_MEMORY',
  /** A broken internal invariant (a bug: please report it). */
  'ERR_INTERNAL',
  /** The addon could not be loaded (numbered fixes follow). */
  'ERR_ADDON_LOAD',
  // ---- distributed training (native/distributed) ----
  /** This build has no c10d process group (or no NCCL for a CUDA device). */
  'ERR_DIST_UNAVAILABLE',
  /** The rendezvous store cannot be reached or hosted. */
  'ERR_DIST_STORE',
  /** Ranks are missing: the join or a collective passed its timeout. */
  'ERR_DIST_TIMEOUT',
  /** A peer rank was lost during a collective. */
  'ERR_DIST_PEER',
  /** The ranks' resolved configurations differ. */
  'ERR_DIST_MISMATCH',
  // ---- data and text ({@link DataError}) ----
  /** A dataset root, split list or required metadata file is missing. */
  'ERR_DATA_NOT_FOUND',
  /** A metadata file (pickle, JSON, JSONL, bbox list) could not be parsed. */
  'ERR_DATA_BAD_FORMAT',
  /** Nothing usable is left after skipping bad items (or less than one batch). */
  'ERR_DATA_EMPTY',
  /** A caption has no `\w+` tokens at all. */
  'ERR_CAPTION_EMPTY',
  /** Every word of a caption is outside the vocabulary. */
  'ERR_CAPTION_UNKNOWN',
  /** A cached image blob is shorter than its index says (disk full, concurrent writer). */
  'ERR_CACHE_CORRUPT',
  // ---- runs ----
  /** A saved model or run was built on another vocabulary than the data or captioner at hand. */
  'ERR_VOCAB_MISMATCH',
  /** Training was stopped (abort signal) before the phase that was asked for. */
  'ERR_ABORTED',
  /** Training stopped: `train.maxNonFiniteSteps` iterations in a row had NaN/Inf losses or gradients. */
  'ERR_DIVERGED',
] as const;

/** A stable error code; see {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** Whether `code` is one of the project's {@link ErrorCode}s. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN_CODES.has(code);
}

/** An error from mirrorgan-native: a one-line message and a stable `code`. */
export class MirrorganError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MirrorganError';
    this.code = code;
  }
}

/** The codes a {@link DataError} carries. */
export type DataErrorCode = Extract<ErrorCode, `ERR_DATA_${string}` | `ERR_CAPTION_${string}` | 'ERR_CACHE_CORRUPT'>;

/** An error from the data or text layer (bad or missing data, not a bad argument). */
export class DataError extends MirrorganError {
  declare readonly code: DataErrorCode;
  constructor(code: DataErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DataError';
  }
}

/** A value as the error sentences show it: short, quoted when a string, with its type. */
function describe(value: unknown): string {
  const short = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);
  if (value === null) return 'null of type null';
  if (value === undefined) return 'undefined of type undefined';
  if (typeof value === 'string') return `'${short(value)}' of type string`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${value} of type ${typeof value}`;
  if (typeof value === 'function') return `a function of type function`;
  if (Array.isArray(value)) return `an array of length ${value.length} of type array`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of type object`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name && name !== 'Object' ? `a ${name} of type object` : 'an object of type object';
}

/**
 * The one builder of argument errors (`ERR_INVALID_ARG`), in the project's one sentence shape:
 * `Expected integer between 1 and 4096 for batchSize but received 0 of type number`.
 */
export function invalidArg(name: string, expected: string, received: unknown): MirrorganError {
  return new MirrorganError('ERR_INVALID_ARG', `Expected ${expected} for ${name} but received ${describe(received)}`);
}

/** `value` when it is an integer in [min, max]; otherwise throws {@link invalidArg}. */
export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArg(name, `integer between ${min} and ${max}`, value);
  }
  return value;
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
    if (typeof code === 'string') return new MirrorganError(isErrorCode(code) ? code : 'ERR_INTERNAL', e.message);
  }
  return e instanceof Error ? e : new MirrorganError('ERR_INTERNAL', String(e));
}
