// SPDX-License-Identifier: MIT
// CNN_ENCODER: the official DAMSM image encoder (AttnGAN code/model.py CNN_ENCODER; MirrorGAN
// model.py, identical) - torchvision's Inception-v3 trunk up to Mixed_7c, frozen, plus two
// trainable embeddings. Registered names are the official state-dict keys (reference §9.4: 567
// keys, 22,506,720 parameters), so torchvision Inception-v3 weights and the released DAMSM
// image_encoder checkpoints load key for key (no AuxLogits.*, no fc.*).
#pragma once

#include <torch/torch.h>

#include "stem/image_encoder_compact.h"  // ImageEncoderOutput

namespace mg {

// torchvision BasicConv2d: conv (no bias) -> BatchNorm (eps 0.001) -> ReLU.
struct BasicConv2dImpl : torch::nn::Module {
  BasicConv2dImpl(int64_t in, int64_t out, torch::ExpandingArray<2> kernel, torch::ExpandingArray<2> stride = 1,
                  torch::ExpandingArray<2> padding = 0);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(BasicConv2d);

// 35 x 35 block: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1(pool_features).
struct InceptionAImpl : torch::nn::Module {
  InceptionAImpl(int64_t in, int64_t pool_features);
  torch::Tensor forward(const torch::Tensor& x);  // (B, 224 + pool_features, H, W)
  BasicConv2d branch1x1{nullptr}, branch5x5_1{nullptr}, branch5x5_2{nullptr}, branch3x3dbl_1{nullptr},
      branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr}, branch_pool{nullptr};
};
TORCH_MODULE(InceptionA);

// 35 -> 17 reduction: 3x3/2 | 1x1-3x3-3x3/2 | maxpool/2.
struct InceptionBImpl : torch::nn::Module {
  explicit InceptionBImpl(int64_t in);
  torch::Tensor forward(const torch::Tensor& x);  // (B, 480 + in, H/2, W/2)
  BasicConv2d branch3x3{nullptr}, branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr};
};
TORCH_MODULE(InceptionB);

// 17 x 17 block with factorised 7x7 convolutions of width c7.
struct InceptionCImpl : torch::nn::Module {
  InceptionCImpl(int64_t in, int64_t c7);
  torch::Tensor forward(const torch::Tensor& x);  // (B, 768, H, W)
  BasicConv2d branch1x1{nullptr}, branch7x7_1{nullptr}, branch7x7_2{nullptr}, branch7x7_3{nullptr},
      branch7x7dbl_1{nullptr}, branch7x7dbl_2{nullptr}, branch7x7dbl_3{nullptr}, branch7x7dbl_4{nullptr},
      branch7x7dbl_5{nullptr}, branch_pool{nullptr};
};
TORCH_MODULE(InceptionC);

// 17 -> 8 reduction: 1x1-3x3/2 | 1x1-1x7-7x1-3x3/2 | maxpool/2.
struct InceptionDImpl : torch::nn::Module {
  explicit InceptionDImpl(int64_t in);
  torch::Tensor forward(const torch::Tensor& x);  // (B, 512 + in, H/2, W/2)
  BasicConv2d branch3x3_1{nullptr}, branch3x3_2{nullptr}, branch7x7x3_1{nullptr}, branch7x7x3_2{nullptr},
      branch7x7x3_3{nullptr}, branch7x7x3_4{nullptr};
};
TORCH_MODULE(InceptionD);

// 8 x 8 block with split 1x3 / 3x1 branches.
struct InceptionEImpl : torch::nn::Module {
  explicit InceptionEImpl(int64_t in);
  torch::Tensor forward(const torch::Tensor& x);  // (B, 2048, H, W)
  BasicConv2d branch1x1{nullptr}, branch3x3_1{nullptr}, branch3x3_2a{nullptr}, branch3x3_2b{nullptr},
      branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3a{nullptr}, branch3x3dbl_3b{nullptr},
      branch_pool{nullptr};
};
TORCH_MODULE(InceptionE);

struct CNN_ENCODERImpl : torch::nn::Module {
  // nef: width of both embeddings (TEXT.EMBEDDING_DIM, 256).
  explicit CNN_ENCODERImpl(int64_t nef);
  // images (B, 3, H, W) in [-1, 1] -> features (B, nef, 17, 17), cnn_code (B, nef).
  ImageEncoderOutput forward(const torch::Tensor& images);

  int64_t nef;
  BasicConv2d Conv2d_1a_3x3{nullptr}, Conv2d_2a_3x3{nullptr}, Conv2d_2b_3x3{nullptr}, Conv2d_3b_1x1{nullptr},
      Conv2d_4a_3x3{nullptr};
  InceptionA Mixed_5b{nullptr}, Mixed_5c{nullptr}, Mixed_5d{nullptr};
  InceptionB Mixed_6a{nullptr};
  InceptionC Mixed_6b{nullptr}, Mixed_6c{nullptr}, Mixed_6d{nullptr}, Mixed_6e{nullptr};
  InceptionD Mixed_7a{nullptr};
  InceptionE Mixed_7b{nullptr}, Mixed_7c{nullptr};
  torch::nn::Conv2d emb_features{nullptr};  // 1x1 768 -> nef, no bias, on Mixed_6e
  torch::nn::Linear emb_cnn_code{nullptr};  // 2048 -> nef, on the pooled Mixed_7c
};
TORCH_MODULE(CNN_ENCODER);

}  // namespace mg
