// SPDX-License-Identifier: MIT
/**
 * Every rank must train the same model on the same settings: a rank started with another
 * --set flag would all-reduce gradients of other shapes (or silently of another loss). The
 * resolved configs are all-gathered and compared; a difference fails every rank with the keys.
 */
import { MirrorganError } from '../../lib/errors.js';
import type { ProcessGroup } from '../../lib/distributed.js';

/** JSON with object keys sorted at every level, so equal values serialise equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Dotted paths where `a` and `b` differ, with both values, at most `limit`. */
export function configDifferences(a: unknown, b: unknown, limit = 5, at = ''): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, p: string): void => {
    if (out.length >= limit) return;
    const objects = x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y);
    if (objects) {
      const keys = [...new Set([...Object.keys(x as object), ...Object.keys(y as object)])].sort();
      for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], p ? `${p}.${k}` : k);
    } else if (canonicalJson(x) !== canonicalJson(y)) {
      out.push(`${p || '(root)'} (${canonicalJson(x) ?? 'absent'} vs ${canonicalJson(y) ?? 'absent'})`);
    }
  };
  walk(a, b, at);
  return out;
}

/**
 * All-gathers `config` and throws ERR_DIST_MISMATCH on every rank when any rank's differs
 * from rank 0's, naming the first differing keys.
 */
export async function checkSameConfig(group: ProcessGroup, config: unknown): Promise<void> {
  const all = await group.allGather(canonicalJson(config));
  const reference = all[0] as string;
  const bad = all.findIndex((c) => c !== reference);
  if (bad < 0) return;
  const diffs = configDifferences(JSON.parse(reference), JSON.parse(all[bad] as string));
  throw new MirrorganError(
    'ERR_DIST_MISMATCH',
    `rank ${bad} resolved another configuration than rank 0 (rank 0 vs rank ${bad}: ${diffs.join(', ')}); ` +
      'start every rank with the same --preset, --cfg files and --set flags',
  );
}
