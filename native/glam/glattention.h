// SPDX-License-Identifier: MIT
// GLAttentionGeneral (MirrorGAN GLAttention.py): word-level attention (AttnGAN's
// GlobalAttentionGeneral) and MirrorGAN's sentence-level attention, in one module.
#pragma once

#include <torch/torch.h>

#include <string>

namespace mg {

struct GLAttentionOptions {
  // "official": the word mask is tiled with repeat(queryL, 1), so pixel row b*queryL + q uses
  // mask[(b*queryL + q) mod B] (AttnGAN#93, kept for parity); "fixed": row uses mask[b].
  std::string mask_tiling = "official";
  // "official": softmax over channels of conv_sentence_vis(h * s'), as the code does;
  // "paper": softmax over channels of (h * s') with no extra conv (the paper's formula);
  // "off": no sentence context (zeros), the paper's GLAM ablation.
  std::string sentence_attention = "official";
};

struct GLAttentionOutput {
  torch::Tensor word_context;      // (B, idf, H, W)
  torch::Tensor sentence_context;  // (B, idf, H, W)
  torch::Tensor word_attn;         // (B, T, H, W), softmax over T per pixel
  torch::Tensor sent_attn;         // (B, idf, H, W), softmax over channels per pixel
};

struct GLAttentionGeneralImpl : torch::nn::Module {
  GLAttentionGeneralImpl(int64_t idf, int64_t cdf, int64_t ncf = 100, GLAttentionOptions options = {});
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
