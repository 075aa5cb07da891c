// SPDX-License-Identifier: MIT
#include "stream/resnet.h"

namespace mg {
namespace {

torch::nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(pad).bias(false));
}

}  // namespace

BottleneckImpl::BottleneckImpl(int64_t in_planes, int64_t planes, int64_t stride) {
  conv1 = register_module("conv1", Conv(in_planes, planes, 1, 1, 0));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2 = register_module("conv2", Conv(planes, planes, 3, stride, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
  conv3 = register_module("conv3", Conv(planes, planes * kExpansion, 1, 1, 0));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(planes * kExpansion));
  if (stride != 1 || in_planes != planes * kExpansion) {
    downsample = register_module("downsample", torch::nn::Sequential(Conv(in_planes, planes * kExpansion, 1, stride, 0),
                                                                    torch::nn::BatchNorm2d(planes * kExpansion)));
  }
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1->forward(conv1->forward(x)));
  out = torch::relu(bn2->forward(conv2->forward(out)));
  out = bn3->forward(conv3->forward(out));
  return torch::relu(out + (downsample ? downsample->forward(x) : x));
}

torch::nn::Sequential MakeResNetTrunk(const std::vector<int64_t>& blocks) {
  TORCH_CHECK(blocks.size() == 4, "MakeResNetTrunk: four layers expected");
  torch::nn::Sequential trunk;
  trunk->push_back(Conv(3, 64, 7, 2, 3));          // 0: conv1 -> (B, 64, H/2, W/2)
  trunk->push_back(torch::nn::BatchNorm2d(64));    // 1: bn1
  trunk->push_back(torch::nn::ReLU());             // 2
  trunk->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));  // 3: (B, 64, H/4, W/4)
  int64_t in_planes = 64;
  for (size_t layer = 0; layer < 4; ++layer) {     // 4..7: layer1..4, (B, 256 .. 2048, H/4 .. H/32)
    const int64_t planes = int64_t(64) << layer;
    ResNetLayer seq;
    for (int64_t b = 0; b < blocks[layer]; ++b) {
      seq->push_back(Bottleneck(in_planes, planes, b == 0 && layer > 0 ? 2 : 1));
      in_planes = planes * BottleneckImpl::kExpansion;
    }
    trunk->push_back(seq);
  }
  trunk->push_back(torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));  // 8: (B, 2048, 1, 1)

  torch::NoGradGuard no_grad;
  for (auto& m : trunk->modules(/*include_self=*/false)) {
    if (auto* conv = m->as<torch::nn::Conv2dImpl>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      bn->weight.fill_(1);
      bn->bias.fill_(0);
    }
  }
  return trunk;
}

}  // namespace mg
