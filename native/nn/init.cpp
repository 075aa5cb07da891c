// SPDX-License-Identifier: MIT
#include "nn/init.h"

namespace mg {

void ApplyOfficialInit(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (auto& m : root.modules(/*include_self=*/true)) {
    if (auto* conv = m->as<torch::nn::Conv2dImpl>()) {
      torch::nn::init::orthogonal_(conv->weight, 1.0);
    } else if (auto* lin = m->as<torch::nn::LinearImpl>()) {
      torch::nn::init::orthogonal_(lin->weight, 1.0);
      if (lin->bias.defined()) lin->bias.fill_(0);
    } else if (auto* bn2 = m->as<torch::nn::BatchNorm2dImpl>()) {
      bn2->weight.normal_(1.0, 0.02);
      bn2->bias.fill_(0);
    } else if (auto* bn1 = m->as<torch::nn::BatchNorm1dImpl>()) {
      bn1->weight.normal_(1.0, 0.02);
      bn1->bias.fill_(0);
    }
  }
}

void ApplyOfficialInitUnlessOff(torch::nn::Module& root, const Options& options) {
  if (options.Bool("officialInit", /*fallback=*/true)) ApplyOfficialInit(root);
}

}  // namespace mg
