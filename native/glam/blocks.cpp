// SPDX-License-Identifier: MIT
#include "glam/blocks.h"

namespace mg {

torch::nn::Conv2d Conv3x3(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(1).padding(1).bias(false));
}

torch::nn::Conv2d Conv1x1(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(1).padding(0).bias(false));
}

torch::nn::GLU ChannelGLU() { return torch::nn::GLU(torch::nn::GLUOptions(1)); }

torch::nn::Sequential UpBlock(int64_t in, int64_t out) {
  return torch::nn::Sequential(
      torch::nn::Upsample(torch::nn::UpsampleOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest)),
      Conv3x3(in, out * 2), torch::nn::BatchNorm2d(out * 2), ChannelGLU());
}

ResBlockImpl::ResBlockImpl(int64_t c) {
  block = register_module("block", torch::nn::Sequential(Conv3x3(c, c * 2), torch::nn::BatchNorm2d(c * 2), ChannelGLU(),
                                                         Conv3x3(c, c), torch::nn::BatchNorm2d(c)));
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x) { return block->forward(x) + x; }

GET_IMAGE_GImpl::GET_IMAGE_GImpl(int64_t ngf) {
  img = register_module("img", torch::nn::Sequential(Conv3x3(ngf, 3), torch::nn::Tanh()));
}

INIT_STAGE_GImpl::INIT_STAGE_GImpl(int64_t ngf, int64_t ncf, int64_t z_dim) : gf_dim(ngf), in_dim(z_dim + ncf) {
  fc = register_module("fc", torch::nn::Sequential(
                                 torch::nn::Linear(torch::nn::LinearOptions(in_dim, ngf * 4 * 4 * 2).bias(false)),
                                 torch::nn::BatchNorm1d(ngf * 4 * 4 * 2), ChannelGLU()));
  upsample1 = register_module("upsample1", UpBlock(ngf, ngf / 2));
  upsample2 = register_module("upsample2", UpBlock(ngf / 2, ngf / 4));
  upsample3 = register_module("upsample3", UpBlock(ngf / 4, ngf / 8));
  upsample4 = register_module("upsample4", UpBlock(ngf / 8, ngf / 16));
}

torch::Tensor INIT_STAGE_GImpl::forward(const torch::Tensor& z, const torch::Tensor& c_code) {
  auto x = fc->forward(torch::cat({c_code, z}, 1));  // c_code first, then z (official order)
  x = x.view({-1, gf_dim, 4, 4});                     // (B, 16 ngf, 4, 4)
  x = upsample1->forward(x);                          // (B, 8 ngf, 8, 8)
  x = upsample2->forward(x);                          // (B, 4 ngf, 16, 16)
  x = upsample3->forward(x);                          // (B, 2 ngf, 32, 32)
  return upsample4->forward(x);                       // (B, ngf, 64, 64)
}

}  // namespace mg
