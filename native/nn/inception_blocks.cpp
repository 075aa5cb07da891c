// SPDX-License-Identifier: MIT
#include "nn/inception_blocks.h"

namespace mg {
namespace {

constexpr double kBatchNormEps = 0.001;  // torchvision BasicConv2d

namespace F = torch::nn::functional;
using K = torch::ExpandingArray<2>;  // a (h, w) kernel / padding for the module holders' forwarding constructors

torch::Tensor MaxPool3x3s2(const torch::Tensor& x) { return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2)); }

// The 3x3, stride 1, padding 1 pooling in front of `branch_pool` (see BranchPool).
torch::Tensor Pool3x3(const torch::Tensor& x, BranchPool pool) {
  switch (pool) {
    case BranchPool::kAvg:
      return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1).padding(1));
    case BranchPool::kAvgExcludePad:
      return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1).padding(1).count_include_pad(false));
    case BranchPool::kMax:
      return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(1).padding(1));
  }
  TORCH_CHECK(false, "unknown BranchPool");
}

}  // namespace

BasicConv2dImpl::BasicConv2dImpl(int64_t in, int64_t out, torch::ExpandingArray<2> kernel,
                                 torch::ExpandingArray<2> stride, torch::ExpandingArray<2> padding) {
  conv = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(kBatchNormEps)));
}

torch::Tensor BasicConv2dImpl::forward(const torch::Tensor& x) { return torch::relu(bn->forward(conv->forward(x))); }

InceptionAImpl::InceptionAImpl(int64_t in, int64_t pool_features, BranchPool pool) : pool(pool) {
  branch1x1 = register_module("branch1x1", BasicConv2d(in, 64, 1));
  branch5x5_1 = register_module("branch5x5_1", BasicConv2d(in, 48, 1));
  branch5x5_2 = register_module("branch5x5_2", BasicConv2d(48, 64, 5, 1, 2));
  branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(in, 64, 1));
  branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(64, 96, 3, 1, 1));
  branch3x3dbl_3 = register_module("branch3x3dbl_3", BasicConv2d(96, 96, 3, 1, 1));
  branch_pool = register_module("branch_pool", BasicConv2d(in, pool_features, 1));
}

torch::Tensor InceptionAImpl::forward(const torch::Tensor& x) {
  auto b1 = branch1x1->forward(x);                                                           // 64
  auto b5 = branch5x5_2->forward(branch5x5_1->forward(x));                                    // 64
  auto b3 = branch3x3dbl_3->forward(branch3x3dbl_2->forward(branch3x3dbl_1->forward(x)));     // 96
  auto bp = branch_pool->forward(Pool3x3(x, pool));                                          // pool_features
  return torch::cat({b1, b5, b3, bp}, 1);
}

InceptionBImpl::InceptionBImpl(int64_t in) {
  branch3x3 = register_module("branch3x3", BasicConv2d(in, 384, 3, 2));
  branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(in, 64, 1));
  branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(64, 96, 3, 1, 1));
  branch3x3dbl_3 = register_module("branch3x3dbl_3", BasicConv2d(96, 96, 3, 2));
}

torch::Tensor InceptionBImpl::forward(const torch::Tensor& x) {
  auto b3 = branch3x3->forward(x);                                                         // 384
  auto bd = branch3x3dbl_3->forward(branch3x3dbl_2->forward(branch3x3dbl_1->forward(x)));   // 96
  return torch::cat({b3, bd, MaxPool3x3s2(x)}, 1);
}

InceptionCImpl::InceptionCImpl(int64_t in, int64_t c7, BranchPool pool) : pool(pool) {
  branch1x1 = register_module("branch1x1", BasicConv2d(in, 192, 1));
  branch7x7_1 = register_module("branch7x7_1", BasicConv2d(in, c7, 1));
  branch7x7_2 = register_module("branch7x7_2", BasicConv2d(c7, c7, K{1, 7}, 1, K{0, 3}));
  branch7x7_3 = register_module("branch7x7_3", BasicConv2d(c7, 192, K{7, 1}, 1, K{3, 0}));
  branch7x7dbl_1 = register_module("branch7x7dbl_1", BasicConv2d(in, c7, 1));
  branch7x7dbl_2 = register_module("branch7x7dbl_2", BasicConv2d(c7, c7, K{7, 1}, 1, K{3, 0}));
  branch7x7dbl_3 = register_module("branch7x7dbl_3", BasicConv2d(c7, c7, K{1, 7}, 1, K{0, 3}));
  branch7x7dbl_4 = register_module("branch7x7dbl_4", BasicConv2d(c7, c7, K{7, 1}, 1, K{3, 0}));
  branch7x7dbl_5 = register_module("branch7x7dbl_5", BasicConv2d(c7, 192, K{1, 7}, 1, K{0, 3}));
  branch_pool = register_module("branch_pool", BasicConv2d(in, 192, 1));
}

torch::Tensor InceptionCImpl::forward(const torch::Tensor& x) {
  auto b1 = branch1x1->forward(x);
  auto b7 = branch7x7_3->forward(branch7x7_2->forward(branch7x7_1->forward(x)));
  auto bd = branch7x7dbl_1->forward(x);
  bd = branch7x7dbl_5->forward(branch7x7dbl_4->forward(branch7x7dbl_3->forward(branch7x7dbl_2->forward(bd))));
  auto bp = branch_pool->forward(Pool3x3(x, pool));
  return torch::cat({b1, b7, bd, bp}, 1);  // 4 x 192
}

InceptionDImpl::InceptionDImpl(int64_t in) {
  branch3x3_1 = register_module("branch3x3_1", BasicConv2d(in, 192, 1));
  branch3x3_2 = register_module("branch3x3_2", BasicConv2d(192, 320, 3, 2));
  branch7x7x3_1 = register_module("branch7x7x3_1", BasicConv2d(in, 192, 1));
  branch7x7x3_2 = register_module("branch7x7x3_2", BasicConv2d(192, 192, K{1, 7}, 1, K{0, 3}));
  branch7x7x3_3 = register_module("branch7x7x3_3", BasicConv2d(192, 192, K{7, 1}, 1, K{3, 0}));
  branch7x7x3_4 = register_module("branch7x7x3_4", BasicConv2d(192, 192, 3, 2));
}

torch::Tensor InceptionDImpl::forward(const torch::Tensor& x) {
  auto b3 = branch3x3_2->forward(branch3x3_1->forward(x));  // 320
  auto b7 = branch7x7x3_4->forward(branch7x7x3_3->forward(branch7x7x3_2->forward(branch7x7x3_1->forward(x))));  // 192
  return torch::cat({b3, b7, MaxPool3x3s2(x)}, 1);
}

InceptionEImpl::InceptionEImpl(int64_t in, BranchPool pool) : pool(pool) {
  branch1x1 = register_module("branch1x1", BasicConv2d(in, 320, 1));
  branch3x3_1 = register_module("branch3x3_1", BasicConv2d(in, 384, 1));
  branch3x3_2a = register_module("branch3x3_2a", BasicConv2d(384, 384, K{1, 3}, 1, K{0, 1}));
  branch3x3_2b = register_module("branch3x3_2b", BasicConv2d(384, 384, K{3, 1}, 1, K{1, 0}));
  branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(in, 448, 1));
  branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(448, 384, 3, 1, 1));
  branch3x3dbl_3a = register_module("branch3x3dbl_3a", BasicConv2d(384, 384, K{1, 3}, 1, K{0, 1}));
  branch3x3dbl_3b = register_module("branch3x3dbl_3b", BasicConv2d(384, 384, K{3, 1}, 1, K{1, 0}));
  branch_pool = register_module("branch_pool", BasicConv2d(in, 192, 1));
}

torch::Tensor InceptionEImpl::forward(const torch::Tensor& x) {
  auto b1 = branch1x1->forward(x);  // 320
  auto b3 = branch3x3_1->forward(x);
  b3 = torch::cat({branch3x3_2a->forward(b3), branch3x3_2b->forward(b3)}, 1);  // 768
  auto bd = branch3x3dbl_2->forward(branch3x3dbl_1->forward(x));
  bd = torch::cat({branch3x3dbl_3a->forward(bd), branch3x3dbl_3b->forward(bd)}, 1);  // 768
  auto bp = branch_pool->forward(Pool3x3(x, pool));  // 192
  return torch::cat({b1, b3, bd, bp}, 1);
}

void InceptionTrunk::Register(torch::nn::Module& owner, InceptionVariant variant) {
  const bool fid = variant == InceptionVariant::kFid;
  // pytorch-fid: FIDInceptionA/C/E_1 average without the padding, FIDInceptionE_2 max-pools.
  const BranchPool avg = fid ? BranchPool::kAvgExcludePad : BranchPool::kAvg;
  const BranchPool last = fid ? BranchPool::kMax : BranchPool::kAvg;
  Conv2d_1a_3x3 = owner.register_module("Conv2d_1a_3x3", BasicConv2d(3, 32, 3, 2));
  Conv2d_2a_3x3 = owner.register_module("Conv2d_2a_3x3", BasicConv2d(32, 32, 3));
  Conv2d_2b_3x3 = owner.register_module("Conv2d_2b_3x3", BasicConv2d(32, 64, 3, 1, 1));
  Conv2d_3b_1x1 = owner.register_module("Conv2d_3b_1x1", BasicConv2d(64, 80, 1));
  Conv2d_4a_3x3 = owner.register_module("Conv2d_4a_3x3", BasicConv2d(80, 192, 3));
  Mixed_5b = owner.register_module("Mixed_5b", InceptionA(192, 32, avg));
  Mixed_5c = owner.register_module("Mixed_5c", InceptionA(256, 64, avg));
  Mixed_5d = owner.register_module("Mixed_5d", InceptionA(288, 64, avg));
  Mixed_6a = owner.register_module("Mixed_6a", InceptionB(288));
  Mixed_6b = owner.register_module("Mixed_6b", InceptionC(768, 128, avg));
  Mixed_6c = owner.register_module("Mixed_6c", InceptionC(768, 160, avg));
  Mixed_6d = owner.register_module("Mixed_6d", InceptionC(768, 160, avg));
  Mixed_6e = owner.register_module("Mixed_6e", InceptionC(768, 192, avg));
  Mixed_7a = owner.register_module("Mixed_7a", InceptionD(768));
  Mixed_7b = owner.register_module("Mixed_7b", InceptionE(1280, avg));
  Mixed_7c = owner.register_module("Mixed_7c", InceptionE(2048, last));
}

torch::Tensor InceptionTrunk::ToMixed6e(const torch::Tensor& input) {
  auto x = Conv2d_1a_3x3->forward(input);  // (B, 32, 149, 149)
  x = Conv2d_2a_3x3->forward(x);           // (B, 32, 147, 147)
  x = Conv2d_2b_3x3->forward(x);           // (B, 64, 147, 147)
  x = MaxPool3x3s2(x);                     // (B, 64, 73, 73)
  x = Conv2d_3b_1x1->forward(x);           // (B, 80, 73, 73)
  x = Conv2d_4a_3x3->forward(x);           // (B, 192, 71, 71)
  x = MaxPool3x3s2(x);                     // (B, 192, 35, 35)
  x = Mixed_5d->forward(Mixed_5c->forward(Mixed_5b->forward(x)));                     // (B, 288, 35, 35)
  x = Mixed_6a->forward(x);                                                            // (B, 768, 17, 17)
  return Mixed_6e->forward(Mixed_6d->forward(Mixed_6c->forward(Mixed_6b->forward(x))));  // (B, 768, 17, 17)
}

torch::Tensor InceptionTrunk::ToMixed7c(const torch::Tensor& x) {
  return Mixed_7c->forward(Mixed_7b->forward(Mixed_7a->forward(x)));  // (B, 2048, 8, 8)
}

}  // namespace mg
