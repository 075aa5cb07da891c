// SPDX-License-Identifier: MIT
#include "stream/caption_encoder.h"

#include "core/native_module.h"
#include "stream/resnet.h"

namespace mg {
namespace {

const std::vector<int64_t> kResNet152Blocks = {3, 8, 36, 3};  // Bottlenecks in layer1..4
constexpr int64_t kTrunkWidth = 2048;                          // resnet.fc.in_features
constexpr double kHeadBnMomentum = 0.01;                       // official BatchNorm1d(momentum=0.01)

}  // namespace

CAPTION_CNNImpl::CAPTION_CNNImpl(int64_t embed_size, CaptionInputOptions input)
    : embed_size(embed_size), input(input) {
  TORCH_CHECK(embed_size > 0, "CAPTION_CNN: embed_size must be positive");
  resnet = register_module("resnet", MakeResNetTrunk(kResNet152Blocks));
  linear = register_module("linear", torch::nn::Linear(kTrunkWidth, embed_size));
  bn = register_module("bn", torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(embed_size).momentum(kHeadBnMomentum)));
  for (auto& p : resnet->parameters()) p.set_requires_grad(false);
  resnet->eval();
}

void CAPTION_CNNImpl::train(bool on) {
  torch::nn::Module::train(on);
  resnet->eval();
}

torch::Tensor CAPTION_CNNImpl::forward(const torch::Tensor& images) {
  auto x = PrepareCaptionInput(images, input, "CAPTION_CNN");  // (B, 3, 224, 224)
  auto f = resnet->forward(x).flatten(1);                       // (B, 2048)
  return bn->forward(linear->forward(f));                       // (B, embed_size)
}

namespace {

MG_REGISTER_MODULE("CAPTION_CNN", [](const Options& o) -> std::shared_ptr<NativeModule> {
  CAPTION_CNN net(o.Int("embedSize"), CaptionInputOptionsFrom(o));
  return std::make_shared<ModuleAdapter<CAPTION_CNN>>("CAPTION_CNN", net, [](CAPTION_CNN& m, const TensorMap& in) {
    return TensorMap{{"features", m->forward(Require(in, "images", "CAPTION_CNN"))}};
  });
});

}  // namespace
}  // namespace mg
