// SPDX-License-Identifier: MIT
#include "stream/caption_encoder_compact.h"

#include "core/native_module.h"

namespace mg {
namespace {

constexpr int64_t kBlocks = 4;  // stride-2 blocks: 64 px -> 4 x 4, 128 px -> 8 x 8

}  // namespace

CAPTION_CNN_COMPACTImpl::CAPTION_CNN_COMPACTImpl(int64_t ndf, int64_t embed_size, double bn_momentum,
                                                 CaptionInputOptions input)
    : ndf(ndf), embed_size(embed_size), input(input) {
  TORCH_CHECK(ndf > 0 && embed_size > 0, "CAPTION_CNN_COMPACT: widths must be positive");
  cnn = torch::nn::Sequential();
  int64_t width = 3;
  for (int64_t k = 0; k < kBlocks; ++k) {
    const int64_t out = ndf << k;
    cnn->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(width, out, 3).stride(2).padding(1).bias(false)));
    cnn->push_back(torch::nn::BatchNorm2d(out));
    cnn->push_back(torch::nn::ReLU());
    width = out;
  }
  register_module("cnn", cnn);
  linear = register_module("linear", torch::nn::Linear(width, embed_size));
  bn = register_module("bn", torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(embed_size).momentum(bn_momentum)));
}

torch::Tensor CAPTION_CNN_COMPACTImpl::forward(const torch::Tensor& images) {
  auto x = PrepareCaptionInput(images, input, "CAPTION_CNN_COMPACT");  // (B, 3, S, S)
  auto f = cnn->forward(x).mean({2, 3});                                // (B, 8 ndf)
  return bn->forward(linear->forward(f));                               // (B, embed_size)
}

namespace {

MG_REGISTER_MODULE("CAPTION_CNN_COMPACT", [](const Options& o) -> std::shared_ptr<NativeModule> {
  const double momentum = o.Number("bnMomentum");
  TORCH_CHECK(momentum > 0 && momentum <= 1, "CAPTION_CNN_COMPACT: bnMomentum must lie in (0, 1]");
  CAPTION_CNN_COMPACT net(o.Int("ndf"), o.Int("embedSize"), momentum, CaptionInputOptionsFrom(o));
  return std::make_shared<ModuleAdapter<CAPTION_CNN_COMPACT>>(
      "CAPTION_CNN_COMPACT", net, [](CAPTION_CNN_COMPACT& m, const TensorMap& in) {
        return TensorMap{{"features", m->forward(Require(in, "images", "CAPTION_CNN_COMPACT"))}};
      });
});

}  // namespace
}  // namespace mg
