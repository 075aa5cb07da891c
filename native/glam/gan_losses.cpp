// SPDX-License-Identifier: MIT
#include "glam/gan_losses.h"

namespace mg {

namespace {
torch::Tensor Bce(const torch::Tensor& p, double target) {
  // nn.BCELoss (mean); ATen clamps each log at -100 exactly as PyTorch does.
  return torch::binary_cross_entropy(p, torch::full_like(p, target));
}
}  // namespace

TensorMap DiscriminatorLoss(D_NET& net, const torch::Tensor& real, const torch::Tensor& fake, const torch::Tensor& sent) {
  const int64_t B = real.size(0);
  if (fake.size(0) != B || sent.size(0) != B) {
    throw Error(code::kShape, "d_loss: real, fake and sent_emb must have the same batch size");
  }
  if (B < 2) throw Error(code::kShape, "d_loss: the mismatched-caption term needs a batch of at least 2");
  auto real_features = net->forward(real);
  auto fake_features = net->forward(fake.detach());
  auto cond_real = net->COND_DNET->forward(real_features, sent);
  auto cond_fake = net->COND_DNET->forward(fake_features, sent);
  auto cond_wrong = net->COND_DNET->forward(real_features.narrow(0, 0, B - 1), sent.narrow(0, 1, B - 1));
  TensorMap out{{"features_real", real_features}, {"features_fake", fake_features},
                {"cond_real_logits", cond_real}, {"cond_fake_logits", cond_fake}, {"cond_wrong_logits", cond_wrong},
                {"cond_real_bce", Bce(cond_real, 1)}, {"cond_fake_bce", Bce(cond_fake, 0)},
                {"cond_wrong_bce", Bce(cond_wrong, 0)}};
  if (net->UNCOND_DNET) {
    auto uncond_real = net->UNCOND_DNET->forward(real_features);
    auto uncond_fake = net->UNCOND_DNET->forward(fake_features);
    out["uncond_real_logits"] = uncond_real;
    out["uncond_fake_logits"] = uncond_fake;
    out["uncond_real_bce"] = Bce(uncond_real, 1);
    out["uncond_fake_bce"] = Bce(uncond_fake, 0);
    out["errD"] = (out["uncond_real_bce"] + out["cond_real_bce"]) / 2.0 +
                  (out["uncond_fake_bce"] + out["cond_fake_bce"] + out["cond_wrong_bce"]) / 3.0;
  } else {
    out["errD"] = out["cond_real_bce"] + (out["cond_fake_bce"] + out["cond_wrong_bce"]) / 2.0;
  }
  return out;
}

TensorMap GeneratorAdversarialLoss(D_NET& net, const torch::Tensor& fake, const torch::Tensor& sent) {
  auto features = net->forward(fake);
  auto cond = net->COND_DNET->forward(features, sent);
  TensorMap out{{"cond_logits", cond}, {"g_cond_bce", Bce(cond, 1)}};
  if (net->UNCOND_DNET) {
    auto uncond = net->UNCOND_DNET->forward(features);
    out["uncond_logits"] = uncond;
    out["g_uncond_bce"] = Bce(uncond, 1);
    out["g_loss"] = out["g_uncond_bce"] + out["g_cond_bce"];
  } else {
    out["g_loss"] = out["g_cond_bce"];
  }
  return out;
}

}  // namespace mg
