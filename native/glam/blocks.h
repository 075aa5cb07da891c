// SPDX-License-Identifier: MIT
// The generator's building blocks (MirrorGAN model.py): conv3x3, conv1x1, upBlock, ResBlock,
// GET_IMAGE_G and INIT_STAGE_G, registered under the official names.
#pragma once

#include <torch/torch.h>

namespace mg {

torch::nn::Conv2d Conv3x3(int64_t in, int64_t out);  // k3 s1 p1, no bias
torch::nn::Conv2d Conv1x1(int64_t in, int64_t out);  // k1, no bias
// GLU over channels (the official GLU halves dim 1; torch::nn::GLU defaults to the last dim).
torch::nn::GLU ChannelGLU();
// Upsample x2 nearest -> conv3x3(in, 2 out) -> BN -> GLU: keys .1.weight, .2.* (0 and 3 are free).
torch::nn::Sequential UpBlock(int64_t in, int64_t out);

struct ResBlockImpl : torch::nn::Module {
  explicit ResBlockImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);  // block(x) + x, no activation after the add
  torch::nn::Sequential block{nullptr};
};
TORCH_MODULE(ResBlock);

struct GET_IMAGE_GImpl : torch::nn::Module {
  explicit GET_IMAGE_GImpl(int64_t ngf);
  torch::Tensor forward(const torch::Tensor& h) { return img->forward(h); }  // (B, 3, H, W) in [-1, 1]
  torch::nn::Sequential img{nullptr};
};
TORCH_MODULE(GET_IMAGE_G);

// Stage 1: [c_code, z] -> FC -> 4x4 -> four upBlocks -> (B, ngf/16, 64, 64). Built with
// ngf = 16 GF_DIM as the official G_NET does.
struct INIT_STAGE_GImpl : torch::nn::Module {
  INIT_STAGE_GImpl(int64_t ngf, int64_t ncf, int64_t z_dim);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& c_code);
  int64_t gf_dim, in_dim;
  torch::nn::Sequential fc{nullptr};
  torch::nn::Sequential upsample1{nullptr}, upsample2{nullptr}, upsample3{nullptr}, upsample4{nullptr};
};
TORCH_MODULE(INIT_STAGE_G);

}  // namespace mg
