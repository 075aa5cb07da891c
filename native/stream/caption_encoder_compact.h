// SPDX-License-Identifier: MIT
// CAPTION_CNN_COMPACT: a STREAM encoder small enough to train from scratch on a CPU, with the
// same head and output as CAPTION_CNN (`linear` -> `bn` BatchNorm1d, embed_size-d features).
// No upstream counterpart: the official ResNet-152 trunk needs ImageNet weights and ~11 GFLOPs
// per 224-px image.
//
//   * input: resized to image_size (0 = as given) and normalised as CAPTION_CNN (caption_input.h);
//   * `cnn`: four [conv 3x3 stride 2 pad 1 (no bias), BatchNorm2d, ReLU] blocks of widths ndf,
//     2 ndf, 4 ndf, 8 ndf (64 px -> 4 x 4), then the spatial mean -> (B, 8 ndf);
//   * `linear` 8 ndf -> embed_size, `bn` BatchNorm1d(embed_size, momentum bn_momentum).
// LibTorch default init throughout. ndf 32: 0.46 M parameters, ~15 MFLOPs per 64-px image.
#pragma once

#include <torch/torch.h>

#include "stream/caption_input.h"

namespace mg {

struct CAPTION_CNN_COMPACTImpl : torch::nn::Module {
  CAPTION_CNN_COMPACTImpl(int64_t ndf, int64_t embed_size, double bn_momentum, CaptionInputOptions input);
  // images (B, 3, H, W) in [-1, 1] -> features (B, embed_size).
  torch::Tensor forward(const torch::Tensor& images);

  int64_t ndf, embed_size;
  CaptionInputOptions input;
  torch::nn::Sequential cnn{nullptr};
  torch::nn::Linear linear{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(CAPTION_CNN_COMPACT);

}  // namespace mg
