// SPDX-License-Identifier: MIT
#include "distributed/buckets.h"

#include <map>
#include <utility>

namespace mg::dist {

std::vector<Bucket> PlanBuckets(const std::vector<at::Tensor>& tensors, int64_t bucket_bytes) {
  TORCH_CHECK(bucket_bytes > 0, "PlanBuckets: bucket_bytes must be positive");
  std::vector<Bucket> done;
  // The open bucket of each (dtype, device), as an index into `done`.
  std::map<std::pair<int, std::string>, size_t> open;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    const auto key = std::make_pair(static_cast<int>(t.scalar_type()), t.device().str());
    const int64_t item = static_cast<int64_t>(t.element_size());
    auto it = open.find(key);
    if (it != open.end() && (done[it->second].numel + t.numel()) * item > bucket_bytes) {
      open.erase(it);
      it = open.end();
    }
    if (it == open.end()) {
      it = open.emplace(key, done.size()).first;
      done.emplace_back();
    }
    auto& b = done[it->second];
    b.members.push_back(i);
    b.numel += t.numel();
  }
  return done;
}

at::Tensor Flatten(const Bucket& bucket, const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> parts;
  parts.reserve(bucket.members.size());
  for (auto i : bucket.members) parts.push_back(tensors[i].reshape({-1}));
  return torch::cat(parts);  // (numel,)
}

void Unflatten(const at::Tensor& flat, const Bucket& bucket, std::vector<at::Tensor>& tensors) {
  int64_t offset = 0;
  for (auto i : bucket.members) {
    auto& t = tensors[i];
    const int64_t n = t.numel();
    t.copy_(flat.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
  TORCH_CHECK(offset == flat.numel(), "Unflatten: bucket size mismatch");
}

}  // namespace mg::dist
