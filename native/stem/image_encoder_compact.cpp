// SPDX-License-Identifier: MIT
#include "stem/image_encoder_compact.h"

#include "core/native_module.h"

namespace mg {
namespace {

constexpr double kLeakySlope = 0.2;      // as in the discriminators' downsampling blocks
constexpr double kCompactEmbInitRange = 0.1;    // official CNN_ENCODER.init_trainable_weights
constexpr int64_t kMaxWidthFactor = 8;   // widths capped at 8 ndf

void AddConvBlock(torch::nn::Sequential& seq, int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad) {
  seq->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(pad).bias(false)));
  seq->push_back(torch::nn::BatchNorm2d(out));
  seq->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(kLeakySlope)));
}

}  // namespace

CNN_ENCODER_COMPACTImpl::CNN_ENCODER_COMPACTImpl(int64_t ndf, int64_t image_size, int64_t grid, int64_t nef)
    : ndf(ndf), image_size(image_size), grid(grid), nef(nef) {
  TORCH_CHECK(ndf > 0 && nef > 0, "CNN_ENCODER_COMPACT: widths must be positive");
  if (grid < 2 || image_size % grid != 0 || image_size / grid < 2 || ((image_size / grid) & (image_size / grid - 1)) != 0) {
    throw Error(code::kInvalidArg, "CNN_ENCODER_COMPACT: imageSize / gridSize must be a power of two >= 2 (got " +
                                       std::to_string(image_size) + " / " + std::to_string(grid) + ")");
  }
  down = torch::nn::Sequential();
  int64_t width = 3;
  for (int64_t size = image_size, k = 0; size > grid; size /= 2, ++k) {
    int64_t out = ndf * std::min<int64_t>(int64_t(1) << k, kMaxWidthFactor);
    AddConvBlock(down, width, out, 4, 2, 1);  // (B, out, size/2, size/2)
    width = out;
  }
  register_module("down", down);
  refine = torch::nn::Sequential();
  AddConvBlock(refine, width, width, 3, 1, 1);
  register_module("refine", refine);
  emb_features = register_module("emb_features", torch::nn::Conv2d(torch::nn::Conv2dOptions(width, nef, 1).bias(false)));
  const int64_t global_width = std::min(width * 2, ndf * kMaxWidthFactor);
  global = torch::nn::Sequential();
  AddConvBlock(global, width, global_width, 4, 2, 1);
  register_module("global", global);
  emb_cnn_code = register_module("emb_cnn_code", torch::nn::Linear(global_width, nef));
  torch::NoGradGuard no_grad;
  emb_features->weight.uniform_(-kCompactEmbInitRange, kCompactEmbInitRange);
  emb_cnn_code->weight.uniform_(-kCompactEmbInitRange, kCompactEmbInitRange);
}

ImageEncoderOutput CNN_ENCODER_COMPACTImpl::forward(const torch::Tensor& images) {
  CheckFloating(images, "CNN_ENCODER_COMPACT images");
  CheckShape(images, "CNN_ENCODER_COMPACT images", {-1, 3, -1, -1});
  auto x = images;
  if (x.size(2) != image_size || x.size(3) != image_size) {
    x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{image_size, image_size})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
  }
  x = refine->forward(down->forward(x));       // (B, c, grid, grid)
  auto features = emb_features->forward(x);    // (B, nef, grid, grid)
  auto g = global->forward(x).mean({2, 3});    // (B, c_global)
  return {features, emb_cnn_code->forward(g)};  // cnn_code (B, nef)
}

namespace {

MG_REGISTER_MODULE("CNN_ENCODER_COMPACT", [](const Options& o) -> std::shared_ptr<NativeModule> {
  CNN_ENCODER_COMPACT net(o.Int("ndf"), o.Int("imageSize"), o.Int("gridSize"), o.Int("nef"));
  return std::make_shared<ModuleAdapter<CNN_ENCODER_COMPACT>>(
      "CNN_ENCODER_COMPACT", net, [](CNN_ENCODER_COMPACT& m, const TensorMap& in) {
        auto out = m->forward(Require(in, "images", "CNN_ENCODER_COMPACT"));
        return TensorMap{{"features", out.features}, {"cnn_code", out.cnn_code}};
      });
});

}  // namespace
}  // namespace mg
