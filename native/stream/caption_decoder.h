// SPDX-License-Identifier: MIT
// CAPTION_RNN: the STREAM decoder (MirrorGAN model.py CAPTION_RNN = the yunjey pytorch-tutorial
// image_captioning DecoderRNN). Embedding(n_words, embed) -> 1-layer LSTM(embed -> hidden,
// batch_first) -> Linear(hidden -> n_words). Teacher forcing feeds
// [image feature, embed(w0), embed(w1), ...] packed with the caption lengths, so step t predicts
// w_t having seen the feature and w_0..w_{t-1}, and the last word is never an input.
#pragma once

#include <torch/torch.h>

namespace mg {

struct CaptionTeacherForcing {
  torch::Tensor logits;   // (N, n_words), N = sum(lengths), PackedSequence (time-major) row order
  torch::Tensor targets;  // (N,) int64 word ids in the same order
  torch::Tensor lengths;  // (B,) int64 steps used per caption (cap_lens, + 1 with the end token)
};

struct CAPTION_RNNImpl : torch::nn::Module {
  // hidden_size is the LSTM width itself (the official trainer passes 2 x CAP.hidden_size).
  // end_token: append the id 0 (`<end>`) as the target after each caption, so the decoder learns
  // to stop (not in the official captions, which carry no end token; see caption_search.h).
  CAPTION_RNNImpl(int64_t n_words, int64_t embed_size, int64_t hidden_size, bool end_token);

  // features (B, embed) image features; captions (B, L) int64, row b = cap_lens[b] ids then
  // 0-padding; cap_lens (B,) int64 in 1..L, non-increasing (packed LSTM).
  CaptionTeacherForcing forward(const torch::Tensor& features, const torch::Tensor& captions,
                                const torch::Tensor& cap_lens);

  int64_t n_words, embed_size, hidden_size;
  bool end_token;
  torch::nn::Embedding embed{nullptr};
  torch::nn::LSTM lstm{nullptr};
  torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(CAPTION_RNN);

// Checks that cap_lens is (B,) int64, each in 1..max_len and non-increasing; names the culprit.
void CheckCaptionLengths(const torch::Tensor& cap_lens, int64_t batch, int64_t max_len, const char* owner);

}  // namespace mg
