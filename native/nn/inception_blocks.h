// SPDX-License-Identifier: MIT
// torchvision's Inception-v3 building blocks (torchvision/models/inception.py) and its trunk up to
// Mixed_7c, shared by the DAMSM image encoder (stem/image_encoder_inception) and the evaluation
// networks (eval/inception_v3): torchvision's classifier for the Inception Score and the
// TensorFlow-ported network pytorch-fid uses for FID. The two differ only in the pooling branch
// of some blocks (BranchPool). Registered names are torchvision's state-dict keys.
#pragma once

#include <torch/torch.h>

namespace mg {

// The input side every Inception-v3 here is run at (torchvision, pytorch-fid and CNN_ENCODER resize to it).
constexpr int64_t kInceptionInputSize = 299;

// The pooling in front of a block's `branch_pool` 1x1 convolution.
enum class BranchPool {
  kAvg,            // torchvision: F.avg_pool2d(3, stride 1, padding 1), padded zeros counted
  kAvgExcludePad,  // pytorch-fid FIDInceptionA/C/E_1: TensorFlow's average pool ignores the padding
  kMax,            // pytorch-fid FIDInceptionE_2: max pooling (3, stride 1, padding 1)
};

// torchvision BasicConv2d: conv (no bias) -> BatchNorm (eps 0.001) -> ReLU.
struct BasicConv2dImpl : torch::nn::Module {
  BasicConv2dImpl(int64_t in, int64_t out, torch::ExpandingArray<2> kernel, torch::ExpandingArray<2> stride = 1,
                  torch::ExpandingArray<2> padding = 0);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(BasicConv2d);

// 35 x 35 block: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | pool-1x1(pool_features).
struct InceptionAImpl : torch::nn::Module {
  InceptionAImpl(int64_t in, int64_t pool_features, BranchPool pool = BranchPool::kAvg);
  torch::Tensor forward(const torch::Tensor& x);  // (B, 224 + pool_features, H, W)
  BranchPool pool;
  BasicConv2d branch1x1{nullptr}, branch5x5_1{nullptr}, branch5x5_2{nullptr}, branch3x3dbl_1{nullptr},
      branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr}, branch_pool{nullptr};
};
TORCH_MODULE(InceptionA);

// 35 -> 17 reduction: 3x3/2 | 1x1-3x3-3x3/2 | maxpool/2.
struct InceptionBImpl : torch::nn::Module {
  explicit InceptionBImpl(int64_t in);
  torch::Tensor forward(const torch::Tensor& x);  // (B, 480 + in, H/2, W/2)
  BasicConv2d branch3x3{nullptr}, branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr};
};
TORCH_MODULE(InceptionB);

// 17 x 17 block with factorised 7x7 convolutions of width c7.
struct InceptionCImpl : torch::nn::Module {
  InceptionCImpl(int64_t in, int64_t c7, BranchPool pool = BranchPool::kAvg);
  torch::Tensor forward(const torch::Tensor& x);  // (B, 768, H, W)
  BranchPool pool;
  BasicConv2d branch1x1{nullptr}, branch7x7_1{nullptr}, branch7x7_2{nullptr}, branch7x7_3{nullptr},
      branch7x7dbl_1{nullptr}, branch7x7dbl_2{nullptr}, branch7x7dbl_3{nullptr}, branch7x7dbl_4{nullptr},
      branch7x7dbl_5{nullptr}, branch_pool{nullptr};
};
TORCH_MODULE(InceptionC);

// 17 -> 8 reduction: 1x1-3x3/2 | 1x1-1x7-7x1-3x3/2 | maxpool/2.
struct InceptionDImpl : torch::nn::Module {
  explicit InceptionDImpl(int64_t in);
  torch::Tensor forward(const torch::Tensor& x);  // (B, 512 + in, H/2, W/2)
  BasicConv2d branch3x3_1{nullptr}, branch3x3_2{nullptr}, branch7x7x3_1{nullptr}, branch7x7x3_2{nullptr},
      branch7x7x3_3{nullptr}, branch7x7x3_4{nullptr};
};
TORCH_MODULE(InceptionD);

// 8 x 8 block with split 1x3 / 3x1 branches.
struct InceptionEImpl : torch::nn::Module {
  explicit InceptionEImpl(int64_t in, BranchPool pool = BranchPool::kAvg);
  torch::Tensor forward(const torch::Tensor& x);  // (B, 2048, H, W)
  BranchPool pool;
  BasicConv2d branch1x1{nullptr}, branch3x3_1{nullptr}, branch3x3_2a{nullptr}, branch3x3_2b{nullptr},
      branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3a{nullptr}, branch3x3dbl_3b{nullptr},
      branch_pool{nullptr};
};
TORCH_MODULE(InceptionE);

// Which network's blocks the trunk is built from.
enum class InceptionVariant {
  kTorchvision,  // torchvision inception_v3 (and the DAMSM CNN_ENCODER)
  kFid,          // pytorch-fid fid_inception_v3: FIDInceptionA x3, FIDInceptionC x4, FIDInceptionE_1, _2
};

// Inception-v3 from the stem convolutions to Mixed_7c. Not a module itself: Register() puts its
// parts on the owning module under torchvision's top-level names (Conv2d_1a_3x3 ... Mixed_7c), so
// the owner's state dict reads key for key like torchvision's.
struct InceptionTrunk {
  void Register(torch::nn::Module& owner, InceptionVariant variant);
  // (B, 3, 299, 299) -> (B, 768, 17, 17): the stem, Mixed_5b..5d, Mixed_6a..6e.
  torch::Tensor ToMixed6e(const torch::Tensor& x);
  // (B, 768, 17, 17) -> (B, 2048, 8, 8): Mixed_7a..7c.
  torch::Tensor ToMixed7c(const torch::Tensor& x);

  BasicConv2d Conv2d_1a_3x3{nullptr}, Conv2d_2a_3x3{nullptr}, Conv2d_2b_3x3{nullptr}, Conv2d_3b_1x1{nullptr},
      Conv2d_4a_3x3{nullptr};
  InceptionA Mixed_5b{nullptr}, Mixed_5c{nullptr}, Mixed_5d{nullptr};
  InceptionB Mixed_6a{nullptr};
  InceptionC Mixed_6b{nullptr}, Mixed_6c{nullptr}, Mixed_6d{nullptr}, Mixed_6e{nullptr};
  InceptionD Mixed_7a{nullptr};
  InceptionE Mixed_7b{nullptr}, Mixed_7c{nullptr};
};

}  // namespace mg
