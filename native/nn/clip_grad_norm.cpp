// SPDX-License-Identifier: MIT
// clip_grad_norm: torch.nn.utils.clip_grad_norm_ (PyTorch 1.13) over the gradients of the given
// parameters, in place. AttnGAN/MirrorGAN's DAMSM pretraining clips the text encoder's
// gradients with max_norm = TRAIN.RNN_GRAD_CLIP (0.25) before each optimiser step.
//
// Inputs: the parameters as named tensors (any names; tensors without a gradient are skipped,
// as PyTorch skips p.grad is None). Options: maxNorm (required, >= 0), normType (default 2; any
// p > 0, or Infinity for the max norm). Output: { total_norm } -- a scalar of the gradients' dtype, the norm of
// all gradients taken together before clipping (0 when no parameter has a gradient).
//
//   total = || (||g_1||_p, ..., ||g_n||_p) ||_p          (max_k max|g_k| for p = inf)
//   coef  = maxNorm / (total + 1e-6);  every g_k *= min(coef, 1)
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/native_module.h"

namespace mg {
namespace {

constexpr double kClipEps = 1e-6;  // clip_grad_norm_: max_norm / (total_norm + 1e-6)

TensorMap ClipGradNorm(const TensorMap& in, const Options& o) {
  const char* owner = "clip_grad_norm";
  if (!o.Has("maxNorm")) throw Error(code::kInvalidArg, std::string(owner) + ": option maxNorm is required");
  const double max_norm = o.Number("maxNorm", 0.0);
  const double norm_type = o.Number("normType", 2.0);
  if (!std::isfinite(max_norm) || max_norm < 0) {
    throw Error(code::kInvalidArg, std::string(owner) + ": expected maxNorm to be a finite number >= 0 but received " +
                                       std::to_string(max_norm));
  }
  if (std::isnan(norm_type) || norm_type <= 0) {
    throw Error(code::kInvalidArg, std::string(owner) + ": expected normType to be a number > 0 or Infinity but received " +
                                       std::to_string(norm_type));
  }
  const bool inf_norm = std::isinf(norm_type);

  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& [name, p] : in) {
    if (!p.defined()) continue;
    auto g = p.grad();
    if (!g.defined()) continue;
    if (!g.is_floating_point()) throw Error(code::kDtype, std::string(owner) + ": gradient of '" + name + "' is not floating-point");
    grads.push_back(g);
  }
  if (grads.empty()) return TensorMap{{"total_norm", torch::zeros({}, torch::kFloat)}};

  const auto device = grads.front().device();
  std::vector<torch::Tensor> norms;
  norms.reserve(grads.size());
  for (const auto& g : grads) {
    auto d = g.detach();
    norms.push_back((inf_norm ? d.abs().max() : torch::linalg_vector_norm(d, norm_type)).to(device));
  }
  auto stacked = torch::stack(norms);
  torch::Tensor total = inf_norm ? stacked.max() : torch::linalg_vector_norm(stacked, norm_type);
  auto coef = torch::clamp(max_norm / (total + kClipEps), c10::nullopt, 1.0);
  for (auto& g : grads) g.detach().mul_(coef.to(g.device()));
  return TensorMap{{"total_norm", total.detach().clone()}};
}

MG_REGISTER_FUNCTION("clip_grad_norm", ClipGradNorm);

}  // namespace
}  // namespace mg
