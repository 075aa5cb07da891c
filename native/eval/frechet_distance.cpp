// SPDX-License-Identifier: MIT
// The Fréchet distance between two Gaussians (FID, Heusel et al. 2017, as pytorch-fid's
// calculate_frechet_distance defines it):
//   d² = |mu1 - mu2|² + tr(S1) + tr(S2) - 2 tr((S1 S2)^½).
// pytorch-fid takes scipy's sqrtm of the non-symmetric product S1 S2 and, when that is not
// finite, retries with eps·I added to both. Here the trace comes from symmetric eigenproblems
// only: with A = S1^½ (eigh, negative rounding clamped to 0), S1 S2 = A (A S2 A) A⁻¹ is similar to
// the symmetric positive semi-definite A S2 A, so tr((S1 S2)^½) = Σ sqrt(eig(A S2 A)). That stays
// finite and real for the rank-deficient covariances of fewer samples than dimensions. Eigenvalues
// below numpy's matrix_rank tolerance (d · eps · the largest) are rounding noise of a null space
// and count as 0: their square roots would otherwise add ~sqrt(eps) each. All in float64.
#include <limits>

#include "core/native_module.h"

namespace mg {
namespace {

torch::Tensor Symmetric(const torch::Tensor& m) { return (m + m.t()) / 2; }

// Eigenvalues of a symmetric PSD matrix with the numerical null space set to 0.
torch::Tensor ClampNoise(const torch::Tensor& w) {
  const double tol = static_cast<double>(w.numel()) * std::numeric_limits<double>::epsilon() *
                     w.abs().max().item<double>();
  return torch::where(w > tol, w, torch::zeros_like(w));
}

// Principal square root of a symmetric positive semi-definite matrix.
torch::Tensor SqrtPsd(const torch::Tensor& m) {
  auto [w, v] = torch::linalg::eigh(Symmetric(m), "L");
  return (v * ClampNoise(w).sqrt().unsqueeze(0)).mm(v.t());  // V diag(sqrt w) Vᵀ
}

TensorMap FrechetDistance(const TensorMap& in, const Options&) {
  auto get = [&](const char* name) {
    const auto& t = Require(in, name, "frechet_distance");
    CheckFloating(t, std::string("frechet_distance ") + name);
    return t.to(torch::kFloat64);
  };
  auto mu1 = get("mu1"), sigma1 = get("sigma1"), mu2 = get("mu2"), sigma2 = get("sigma2");
  const int64_t d = mu1.numel();
  CheckShape(mu1, "frechet_distance mu1", {d});
  CheckShape(mu2, "frechet_distance mu2", {d});
  CheckShape(sigma1, "frechet_distance sigma1", {d, d});
  CheckShape(sigma2, "frechet_distance sigma2", {d, d});
  auto a = SqrtPsd(sigma1);
  auto eig = ClampNoise(torch::linalg::eigvalsh(Symmetric(a.mm(sigma2).mm(a)), "L"));  // (d)
  auto trace_sqrt = eig.sqrt().sum();
  auto mean_term = (mu1 - mu2).pow(2).sum();
  auto distance = mean_term + sigma1.trace() + sigma2.trace() - 2 * trace_sqrt;
  return {{"distance", distance}, {"mean_term", mean_term}, {"trace_sqrt", trace_sqrt}};
}

MG_REGISTER_FUNCTION("frechet_distance", FrechetDistance);

}  // namespace
}  // namespace mg
