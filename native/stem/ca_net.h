// SPDX-License-Identifier: MIT
// CA_NET: conditioning augmentation of the sentence feature (MirrorGAN model.py CA_NET).
#pragma once

#include <torch/torch.h>

namespace mg {

struct CANetOutput {
  torch::Tensor c_code;  // (B, c_dim) sample mu + eps * exp(logvar / 2)
  torch::Tensor mu;      // (B, c_dim)
  torch::Tensor logvar;  // (B, c_dim)
};

struct CA_NETImpl : torch::nn::Module {
  CA_NETImpl(int64_t t_dim, int64_t c_dim);
  // `eps` replaces the N(0, I) draw when defined (parity tests inject the official noise);
  // the official module samples in train and eval mode alike.
  CANetOutput forward(const torch::Tensor& sent_emb, const torch::Tensor& eps = {});

  int64_t t_dim, c_dim;
  torch::nn::Linear fc{nullptr};  // t_dim -> 4 c_dim, then GLU -> 2 c_dim = [mu, logvar]
};
TORCH_MODULE(CA_NET);

// Official KL_loss: -0.5 * mean(1 + logvar - mu^2 - exp(logvar)) over all B x c_dim entries.
torch::Tensor KLLoss(const torch::Tensor& mu, const torch::Tensor& logvar);

}  // namespace mg
