// SPDX-License-Identifier: MIT
// The torchvision ResNet-152 trunk as CAPTION_CNN wraps it: `list(resnet152.children())[:-1]` in
// an nn.Sequential, so the children are 0 conv1, 1 bn1, 2 relu, 3 maxpool, 4..7 layer1..4,
// 8 avgpool, and every key matches torchvision's Bottleneck (v1.5: stride on conv2) names.
#pragma once

#include <torch/torch.h>

namespace mg {

struct BottleneckImpl : torch::nn::Module {
  static constexpr int64_t kExpansion = 4;
  // in_planes -> planes (1x1) -> planes (3x3, stride) -> 4 planes (1x1); downsample when the
  // shape changes (first block of a layer).
  BottleneckImpl(int64_t in_planes, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};  // conv 1x1 stride, BN; absent when shapes match
};
TORCH_MODULE(Bottleneck);

// One ResNet layer: a Sequential of Bottlenecks (children "0", "1", ...). A subclass with a plain
// forward, because LibTorch cannot nest a template-forward Sequential in another.
struct ResNetLayerImpl : torch::nn::SequentialImpl {
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(x); }
};
TORCH_MODULE(ResNetLayer);

// The 2048-d ResNet trunk (B, 3, H, W) -> (B, 2048, 1, 1) with blocks per layer, e.g. {3, 8, 36, 3}
// for ResNet-152. Convs are initialised kaiming-normal (fan_out), BN weight 1 bias 0 (torchvision).
torch::nn::Sequential MakeResNetTrunk(const std::vector<int64_t>& blocks);

}  // namespace mg
