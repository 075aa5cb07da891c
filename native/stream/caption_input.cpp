// SPDX-License-Identifier: MIT
#include "stream/caption_input.h"

#include "core/native_module.h"
#include "nn/imagenet.h"  // the statistics the tutorial's transforms.Normalize uses

namespace mg {

CaptionInputOptions CaptionInputOptionsFrom(const Options& o) {
  const int64_t side = o.Int("imageSize");
  TORCH_CHECK(side >= 0, "caption encoder: imageSize must be >= 0");
  return {side, o.Enum<CaptionInputNorm>("inputNorm", {{"imagenet", CaptionInputNorm::kImageNet}, {"none", CaptionInputNorm::kNone}})};
}

torch::Tensor PrepareCaptionInput(const torch::Tensor& images, const CaptionInputOptions& options, const char* owner) {
  CheckFloating(images, std::string(owner) + " images");
  CheckShape(images, std::string(owner) + " images", {-1, 3, -1, -1});
  if (images.size(0) == 0) throw Error(code::kShape, std::string(owner) + ": empty batch");
  auto x = images;
  const int64_t side = options.image_size;
  if (side > 0 && (x.size(2) != side || x.size(3) != side)) {
    x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{side, side})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));  // (B, 3, side, side)
  }
  if (options.norm == CaptionInputNorm::kImageNet) {
    auto mean = torch::tensor({kImageNetMean[0], kImageNetMean[1], kImageNetMean[2]}, x.options()).view({1, 3, 1, 1});
    auto std = torch::tensor({kImageNetStd[0], kImageNetStd[1], kImageNetStd[2]}, x.options()).view({1, 3, 1, 1});
    x = ((x + 1) * 0.5 - mean) / std;
  }
  return x;
}

}  // namespace mg
