// SPDX-License-Identifier: MIT
#include "distributed/data_parallel.h"

#include <cstring>

#include "core/error.h"
#include "distributed/buckets.h"

namespace mg::dist {
namespace {

void CheckDevices(const Collective& c, const std::vector<at::Tensor>& tensors, const char* what) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].device() != c.device()) {
      throw Error(code::kDevice, std::string(what) + ": tensor " + std::to_string(i) + " is on " + tensors[i].device().str() +
                                     " but the " + c.backend() + " process group runs on " + c.device().str());
    }
  }
}

// Runs `reduce` on each bucket of `tensors` and writes the results back. A bucket of one
// contiguous tensor is reduced in place (no copy).
template <typename Fn>
void ForEachBucket(std::vector<at::Tensor>& tensors, int64_t bucket_bytes, Fn&& reduce) {
  for (const auto& bucket : PlanBuckets(tensors, bucket_bytes)) {
    auto& first = tensors[bucket.members.front()];
    if (bucket.members.size() == 1 && first.is_contiguous()) {
      reduce(first);
      continue;
    }
    auto flat = Flatten(bucket, tensors);  // (numel,)
    reduce(flat);
    Unflatten(flat, bucket, tensors);
  }
}

}  // namespace

void BroadcastTensors(Collective& c, std::vector<at::Tensor>& tensors, int64_t root, int64_t bucket_bytes) {
  torch::NoGradGuard no_grad;
  CheckDevices(c, tensors, "broadcast");
  ForEachBucket(tensors, bucket_bytes, [&](at::Tensor& t) { c.Broadcast(t, root); });
}

void AllReduceMean(Collective& c, std::vector<at::Tensor>& tensors, int64_t bucket_bytes) {
  torch::NoGradGuard no_grad;
  CheckDevices(c, tensors, "all-reduce");
  for (const auto& t : tensors) TORCH_CHECK(t.is_floating_point(), "AllReduceMean: tensors must be floating-point");
  const double world = static_cast<double>(c.world_size());
  ForEachBucket(tensors, bucket_bytes, [&](at::Tensor& t) {
    c.AllReduceSum(t);
    t.div_(world);  // Gloo has no AVG: sum, then divide
  });
}

void AllReduceGradients(Collective& c, const std::vector<at::Tensor>& params, int64_t bucket_bytes) {
  torch::NoGradGuard no_grad;
  if (params.empty()) return;
  CheckDevices(c, params, "all-reduce of gradients");
  const int64_t n = static_cast<int64_t>(params.size());
  // Slot i: the gradient of parameter i, or zeros where this rank has none. The last slot
  // counts, per parameter, the ranks that had one; it rides in the buckets like the rest.
  std::vector<at::Tensor> slots;
  slots.reserve(params.size() + 1);
  auto has = torch::zeros({n}, torch::TensorOptions().dtype(torch::kFloat32).device(c.device()));  // (P,)
  for (int64_t i = 0; i < n; ++i) {
    const auto& g = params[i].grad();
    if (g.defined()) {
      slots.push_back(g);
      has[i] = 1;
    } else {
      slots.push_back(torch::zeros_like(params[i]));
    }
  }
  slots.push_back(has);
  AllReduceMean(c, slots, bucket_bytes);
  auto counts = slots.back().cpu();  // (P,) fraction of ranks with a gradient
  auto* frac = counts.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    auto p = params[i];
    if (frac[i] > 0 && !p.grad().defined()) p.mutable_grad() = slots[i];
  }
}

std::vector<std::string> AllGatherStrings(Collective& c, const std::string& mine) {
  const auto on = torch::TensorOptions().device(c.device());
  auto len = torch::tensor({static_cast<int64_t>(mine.size())}, on.dtype(torch::kInt64));  // (1,)
  std::vector<int64_t> lengths;
  int64_t longest = 1;
  for (const auto& t : c.AllGather(len)) {
    lengths.push_back(t.cpu().item<int64_t>());
    longest = std::max(longest, lengths.back());
  }
  auto bytes = torch::zeros({longest}, torch::kUInt8);  // (L,) padded with zeros
  std::memcpy(bytes.data_ptr<uint8_t>(), mine.data(), mine.size());
  std::vector<std::string> out;
  auto gathered = c.AllGather(bytes.to(c.device()));
  for (size_t r = 0; r < gathered.size(); ++r) {
    auto host = gathered[r].cpu();
    out.emplace_back(reinterpret_cast<const char*>(host.data_ptr<uint8_t>()), static_cast<size_t>(lengths[r]));
  }
  return out;
}

}  // namespace mg::dist
