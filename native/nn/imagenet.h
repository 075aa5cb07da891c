// SPDX-License-Identifier: MIT
// torchvision's ImageNet statistics (the transforms.Normalize of its classifiers), used by the
// STREAM encoders' input normalisation and by Inception-v3's transform_input.
#pragma once

namespace mg {

inline constexpr double kImageNetMean[3] = {0.485, 0.456, 0.406};
inline constexpr double kImageNetStd[3] = {0.229, 0.224, 0.225};

}  // namespace mg
