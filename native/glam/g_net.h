// SPDX-License-Identifier: MIT
// GLAM: MirrorGAN's cascaded generator G_NET (64 -> 128 -> 256 px), with NEXT_STAGE_G stages
// that attend to words and to the sentence. Keys equal the official state_dict (105 keys for
// the birds config).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/options.h"
#include "glam/blocks.h"
#include "glam/glattention.h"
#include "stem/ca_net.h"

namespace mg {

// No defaults here: every value comes from the config schema (src/config/schema.ts) through
// the TS wrapper, which validates the ranges; GNetOptionsFrom reads them as required options.
struct GNetOptions {
  int64_t gf_dim;      // GAN.GF_DIM (ngf)
  int64_t ef_dim;      // TEXT.EMBEDDING_DIM (nef)
  int64_t c_dim;       // GAN.CONDITION_DIM (ncf)
  int64_t z_dim;       // GAN.Z_DIM
  int64_t r_num;       // GAN.R_NUM residual blocks per later stage
  int64_t branch_num;  // TREE.BRANCH_NUM: 1, 2 or 3 stages (64, 128, 256 px)
  GLAttentionOptions attention;
};

// Stages 2 and 3: [h, word context, sentence context] -> conv1x1 3ngf->2ngf -> ResBlocks -> upBlock.
struct NEXT_STAGE_GImpl : torch::nn::Module {
  NEXT_STAGE_GImpl(int64_t ngf, int64_t nef, int64_t ncf, int64_t r_num, GLAttentionOptions attention);
  // Returns (h_next: (B, ngf, 2H, 2W), word attention: (B, T, H, W)).
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& h, const torch::Tensor& c_code,
                                                  const torch::Tensor& words, const torch::Tensor& mask);
  GLAttentionGeneral att{nullptr};
  torch::nn::Sequential residual{nullptr};
  torch::nn::Sequential upsample{nullptr};
  torch::nn::Conv2d conv{nullptr};  // registered last, as upstream
};
TORCH_MODULE(NEXT_STAGE_G);

struct GNetOutput {
  std::vector<torch::Tensor> fake_imgs;  // one per stage: (B, 3, 64 * 2^i, 64 * 2^i)
  std::vector<torch::Tensor> att_maps;   // stages 2.. : (B, T, H, W)
  torch::Tensor c_code, mu, logvar;
};

struct G_NETImpl : torch::nn::Module {
  explicit G_NETImpl(GNetOptions options);
  // eps: the CA noise (drawn when undefined).
  GNetOutput forward(const torch::Tensor& z, const torch::Tensor& sent_emb, const torch::Tensor& words_emb,
                     const torch::Tensor& mask, const torch::Tensor& eps = {});

  GNetOptions options;
  CA_NET ca_net{nullptr};
  INIT_STAGE_G h_net1{nullptr};
  GET_IMAGE_G img_net1{nullptr}, img_net2{nullptr}, img_net3{nullptr};
  NEXT_STAGE_G h_net2{nullptr}, h_net3{nullptr};
};
TORCH_MODULE(G_NET);

GNetOptions GNetOptionsFrom(const Options& o);

}  // namespace mg
