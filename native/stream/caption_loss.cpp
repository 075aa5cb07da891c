// SPDX-License-Identifier: MIT
#include "stream/caption_loss.h"

#include "core/native_module.h"

namespace mg {

torch::Tensor ComputeCaptionLoss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& lengths,
                                 CaptionReduction reduction) {
  CheckFloating(logits, "caption_loss logits");
  CheckShape(logits, "caption_loss logits", {-1, -1});
  const int64_t n = logits.size(0);
  if (n == 0) throw Error(code::kShape, "caption_loss: no tokens");
  if (targets.scalar_type() != torch::kLong) throw Error(code::kDtype, "caption_loss: targets must be int64");
  CheckShape(targets, "caption_loss targets", {n});
  {
    auto lo = targets.min().item<int64_t>(), hi = targets.max().item<int64_t>();
    if (lo < 0 || hi >= logits.size(1)) {
      throw Error(code::kInvalidArg, "caption_loss: targets must lie in 0.." + std::to_string(logits.size(1) - 1) +
                                         " but range over " + std::to_string(lo) + ".." + std::to_string(hi));
    }
  }
  if (reduction == CaptionReduction::kTokenMean) return torch::nn::functional::cross_entropy(logits, targets);
  {
    if (!lengths.defined()) throw Error(code::kInvalidArg, "caption_loss: reduction 'sum' needs the input 'lengths' (B,)");
    if (lengths.scalar_type() != torch::kLong) throw Error(code::kDtype, "caption_loss: lengths must be int64");
    CheckShape(lengths, "caption_loss lengths", {-1});
    const int64_t total = lengths.sum().item<int64_t>();
    if (total != n || lengths.size(0) == 0) {
      throw Error(code::kShape, "caption_loss: sum(lengths) = " + std::to_string(total) + " but there are " +
                                    std::to_string(n) + " tokens");
    }
    auto summed = torch::nn::functional::cross_entropy(
        logits, targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    return summed / static_cast<double>(lengths.size(0));
  }
}

namespace {

MG_REGISTER_FUNCTION("caption_loss", [](const TensorMap& in, const Options& o) {
  const auto reduction = o.Enum<CaptionReduction>(
      "reduction", {{"mean", CaptionReduction::kTokenMean}, {"sum", CaptionReduction::kTokenSum}});
  return TensorMap{{"loss", ComputeCaptionLoss(Require(in, "logits", "caption_loss"), Require(in, "targets", "caption_loss"),
                                               Optional(in, "lengths"), reduction)}};
});

}  // namespace
}  // namespace mg
