// SPDX-License-Identifier: MIT
#include "stem/ca_net.h"

#include "core/native_module.h"
#include "nn/init.h"

namespace mg {

CA_NETImpl::CA_NETImpl(int64_t t_dim, int64_t c_dim) : t_dim(t_dim), c_dim(c_dim) {
  TORCH_CHECK(t_dim > 0 && c_dim > 0, "CA_NET: widths must be positive");
  fc = register_module("fc", torch::nn::Linear(torch::nn::LinearOptions(t_dim, c_dim * 4).bias(true)));
}

CANetOutput CA_NETImpl::forward(const torch::Tensor& sent_emb, const torch::Tensor& eps) {
  CheckShape(sent_emb, "CA_NET sent_emb", {-1, t_dim});
  auto x = torch::glu(fc->forward(sent_emb), 1);  // (B, 2 c_dim)
  auto mu = x.narrow(1, 0, c_dim);
  auto logvar = x.narrow(1, c_dim, c_dim);
  auto std = logvar.mul(0.5).exp();
  torch::Tensor noise = eps;
  if (noise.defined()) {
    CheckShape(noise, "CA_NET eps", {sent_emb.size(0), c_dim});
  } else {
    noise = torch::randn_like(std);
  }
  return {noise * std + mu, mu, logvar};
}

torch::Tensor KLLoss(const torch::Tensor& mu, const torch::Tensor& logvar) {
  return (1 + logvar - mu.pow(2) - logvar.exp()).mean().mul(-0.5);
}

namespace {

MG_REGISTER_MODULE("CA_NET", [](const Options& o) -> std::shared_ptr<NativeModule> {
  CA_NET net(o.Int("tDim"), o.Int("cDim"));
  ApplyOfficialInitUnlessOff(*net, o);
  return std::make_shared<ModuleAdapter<CA_NET>>("CA_NET", net, [](CA_NET& m, const TensorMap& in) {
    auto out = m->forward(Require(in, "sent_emb", "CA_NET"), Optional(in, "eps"));
    return TensorMap{{"c_code", out.c_code}, {"mu", out.mu}, {"logvar", out.logvar}};
  });
});

MG_REGISTER_FUNCTION("kl_loss", [](const TensorMap& in, const Options&) {
  return TensorMap{{"loss", KLLoss(Require(in, "mu", "kl_loss"), Require(in, "logvar", "kl_loss"))}};
});

}  // namespace
}  // namespace mg
