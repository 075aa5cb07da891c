// SPDX-License-Identifier: MIT
#include "stream/caption_decoder.h"

#include <torch/nn/utils/rnn.h>

#include "core/native_module.h"

namespace mg {

void CheckCaptionLengths(const torch::Tensor& cap_lens, int64_t batch, int64_t max_len, const char* owner) {
  if (cap_lens.scalar_type() != torch::kLong) throw Error(code::kDtype, std::string(owner) + ": cap_lens must be int64");
  CheckShape(cap_lens, std::string(owner) + " cap_lens", {batch});
  auto lens = cap_lens.to(torch::kCPU).contiguous();
  const auto* len = lens.data_ptr<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    if (len[b] < 1 || len[b] > max_len) {
      throw Error(code::kInvalidArg, std::string(owner) + ": cap_lens[" + std::to_string(b) + "] = " + std::to_string(len[b]) +
                                         " is outside 1.." + std::to_string(max_len) + " (the captions' width)");
    }
    if (b > 0 && len[b] > len[b - 1]) {
      throw Error(code::kInvalidArg, std::string(owner) + ": cap_lens must be sorted in decreasing order (packed LSTM) but cap_lens[" +
                                         std::to_string(b) + "] = " + std::to_string(len[b]) + " > cap_lens[" + std::to_string(b - 1) + "] = " +
                                         std::to_string(len[b - 1]) + "; sort the batch by caption length first");
    }
  }
}

CAPTION_RNNImpl::CAPTION_RNNImpl(int64_t n_words, int64_t embed_size, int64_t hidden_size, bool end_token)
    : n_words(n_words), embed_size(embed_size), hidden_size(hidden_size), end_token(end_token) {
  TORCH_CHECK(n_words > 0 && embed_size > 0 && hidden_size > 0, "CAPTION_RNN: sizes must be positive");
  embed = register_module("embed", torch::nn::Embedding(n_words, embed_size));
  lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(embed_size, hidden_size).num_layers(1).batch_first(true)));
  linear = register_module("linear", torch::nn::Linear(hidden_size, n_words));
}

CaptionTeacherForcing CAPTION_RNNImpl::forward(const torch::Tensor& features, const torch::Tensor& captions,
                                               const torch::Tensor& cap_lens) {
  CheckFloating(features, "CAPTION_RNN features");
  CheckShape(features, "CAPTION_RNN features", {-1, embed_size});
  if (captions.scalar_type() != torch::kLong) throw Error(code::kDtype, "CAPTION_RNN: captions must be int64");
  const int64_t batch = features.size(0);
  if (batch == 0) throw Error(code::kShape, "CAPTION_RNN: empty batch");
  CheckShape(captions, "CAPTION_RNN captions", {batch, -1});
  const int64_t width = captions.size(1);
  CheckCaptionLengths(cap_lens, batch, width, "CAPTION_RNN");
  {
    auto lo = captions.min().item<int64_t>(), hi = captions.max().item<int64_t>();
    if (lo < 0 || hi >= n_words) {
      throw Error(code::kInvalidArg, "CAPTION_RNN: caption word ids must lie in 0.." + std::to_string(n_words - 1) +
                                         " (the vocabulary) but range over " + std::to_string(lo) + ".." + std::to_string(hi));
    }
  }
  auto lens = cap_lens.to(torch::kCPU);
  auto words = captions;  // (B, L)
  if (end_token) {
    // Each caption followed by id 0 (`<end>`): keep the first cap_lens[b] ids, zero the rest, add a column.
    auto keep = torch::arange(width, captions.options()).unsqueeze(0).lt(cap_lens.to(captions.device()).unsqueeze(1));
    words = torch::cat({captions * keep, torch::zeros({batch, 1}, captions.options())}, 1);  // (B, L + 1)
    lens = lens + 1;
  }
  const int64_t steps = lens[0].item<int64_t>();  // longest sequence of the batch
  namespace rnn_utils = torch::nn::utils::rnn;
  // Inputs: the feature, then the words that precede each target (the last word is never fed).
  auto emb = embed->forward(words.narrow(1, 0, steps - 1));                      // (B, steps-1, embed)
  auto inputs = torch::cat({features.unsqueeze(1), emb}, 1);                      // (B, steps, embed)
  auto packed = rnn_utils::pack_padded_sequence(inputs, lens, /*batch_first=*/true, /*enforce_sorted=*/true);
  auto hiddens = std::get<0>(lstm->forward_with_packed_input(packed));           // data (N, hidden)
  auto targets = rnn_utils::pack_padded_sequence(words.narrow(1, 0, steps), lens, true, true).data();  // (N,)
  return {linear->forward(hiddens.data()), targets, lens.to(captions.device())};
}

namespace {

MG_REGISTER_MODULE("CAPTION_RNN", [](const Options& o) -> std::shared_ptr<NativeModule> {
  CAPTION_RNN net(o.Int("nWords"), o.Int("embedSize"), o.Int("hiddenSize"), o.Bool("endToken"));
  return std::make_shared<ModuleAdapter<CAPTION_RNN>>("CAPTION_RNN", net, [](CAPTION_RNN& m, const TensorMap& in) {
    auto out = m->forward(Require(in, "features", "CAPTION_RNN"), Require(in, "captions", "CAPTION_RNN"),
                          Require(in, "cap_lens", "CAPTION_RNN"));
    return TensorMap{{"logits", out.logits}, {"targets", out.targets}, {"lengths", out.lengths}};
  });
});

}  // namespace
}  // namespace mg
