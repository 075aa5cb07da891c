// SPDX-License-Identifier: MIT
// The official MirrorGAN adversarial losses (miscc/losses.py), per stage.
#pragma once

#include "core/native_module.h"
#include "glam/d_net.h"

namespace mg {

// discriminator_loss: errD = (uncond_real + cond_real)/2 + (uncond_fake + cond_fake + cond_wrong)/3
// (without the unconditional head: cond_real + (cond_fake + cond_wrong)/2). The fake images are
// detached; the mismatched pairs are real[0:B-1] with sent[1:B], as in the official code. Module
// calls happen in the official order, which fixes the BatchNorm running-statistics updates.
// Outputs: errD, every *_bce part, and the logits.
TensorMap DiscriminatorLoss(D_NET& net, const torch::Tensor& real, const torch::Tensor& fake, const torch::Tensor& sent);

// The generator-side adversarial term of one stage: BCE(uncond(fake), 1) + BCE(cond(fake, s), 1).
// Outputs: g_loss, g_uncond_bce, g_cond_bce, cond_logits, uncond_logits.
TensorMap GeneratorAdversarialLoss(D_NET& net, const torch::Tensor& fake, const torch::Tensor& sent);

}  // namespace mg
