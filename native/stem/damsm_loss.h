// SPDX-License-Identifier: MIT
// DAMSM matching losses (AttnGAN code/miscc/losses.py words_loss, sent_loss, func_attention in
// GlobalAttention.py; MirrorGAN miscc/losses.py, identical). Rows of every B x B matrix index
// images, columns captions; the targets are the diagonal.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace mg {

// No defaults: the values are train.gamma1..3 of the config schema, filled in by the TS wrapper.
struct DamsmGammas {
  double gamma1;  // TRAIN.SMOOTH.GAMMA1: sharpness of the word -> region attention
  double gamma2;  // TRAIN.SMOOTH.GAMMA2: aggregation of the word relevances
  double gamma3;  // TRAIN.SMOOTH.GAMMA3: scale of the B x B similarities
};

struct DamsmWordsLoss {
  torch::Tensor loss0;                 // CE over the rows (image -> its caption)
  torch::Tensor loss1;                 // CE over the columns (caption -> its image)
  torch::Tensor scores;                // (B, B) gamma3 * R(image k, caption l), before the class mask
  std::vector<torch::Tensor> att_maps;  // per caption i: (1, cap_lens[i], H, W) attention over image i
};

struct DamsmSentLoss {
  torch::Tensor loss0, loss1;
  torch::Tensor scores;  // (B, B) gamma3 * cosine(cnn_code k, sent_emb l), before the class mask
};

// img_features (B, D, H, W) regions; words_emb (B, D, T) with T >= max(cap_lens); cap_lens (B,)
// int64; class_ids (B,) int64 or undefined (no same-class masking); labels (B,) int64 or
// undefined (0..B-1). paper_form: R(Q, D) = (1/gamma2) log sum exp(gamma2 cos) as in the AttnGAN
// paper, instead of the official code's log sum exp(gamma2 cos) (no 1/gamma2).
DamsmWordsLoss WordsLoss(const torch::Tensor& img_features, const torch::Tensor& words_emb,
                         const torch::Tensor& cap_lens, const torch::Tensor& class_ids, const torch::Tensor& labels,
                         const DamsmGammas& gammas, bool paper_form);

// cnn_code (B, D) global image features; sent_emb (B, D) sentence features.
DamsmSentLoss SentLoss(const torch::Tensor& cnn_code, const torch::Tensor& sent_emb, const torch::Tensor& class_ids,
                       const torch::Tensor& labels, const DamsmGammas& gammas);

}  // namespace mg
