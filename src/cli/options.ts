// SPDX-License-Identifier: MIT
// Option parsers shared by the subcommands: commander reports their errors as usage errors (exit 2).
import { InvalidArgumentError } from 'commander';

/** A commander parser for integer options of at least `min`. */
export function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}
