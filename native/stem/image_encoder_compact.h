// SPDX-License-Identifier: MIT
// CNN_ENCODER_COMPACT: a small image encoder for DAMSM, trainable from scratch on a CPU, with the
// outputs of the Inception-v3 CNN_ENCODER (region features and a global code, both nef-d).
//
// Design (no upstream counterpart; ImageNet weights for the official trunk are not available
// offline, and a 22.5 M-parameter trunk at 299 px is too slow for CPU-sized runs):
//   * input resized bilinearly (align_corners false) to image_size x image_size when it differs,
//     as the official encoder resizes to 299; pixels in [-1, 1];
//   * `down`: log2(image_size / grid) blocks of [conv 4x4 stride 2 pad 1 (no bias), BatchNorm,
//     LeakyReLU 0.2] - the D_NET downsampling block - with widths ndf, 2 ndf, ... capped at
//     8 ndf, taking the image to a grid x grid map (64 px -> 8 x 8 in three blocks);
//   * `refine`: one [conv 3x3 (no bias), BatchNorm, LeakyReLU 0.2] at the grid resolution, so each
//     region sees its neighbours (the role of Mixed_6b..6e before the official local features);
//   * `emb_features`: 1x1 conv (no bias) -> nef: the region features (B, nef, grid, grid), like
//     the official emb_features on Mixed_6e;
//   * `global`: one more downsampling block (grid -> grid / 2, width doubled, capped at 8 ndf),
//     then the spatial mean and `emb_cnn_code` Linear -> nef: the global code (B, nef), like the
//     official avg-pool of Mixed_7c followed by emb_cnn_code.
// Everything is trainable. Convs and BatchNorm keep LibTorch's default init; the two embedding
// layers are initialised U(-0.1, 0.1) as the official CNN_ENCODER.init_trainable_weights does.
// With ndf 32 at 64 px: 936,896 parameters, about 40 M multiply-adds per image.
#pragma once

#include <torch/torch.h>

namespace mg {

struct ImageEncoderOutput {
  torch::Tensor features;  // (B, nef, h, w) region features
  torch::Tensor cnn_code;  // (B, nef) global image code
};

struct CNN_ENCODER_COMPACTImpl : torch::nn::Module {
  // image_size / grid must be a power of two >= 2.
  CNN_ENCODER_COMPACTImpl(int64_t ndf, int64_t image_size, int64_t grid, int64_t nef);
  // images: (B, 3, H, W) in [-1, 1], any H x W (resized to image_size).
  ImageEncoderOutput forward(const torch::Tensor& images);

  int64_t ndf, image_size, grid, nef;
  torch::nn::Sequential down{nullptr};
  torch::nn::Sequential refine{nullptr};
  torch::nn::Conv2d emb_features{nullptr};
  torch::nn::Sequential global{nullptr};
  torch::nn::Linear emb_cnn_code{nullptr};
};
TORCH_MODULE(CNN_ENCODER_COMPACT);

}  // namespace mg
