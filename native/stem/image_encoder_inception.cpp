// SPDX-License-Identifier: MIT
#include "stem/image_encoder_inception.h"

#include "core/native_module.h"

namespace mg {
namespace {

constexpr double kInceptionEmbInitRange = 0.1;    // CNN_ENCODER.init_trainable_weights

namespace F = torch::nn::functional;

}  // namespace

CNN_ENCODERImpl::CNN_ENCODERImpl(int64_t nef) : nef(nef) {
  TORCH_CHECK(nef > 0, "CNN_ENCODER: nef must be positive");
  trunk.Register(*this, InceptionVariant::kTorchvision);
  // The official encoder freezes every trunk parameter (requires_grad = False) before adding
  // the two trainable embeddings.
  for (auto& p : parameters()) p.set_requires_grad(false);
  emb_features = register_module("emb_features", torch::nn::Conv2d(torch::nn::Conv2dOptions(768, nef, 1).bias(false)));
  emb_cnn_code = register_module("emb_cnn_code", torch::nn::Linear(2048, nef));
  torch::NoGradGuard no_grad;
  emb_features->weight.uniform_(-kInceptionEmbInitRange, kInceptionEmbInitRange);
  emb_cnn_code->weight.uniform_(-kInceptionEmbInitRange, kInceptionEmbInitRange);
}

ImageEncoderOutput CNN_ENCODERImpl::forward(const torch::Tensor& images) {
  CheckFloating(images, "CNN_ENCODER images");
  CheckShape(images, "CNN_ENCODER images", {-1, 3, -1, -1});
  auto x = images;
  // CNN_ENCODER.forward: nn.Upsample(size=(299, 299), mode='bilinear').
  if (x.size(2) != kInceptionInputSize || x.size(3) != kInceptionInputSize) {
    // PyTorch >= 0.4 Upsample default align_corners=False (the released encoders saw 0.3's True).
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{kInceptionInputSize, kInceptionInputSize})
                              .mode(torch::kBilinear)
                              .align_corners(false));  // (B, 3, 299, 299)
  }
  x = trunk.ToMixed6e(x);                                            // (B, 768, 17, 17)
  auto features = emb_features->forward(x);                          // (B, nef, 17, 17) regions
  x = trunk.ToMixed7c(x);                                            // (B, 2048, 8, 8)
  x = F::avg_pool2d(x, F::AvgPool2dFuncOptions(8)).flatten(1);       // (B, 2048)
  return {features, emb_cnn_code->forward(x)};                       // cnn_code (B, nef)
}

namespace {

MG_REGISTER_MODULE("CNN_ENCODER", [](const Options& o) -> std::shared_ptr<NativeModule> {
  CNN_ENCODER net(o.Int("nef"));
  return std::make_shared<ModuleAdapter<CNN_ENCODER>>("CNN_ENCODER", net, [](CNN_ENCODER& m, const TensorMap& in) {
    auto out = m->forward(Require(in, "images", "CNN_ENCODER"));
    return TensorMap{{"features", out.features}, {"cnn_code", out.cnn_code}};
  });
});

}  // namespace
}  // namespace mg
