// SPDX-License-Identifier: MIT
/**
 * A distributed sampler by blocks: every rank shuffles the same epoch order (seeded by the
 * epoch), global batch s is the chunk [s·B·W, (s+1)·B·W) of it, and rank r reads the r-th block
 * of that chunk. The ranks' shards are disjoint, all ranks get the same number of batches (their
 * collectives line up), and the union of step s over the ranks is exactly the batch a single
 * process with batch size B·W reads at step s, item for item (same augmentation seeds), which
 * is what makes W processes train like one on the global batch. Blocks rather than strides
 * (torch's DistributedSampler): a rank's batch is one slice of the single process's batch.
 * Without dropLast the order is padded to a multiple of W by wrapping around, as
 * DistributedSampler does, so every rank still gets the same count.
 */
export interface ShardSpec {
  rank: number;
  worldSize: number;
}

/** Batches each rank reads per epoch. */
export function shardBatchCount(n: number, batchSize: number, dropLast: boolean, shard: ShardSpec): number {
  const global = batchSize * shard.worldSize;
  if (dropLast) return Math.floor(n / global);
  return Math.ceil(paddedLength(n, shard.worldSize) / global);
}

function paddedLength(n: number, worldSize: number): number {
  return Math.ceil(n / worldSize) * worldSize;
}

/**
 * The dataset indices of batch `step` on `shard.rank`, and `first`: the position of the block's
 * first item within the global batch (item b's augmentation seed position is first + b).
 */
export function shardBatch(order: readonly number[], step: number, batchSize: number, dropLast: boolean, shard: ShardSpec): { drawn: number[]; first: number } {
  const W = shard.worldSize;
  const total = dropLast ? order.length : paddedLength(order.length, W);
  const start = step * batchSize * W;
  const chunk = Math.min(batchSize * W, total - start);
  const per = chunk / W;
  const first = shard.rank * per;
  const drawn: number[] = [];
  for (let k = 0; k < per; k++) drawn.push(order[(start + first + k) % order.length] as number);
  return { drawn, first };
}
