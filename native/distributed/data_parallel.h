// SPDX-License-Identifier: MIT
// Data-parallel training over a Collective, as DDP does it but explicitly (the C++ frontend has
// no DistributedDataParallel): rank 0's weights to every rank at the start, then after every
// backward the gradients averaged over the ranks in a few flat buckets.
// Upstream: pytorch/pytorch torch/nn/parallel/distributed.py (_sync_module_states,
// bucket_cap_mb), pytorch/examples cpp/distributed/dist-mnist.cpp (manual all-reduce).
#pragma once

#include <string>
#include <vector>

#include "distributed/collective.h"

namespace mg::dist {

// Copies rank `root`'s tensors into every rank's (parameters and buffers), bucketed.
void BroadcastTensors(Collective& c, std::vector<at::Tensor>& tensors, int64_t root, int64_t bucket_bytes);

// Replaces every tensor by its mean over the ranks, bucketed.
void AllReduceMean(Collective& c, std::vector<at::Tensor>& tensors, int64_t bucket_bytes);

// Averages the gradients of `params` over the ranks, bucketed. A parameter without a gradient
// on some rank counts as a zero gradient there (DDP's rule for unused parameters); one without
// a gradient on every rank keeps none, so the optimizer skips it as in one process.
void AllReduceGradients(Collective& c, const std::vector<at::Tensor>& params, int64_t bucket_bytes);

// Every rank's string (a config hash, a small JSON value), in rank order.
std::vector<std::string> AllGatherStrings(Collective& c, const std::string& mine);

}  // namespace mg::dist
