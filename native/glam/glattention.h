// SPDX-License-Identifier: MIT
// GLAttentionGeneral (MirrorGAN GLAttention.py): word-level attention (AttnGAN's
// GlobalAttentionGeneral) and MirrorGAN's sentence-level attention, in one module.
#pragma once

#include <torch/torch.h>

#include "core/options.h"

namespace mg {

// gan.maskTiling. kOfficial: the word mask is tiled with repeat(queryL, 1), so pixel row
// b*queryL + q uses mask[(b*queryL + q) mod B] (AttnGAN#93, kept for parity); kFixed: row uses mask[b].
enum class MaskTiling { kOfficial, kFixed };

// gan.sentenceAttention. kOfficial: softmax over channels of conv_sentence_vis(h * s'), as the
// code does; kPaper: softmax over channels of (h * s') with no extra conv (the paper's formula);
// kOff: no sentence context (zeros), the paper's GLAM ablation.
enum class SentenceAttention { kOfficial, kPaper, kOff };

// No defaults: the values come from the config schema through the TS wrapper (GLAttentionOptionsFrom).
struct GLAttentionOptions {
  MaskTiling mask_tiling;
  SentenceAttention sentence_attention;
};

// Reads `maskTiling` and `sentenceAttention` (both required) into enums.
GLAttentionOptions GLAttentionOptionsFrom(const Options& o);

struct GLAttentionOutput {
  torch::Tensor word_context;      // (B, idf, H, W)
  torch::Tensor sentence_context;  // (B, idf, H, W)
  torch::Tensor word_attn;         // (B, T, H, W), softmax over T per pixel
  torch::Tensor sent_attn;         // (B, idf, H, W), softmax over channels per pixel
};

struct GLAttentionGeneralImpl : torch::nn::Module {
  GLAttentionGeneralImpl(int64_t idf, int64_t cdf, int64_t ncf, GLAttentionOptions options);
  // h: (B, idf, H, W); c_code: (B, ncf) CA sample; words: (B, cdf, T); mask: (B, T) bool, true =
  // padding (undefined = no mask).
  GLAttentionOutput forward(const torch::Tensor& h, const torch::Tensor& c_code, const torch::Tensor& words,
                            const torch::Tensor& mask);

  GLAttentionOptions options;
  torch::nn::Conv2d conv_context{nullptr};       // 1x1 cdf -> idf, no bias
  torch::nn::Conv2d conv_sentence_vis{nullptr};  // 1x1 idf -> idf, no bias
  torch::nn::Linear linear{nullptr};             // ncf -> idf, with bias
};
TORCH_MODULE(GLAttentionGeneral);

}  // namespace mg
