// SPDX-License-Identifier: MIT
// clip_grad_norm: LibTorch's torch::nn::utils::clip_grad_norm_ (the C++ twin of PyTorch's
// torch.nn.utils.clip_grad_norm_) over the gradients of the given parameters, in place.
// AttnGAN/MirrorGAN's DAMSM pretraining clips the text encoder's gradients with
// max_norm = TRAIN.RNN_GRAD_CLIP (0.25) before each optimiser step.
//
// Inputs: the parameters as named tensors (any names; tensors without a gradient are skipped,
// as PyTorch skips p.grad is None). Options: maxNorm (required), normType (p > 0 or Infinity;
// LibTorch's default 2 when absent). TS (src/stem/pretrain_damsm.ts) validates both. Output:
// { total_norm } -- a scalar of the gradients' dtype, the norm of all gradients taken together
// before clipping (0 when no parameter has a gradient).
#include <vector>

#include "core/native_module.h"  // torch/torch.h, which brings torch::nn::utils::clip_grad_norm_

namespace mg {
namespace {

TensorMap ClipGradNorm(const TensorMap& in, const Options& o) {
  const double max_norm = o.Number("maxNorm");
  std::vector<torch::Tensor> params;
  auto dtype = torch::kFloat;
  for (const auto& [name, p] : in) {
    if (!p.defined() || !p.grad().defined()) continue;
    if (!p.grad().is_floating_point()) throw Error(code::kDtype, "clip_grad_norm: gradient of '" + name + "' is not floating-point");
    if (params.empty()) dtype = p.grad().scalar_type();
    params.push_back(p);
  }
  const double total = o.Has("normType") ? torch::nn::utils::clip_grad_norm_(params, max_norm, o.Number("normType"))
                                         : torch::nn::utils::clip_grad_norm_(params, max_norm);
  return TensorMap{{"total_norm", torch::scalar_tensor(total, torch::TensorOptions().dtype(dtype))}};
}

MG_REGISTER_FUNCTION("clip_grad_norm", ClipGradNorm);

}  // namespace
}  // namespace mg
