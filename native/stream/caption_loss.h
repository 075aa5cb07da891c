// SPDX-License-Identifier: MIT
// The STREAM text-reconstruction loss (MirrorGAN miscc/losses.py generator_loss, caption part).
#pragma once

#include <torch/torch.h>

namespace mg {

enum class CaptionReduction {
  kTokenMean,  // official code: nn.CrossEntropyLoss() over all packed tokens of the batch
  kTokenSum,   // paper: L_stream = -sum_t log p_t(T_t) per caption, averaged over the captions
};

// The unweighted caption cross entropy (scalar) under `reduction`. The STREAM weight (LAMBDA1)
// is applied where the generator loss is summed (src/train/generator_loss.ts), nowhere else.
// logits (N, n_words) and targets (N,) int64 in PackedSequence order (CAPTION_RNN forward);
// lengths (B,) int64 per-caption steps, needed by kTokenSum (sum(lengths) must be N).
torch::Tensor ComputeCaptionLoss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& lengths,
                                 CaptionReduction reduction);

}  // namespace mg
