// SPDX-License-Identifier: MIT
// Caption decoding with the STREAM decoder's weights: greedy (the tutorial's DecoderRNN.sample)
// and beam search. Step 0 feeds the image feature, later steps the embedding of the word chosen
// before, exactly as teacher forcing does.
//
// Id 0 is `<end>`/padding. A decoder trained with the end token (CAPTION_RNN endToken) stops a
// caption when it emits 0; one trained on the official captions (no end token, id 0 never a
// target) never learns to stop, so 0 is excluded and every caption runs max_length words.
#pragma once

#include <torch/torch.h>

#include "core/native_module.h"

namespace mg {

// The 7 CAPTION_RNN tensors, by their official keys.
struct CaptionDecoderWeights {
  torch::Tensor embed;                // embed.weight (n_words, embed)
  torch::Tensor w_ih, w_hh, b_ih, b_hh;  // lstm.*_l0, gates i, f, g, o
  torch::Tensor out_w, out_b;         // linear.weight (n_words, hidden), linear.bias

  // Reads `embed.weight`, `lstm.weight_ih_l0`, ... from `in`; checks that the shapes agree.
  static CaptionDecoderWeights FromInputs(const TensorMap& in, const char* owner);
};

// No defaults: the TS wrapper (src/stream/caption_decoder.ts) fills in every value.
struct CaptionSearchOptions {
  int64_t max_length;     // the tutorial's max_seq_length
  bool end_token;         // the decoder was trained to emit 0 after a caption
  int64_t beam_size;      // beam search only (1 for greedy decoding)
  double length_penalty;  // beam search: rank finished captions by logp / steps^alpha
};

struct CaptionSearchResult {
  torch::Tensor ids;      // (B, max_length) int64, 0-padded after each caption
  torch::Tensor lengths;  // (B,) int64 words per caption (the end token not counted)
  torch::Tensor scores;   // (B,) float sum of log-probabilities of the chosen steps (end token included)
};

// features: (B, embed) image features (CAPTION_CNN output). Runs without autograd.
CaptionSearchResult GreedyCaptions(const CaptionDecoderWeights& w, const torch::Tensor& features,
                                   const CaptionSearchOptions& options);
CaptionSearchResult BeamCaptions(const CaptionDecoderWeights& w, const torch::Tensor& features,
                                 const CaptionSearchOptions& options);

}  // namespace mg
