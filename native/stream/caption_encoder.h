// SPDX-License-Identifier: MIT
// CAPTION_CNN: the STREAM encoder (MirrorGAN model.py CAPTION_CNN = the tutorial's EncoderCNN):
// ImageNet ResNet-152 without its fc (`resnet`, frozen) -> `linear` 2048 -> embed_size ->
// `bn` BatchNorm1d(embed_size, momentum 0.01). 937 keys, 58,668,864 parameters at embed 256
// (58,143,808 of them in the frozen trunk). Pretrained trunk weights come from a torchvision
// checkpoint converted to safetensors (keys renamed conv1 -> resnet.0, layer1 -> resnet.4, ...).
#pragma once

#include <torch/torch.h>

#include "stream/caption_input.h"

namespace mg {

struct CAPTION_CNNImpl : torch::nn::Module {
  CAPTION_CNNImpl(int64_t embed_size, CaptionInputOptions input);
  // images (B, 3, H, W) in [-1, 1] -> features (B, embed_size). Gradients reach the images
  // (frozen use in MirrorGAN), never the trunk's parameters.
  torch::Tensor forward(const torch::Tensor& images);
  // The trunk is frozen: its BatchNorms stay on their running statistics whatever the mode
  // (the tutorial left them in train mode; with a frozen trunk that only drifts the statistics).
  void train(bool on = true) override;

  int64_t embed_size;
  CaptionInputOptions input;
  torch::nn::Sequential resnet{nullptr};
  torch::nn::Linear linear{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(CAPTION_CNN);

}  // namespace mg
