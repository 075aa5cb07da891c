// SPDX-License-Identifier: MIT
// What the STREAM encoders do to their input images before the CNN. Images arrive as the data
// loader and the generator produce them: (B, 3, H, W) in [-1, 1].
//
// The official MirrorGAN use (reference section 10.1 #7) resizes the 256-px fake image bilinearly
// to 224 and feeds it un-normalised, while the tutorial captioner it loads was trained on
// ImageNet-normalised crops. Here the normalisation is a property of the encoder (stored with its
// options), so pretraining and use agree by construction; `none` reproduces the official use.
#pragma once

#include <torch/torch.h>

#include "core/options.h"

namespace mg {

enum class CaptionInputNorm {
  kImageNet,  // x in [-1, 1] -> ((x + 1) / 2 - mean) / std with the ImageNet mean and std
  kNone,      // fed as is
};

struct CaptionInputOptions {
  int64_t image_size;  // bilinear resize (align_corners false) to this side; 0 = keep the input size
  CaptionInputNorm norm;
};

// Reads the required options `imageSize` and `inputNorm` ('imagenet' / 'none').
CaptionInputOptions CaptionInputOptionsFrom(const Options& o);

// (B, 3, H, W) -> (B, 3, image_size, image_size), normalised as asked. Differentiable.
torch::Tensor PrepareCaptionInput(const torch::Tensor& images, const CaptionInputOptions& options, const char* owner);

}  // namespace mg
