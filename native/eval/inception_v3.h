// SPDX-License-Identifier: MIT
// Inception-v3 classifiers for evaluation:
// - torchvision's `inception_v3` (the Inception Score network; 1000 ImageNet classes; with
//   `transform_input`, as torchvision sets it for the pretrained weights
//   inception_v3_google-0cc3c7bd.pth: ImageNet-normalised input is mapped back to [-1, 1]);
// - pytorch-fid's `fid_inception_v3` (the FID network, weights pt_inception-2015-12-05-6726825d.pth
//   ported from TensorFlow's 2015-12-05 graph; 1008 classes; FIDInceptionA/C/E_1/E_2 blocks) with
//   pytorch-fid's InceptionV3 input handling: bilinear resize to 299 and [0, 1] -> [-1, 1].
// Both return the logits and the 2048-d average pool of Mixed_7c ("pool3", FID's features).
// No AuxLogits: evaluation never uses them (torchvision checkpoints carry them; the TS loader
// checks that they are the only keys left over).
#pragma once

#include <torch/torch.h>

#include "nn/inception_blocks.h"

namespace mg {

struct InceptionV3Options {
  TORCH_ARG(InceptionVariant, variant) = InceptionVariant::kTorchvision;
  TORCH_ARG(int64_t, num_classes) = 1000;
  // torchvision `transform_input`: x * std / 0.5 + (mean - 0.5) / 0.5 per channel (ImageNet mean/std).
  TORCH_ARG(bool, transform_input) = false;
  // pytorch-fid `resize_input`: F.interpolate(x, (299, 299), bilinear, align_corners=False).
  TORCH_ARG(bool, resize_input) = false;
  // pytorch-fid `normalize_input`: 2 x - 1.
  TORCH_ARG(bool, normalize_input) = false;
};

struct InceptionV3Output {
  torch::Tensor logits;  // (B, num_classes)
  torch::Tensor pool;    // (B, 2048)
};

struct InceptionV3Impl : torch::nn::Module {
  explicit InceptionV3Impl(const InceptionV3Options& options = {});
  InceptionV3Output forward(const torch::Tensor& images);  // (B, 3, H, W)

  InceptionV3Options options;
  InceptionTrunk trunk;
  torch::nn::Linear fc{nullptr};  // 2048 -> num_classes
};
TORCH_MODULE(InceptionV3);

}  // namespace mg
