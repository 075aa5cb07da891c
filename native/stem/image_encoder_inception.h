// SPDX-License-Identifier: MIT
// CNN_ENCODER: the official DAMSM image encoder (AttnGAN code/model.py CNN_ENCODER; MirrorGAN
// model.py, identical) - torchvision's Inception-v3 trunk up to Mixed_7c, frozen, plus two
// trainable embeddings. Registered names are the official state-dict keys (reference §9.4: 567
// keys, 22,506,720 parameters), so torchvision Inception-v3 weights and the released DAMSM
// image_encoder checkpoints load key for key (no AuxLogits.*, no fc.*).
#pragma once

#include <torch/torch.h>

#include "nn/inception_blocks.h"
#include "stem/image_encoder_compact.h"  // ImageEncoderOutput

namespace mg {

struct CNN_ENCODERImpl : torch::nn::Module {
  // nef: width of both embeddings (TEXT.EMBEDDING_DIM, 256).
  explicit CNN_ENCODERImpl(int64_t nef);
  // images (B, 3, H, W) in [-1, 1] -> features (B, nef, 17, 17), cnn_code (B, nef).
  ImageEncoderOutput forward(const torch::Tensor& images);

  int64_t nef;
  InceptionTrunk trunk;  // torchvision's Conv2d_1a_3x3 ... Mixed_7c, frozen
  torch::nn::Conv2d emb_features{nullptr};  // 1x1 768 -> nef, no bias, on Mixed_6e
  torch::nn::Linear emb_cnn_code{nullptr};  // 2048 -> nef, on the pooled Mixed_7c
};
TORCH_MODULE(CNN_ENCODER);

}  // namespace mg
