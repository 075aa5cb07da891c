// SPDX-License-Identifier: MIT
#include "eval/inception_v3.h"

#include "core/native_module.h"
#include "nn/imagenet.h"

namespace mg {
namespace {

namespace F = torch::nn::functional;

// torchvision inception.py _transform_input: ImageNet normalisation undone, then [0, 1] -> [-1, 1].
torch::Tensor TransformInput(const torch::Tensor& x) {
  std::vector<torch::Tensor> channels;
  for (int64_t c = 0; c < 3; ++c) {
    channels.push_back(x.narrow(1, c, 1) * (kImageNetStd[c] / 0.5) + (kImageNetMean[c] - 0.5) / 0.5);
  }
  return torch::cat(channels, 1);
}

}  // namespace

InceptionV3Impl::InceptionV3Impl(const InceptionV3Options& options) : options(options) {
  TORCH_CHECK(options.num_classes() > 0, "InceptionV3: num_classes must be positive");
  trunk.Register(*this, options.variant());
  fc = register_module("fc", torch::nn::Linear(2048, options.num_classes()));
}

InceptionV3Output InceptionV3Impl::forward(const torch::Tensor& images) {
  CheckFloating(images, "InceptionV3 images");
  CheckShape(images, "InceptionV3 images", {-1, 3, -1, -1});
  auto x = images;
  if (options.resize_input()) {
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{kInceptionInputSize, kInceptionInputSize})
                              .mode(torch::kBilinear)
                              .align_corners(false));  // (B, 3, 299, 299)
  }
  if (options.normalize_input()) x = x * 2 - 1;
  if (options.transform_input()) x = TransformInput(x);
  x = trunk.ToMixed7c(trunk.ToMixed6e(x));                // (B, 2048, 8, 8) at 299 px
  auto pool = F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1);  // (B, 2048)
  return {fc->forward(pool), pool};                       // dropout is off in eval mode
}

namespace {

std::shared_ptr<NativeModule> AdaptInceptionV3(const char* kind, InceptionV3 net) {
  return std::make_shared<ModuleAdapter<InceptionV3>>(kind, net, [kind](InceptionV3& m, const TensorMap& in) {
    auto out = m->forward(Require(in, "images", kind));
    return TensorMap{{"logits", out.logits}, {"pool", out.pool}};
  });
}

// torchvision.models.inception_v3(aux_logits=False, transform_input=...): images as torchvision's
// ImageNet transforms make them ((x - mean) / std) when transformInput is on (its default for the
// pretrained weights), in [-1, 1] when off.
MG_REGISTER_MODULE("INCEPTION_V3", [](const Options& o) -> std::shared_ptr<NativeModule> {
  return AdaptInceptionV3("INCEPTION_V3", InceptionV3(InceptionV3Options()
                                               .num_classes(o.Int("numClasses"))
                                               .transform_input(o.Bool("transformInput"))));
});

// pytorch-fid InceptionV3(use_fid_inception=True) plus the fc layer of its fid_inception_v3:
// images in [0, 1] at any size.
MG_REGISTER_MODULE("FID_INCEPTION_V3", [](const Options& o) -> std::shared_ptr<NativeModule> {
  return AdaptInceptionV3("FID_INCEPTION_V3", InceptionV3(InceptionV3Options()
                                                   .variant(InceptionVariant::kFid)
                                                   .num_classes(o.Int("numClasses"))
                                                   .resize_input(o.Bool("resizeInput"))
                                                   .normalize_input(o.Bool("normalizeInput"))));
});

}  // namespace
}  // namespace mg
