// SPDX-License-Identifier: MIT
// RNN_ENCODER: the DAMSM text encoder of AttnGAN / MirrorGAN (AttnGAN code/model.py RNN_ENCODER,
// MirrorGAN model.py, identical). Embedding -> dropout -> bidirectional LSTM (or GRU) over the
// packed captions; word features are the per-step hidden states, the sentence feature the final
// states of both directions.
#pragma once

#include <torch/torch.h>

namespace mg {

struct TextEncoderOutput {
  torch::Tensor words_emb;  // (B, nhidden, T) with T = max(cap_lens); exactly 0 at t >= cap_lens[b]
  torch::Tensor sent_emb;   // (B, nhidden) = [forward final state ; backward final state]
  torch::Tensor mask;       // (B, T) bool, captions == 0 cut to T columns (True = padding)
};

// cfg.RNN_TYPE (text.rnnType).
enum class RnnType { kLSTM, kGRU };

struct RNN_ENCODERImpl : torch::nn::Module {
  // ntoken: vocabulary size (index 0 is the <end>/padding token); ninput: embedding width;
  // nhidden: output width, split over the two directions (128 each for 256).
  RNN_ENCODERImpl(int64_t ntoken, int64_t ninput, double drop_prob, int64_t nhidden, RnnType rnn_type);

  // captions: (B, L) int64 word ids, row b holding cap_lens[b] ids then 0-padding;
  // cap_lens: (B,) int64, sorted in decreasing order (the packed RNN requires it), 1..L.
  TextEncoderOutput forward(const torch::Tensor& captions, const torch::Tensor& cap_lens);

  int64_t ntoken, ninput, nhidden_per_direction;
  torch::nn::Embedding encoder{nullptr};  // ntoken x ninput, init U(-0.1, 0.1)
  torch::nn::Dropout drop{nullptr};       // on the embedded words (train mode only)
  torch::nn::LSTM lstm{nullptr};          // registered as "rnn" for RnnType::kLSTM
  torch::nn::GRU gru{nullptr};            // registered as "rnn" for RnnType::kGRU
};
TORCH_MODULE(RNN_ENCODER);

}  // namespace mg
