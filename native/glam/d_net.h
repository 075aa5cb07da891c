// SPDX-License-Identifier: MIT
// Discriminators D_NET64 / D_NET128 / D_NET256 (MirrorGAN model.py), each with an
// unconditional head and a sentence-conditional head. As upstream, the heads end in a sigmoid:
// "logits" are probabilities and the losses are BCE on them.
#pragma once

#include <torch/torch.h>

namespace mg {

torch::nn::Sequential EncodeImageBy16Times(int64_t ndf);   // 3 -> 8 ndf, 1/16 resolution
torch::nn::Sequential DownBlock(int64_t in, int64_t out);  // conv4x4 s2 -> BN -> LeakyReLU(0.2)
torch::nn::Sequential Block3x3LeakRelu(int64_t in, int64_t out);

struct D_GET_LOGITSImpl : torch::nn::Module {
  D_GET_LOGITSImpl(int64_t ndf, int64_t nef, bool bcondition);
  // h: (B, 8 ndf, 4, 4); c: (B, nef) sentence feature (conditional head only) -> (B,) probabilities
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& c = {});
  int64_t df_dim, ef_dim;
  bool bcondition;
  torch::nn::Sequential jointConv{nullptr};
  torch::nn::Sequential outlogits{nullptr};
};
TORCH_MODULE(D_GET_LOGITS);

struct D_NETImpl : torch::nn::Module {
  // size: 64, 128 or 256 (D_NET64 / D_NET128 / D_NET256); b_jcu: with the unconditional head.
  D_NETImpl(int64_t size, int64_t ndf, int64_t nef, bool b_jcu);
  torch::Tensor forward(const torch::Tensor& images);  // (B, 3, size, size) -> (B, 8 ndf, 4, 4)

  int64_t size;
  torch::nn::Sequential img_code_s16{nullptr}, img_code_s32{nullptr}, img_code_s32_1{nullptr};
  torch::nn::Sequential img_code_s64{nullptr}, img_code_s64_1{nullptr}, img_code_s64_2{nullptr};
  D_GET_LOGITS UNCOND_DNET{nullptr};
  D_GET_LOGITS COND_DNET{nullptr};
};
TORCH_MODULE(D_NET);

}  // namespace mg
