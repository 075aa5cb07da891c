// SPDX-License-Identifier: MIT
// Collective: the few c10d operations data-parallel training needs (all-reduce, broadcast,
// all-gather, barrier), behind one small interface so that c10d's API drift (1.x process
// groups, 2.x backends) and the Gloo/NCCL choice stay in one file (c10d_collective.cpp).
// Every call is bounded by the group's timeout; a failure ends the group for good, with an
// error that says which rank saw what.
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace mg::dist {

// How to join a process group: the torchrun contract (MASTER_ADDR, MASTER_PORT, RANK,
// WORLD_SIZE), read and defaulted by the TypeScript layer (src/distributed/env.ts), which passes
// every field.
struct JoinOptions {
  std::string master_addr;
  int64_t master_port = 0;
  int64_t rank = 0;
  int64_t world_size = 0;
  // "cpu" selects Gloo; "cuda:N" selects NCCL on device N.
  std::string device;
  // Bound on every collective, and on joining (store connection + all ranks arriving).
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds join_timeout{0};
  // torchrun's agent already serves the store (TORCHELASTIC_USE_AGENT_STORE): rank 0 connects.
  bool agent_store = false;
  // Namespace of our keys in the store (per restart, so a restarted job never reads old keys).
  std::string prefix;
  // Comma-separated network interfaces for Gloo (GLOO_SOCKET_IFNAME); empty: by address.
  std::string interfaces;
};

// What moved, for benchmarks (bytes as this rank sent them into collectives).
struct Counters {
  std::atomic<int64_t> all_reduce_bytes{0};
  std::atomic<int64_t> all_reduce_messages{0};
  std::atomic<int64_t> broadcast_bytes{0};
  std::atomic<int64_t> broadcast_messages{0};
  std::atomic<int64_t> all_gather_messages{0};
  std::atomic<int64_t> barriers{0};
  std::atomic<int64_t> all_reduce_micros{0};
};

class Collective {
 public:
  virtual ~Collective() = default;
  // In-place sum over all ranks of one contiguous tensor on device().
  virtual void AllReduceSum(at::Tensor& t) = 0;
  // In-place copy of rank `root`'s tensor to every rank.
  virtual void Broadcast(at::Tensor& t, int64_t root) = 0;
  // Every rank's tensor (same shape and dtype on all ranks), in rank order.
  virtual std::vector<at::Tensor> AllGather(const at::Tensor& t) = 0;
  virtual void Barrier() = 0;
  // Releases the process group and the store (joins Gloo's threads; bounded by the timeout).
  virtual void Shutdown() = 0;

  virtual int64_t rank() const = 0;
  virtual int64_t world_size() const = 0;
  virtual const char* backend() const = 0;
  virtual at::Device device() const = 0;
  Counters& counters() { return counters_; }

 private:
  Counters counters_;
};

// Joins the group described by `o` (blocks until every rank arrived or join_timeout passed).
// Throws ERR_DIST_UNAVAILABLE when this build has no c10d (or no NCCL for a CUDA device),
// ERR_DIST_STORE when the store cannot be reached or hosted, ERR_DIST_TIMEOUT when ranks are
// missing.
std::shared_ptr<Collective> Join(const JoinOptions& o);

// What this build of the addon supports, and why not (from native/distributed/detect.cmake).
struct Support {
  bool gloo = false;
  bool nccl = false;
  std::string reason;
  std::string nccl_reason;
};
Support BuildSupport();

}  // namespace mg::dist
