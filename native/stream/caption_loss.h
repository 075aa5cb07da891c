// SPDX-License-Identifier: MIT
// The STREAM text-reconstruction loss (MirrorGAN miscc/losses.py generator_loss, caption part).
#pragma once

#include <torch/torch.h>

namespace mg {

enum class CaptionReduction {
  kTokenMean,  // official code: nn.CrossEntropyLoss() over all packed tokens of the batch
  kTokenSum,   // paper: L_stream = -sum_t log p_t(T_t) per caption, averaged over the captions
};

struct CaptionLoss {
  torch::Tensor loss;  // scalar weight x ce
  torch::Tensor ce;    // scalar unweighted cross entropy under the chosen reduction
};

// logits (N, n_words) and targets (N,) int64 in PackedSequence order (CAPTION_RNN forward);
// lengths (B,) int64 per-caption steps, needed by kTokenSum (sum(lengths) must be N).
// weight: LAMBDA1 (official CUB yml 10, cfg default 1) or the paper's lambda.
CaptionLoss ComputeCaptionLoss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& lengths,
                               double weight, CaptionReduction reduction);

}  // namespace mg
