// SPDX-License-Identifier: MIT
// Gradient buckets: many small tensors travel as a few flat messages (DDP's bucket_cap_mb,
// pytorch/pytorch: torch/nn/parallel/distributed.py, 25 MB by default), so a network of
// hundreds of parameters does not pay one message latency per tensor.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace mg::dist {

// Tensors [members] of one dtype and device, flattened back to back.
struct Bucket {
  std::vector<size_t> members;
  int64_t numel = 0;
};

// Groups `tensors` in order into buckets of at most `bucket_bytes` per (dtype, device); a
// tensor larger than that gets a bucket of its own. Deterministic: every rank with the same
// tensor shapes plans the same buckets, so their collectives line up.
std::vector<Bucket> PlanBuckets(const std::vector<at::Tensor>& tensors, int64_t bucket_bytes);

// The bucket's tensors as one contiguous 1-D tensor (a copy).
at::Tensor Flatten(const Bucket& bucket, const std::vector<at::Tensor>& tensors);

// Copies `flat` back into the bucket's tensors.
void Unflatten(const at::Tensor& flat, const Bucket& bucket, std::vector<at::Tensor>& tensors);

}  // namespace mg::dist
