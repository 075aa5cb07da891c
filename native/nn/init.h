// SPDX-License-Identifier: MIT
// Weight initialisation shared by every MirrorGAN network (MirrorGAN model.py weights_init).
#pragma once

#include <torch/torch.h>

#include "core/options.h"

namespace mg {

// Conv/Linear weights orthogonal (gain 1), Linear bias 0, BatchNorm weight ~ N(1, 0.02) and
// bias 0 — what the official trainer applies to G and every D with `netG.apply(weights_init)`.
void ApplyOfficialInit(torch::nn::Module& root);

// ApplyOfficialInit unless the module's options say `officialInit: false` (tests that want
// LibTorch's default init); the switch defaults to on, here only.
void ApplyOfficialInitUnlessOff(torch::nn::Module& root, const Options& options);

}  // namespace mg
