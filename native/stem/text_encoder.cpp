// SPDX-License-Identifier: MIT
#include "stem/text_encoder.h"

#include <torch/nn/utils/rnn.h>

#include "core/native_module.h"

namespace mg {
namespace {

constexpr double kEmbeddingInitRange = 0.1;  // AttnGAN RNN_ENCODER.init_weights: U(-0.1, 0.1)

}  // namespace

RNN_ENCODERImpl::RNN_ENCODERImpl(int64_t ntoken, int64_t ninput, double drop_prob, int64_t nhidden, RnnType rnn_type)
    : ntoken(ntoken), ninput(ninput), nhidden_per_direction(nhidden / 2) {
  TORCH_CHECK(ntoken > 0 && ninput > 0 && nhidden > 0, "RNN_ENCODER: sizes must be positive");
  TORCH_CHECK(nhidden % 2 == 0, "RNN_ENCODER: nhidden must be even (two directions)");
  TORCH_CHECK(drop_prob >= 0 && drop_prob < 1, "RNN_ENCODER: drop_prob must lie in [0, 1)");
  encoder = register_module("encoder", torch::nn::Embedding(ntoken, ninput));
  drop = register_module("drop", torch::nn::Dropout(drop_prob));
  // The official LSTM also gets dropout=drop_prob, which has no effect with one layer: left out.
  if (rnn_type == RnnType::kLSTM) {
    lstm = register_module(
        "rnn", torch::nn::LSTM(torch::nn::LSTMOptions(ninput, nhidden_per_direction).batch_first(true).bidirectional(true)));
  } else {
    gru = register_module(
        "rnn", torch::nn::GRU(torch::nn::GRUOptions(ninput, nhidden_per_direction).batch_first(true).bidirectional(true)));
  }
  torch::NoGradGuard no_grad;
  encoder->weight.uniform_(-kEmbeddingInitRange, kEmbeddingInitRange);
}

TextEncoderOutput RNN_ENCODERImpl::forward(const torch::Tensor& captions, const torch::Tensor& cap_lens) {
  if (captions.scalar_type() != torch::kLong || cap_lens.scalar_type() != torch::kLong) {
    throw Error(code::kDtype, "RNN_ENCODER: captions and cap_lens must be int64");
  }
  CheckShape(captions, "RNN_ENCODER captions", {-1, -1});
  const int64_t batch = captions.size(0), max_words = captions.size(1);
  CheckShape(cap_lens, "RNN_ENCODER cap_lens", {batch});
  if (batch == 0) throw Error(code::kShape, "RNN_ENCODER: empty batch");

  // Lengths: 1..L and non-increasing, as pack_padded_sequence(enforce_sorted) needs.
  auto lens = cap_lens.to(torch::kCPU).contiguous();
  const auto* len = lens.data_ptr<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    if (len[b] < 1 || len[b] > max_words) {
      throw Error(code::kInvalidArg, "RNN_ENCODER: cap_lens[" + std::to_string(b) + "] = " + std::to_string(len[b]) +
                                         " is outside 1.." + std::to_string(max_words) + " (the captions' width)");
    }
    if (b > 0 && len[b] > len[b - 1]) {
      throw Error(code::kInvalidArg, "RNN_ENCODER: cap_lens must be sorted in decreasing order (packed RNN) but cap_lens[" +
                                         std::to_string(b) + "] = " + std::to_string(len[b]) + " > cap_lens[" + std::to_string(b - 1) + "] = " +
                                         std::to_string(len[b - 1]) + "; sort the batch by caption length first");
    }
  }
  {
    auto lo = captions.min().item<int64_t>(), hi = captions.max().item<int64_t>();
    if (lo < 0 || hi >= ntoken) {
      throw Error(code::kInvalidArg, "RNN_ENCODER: caption word ids must lie in 0.." + std::to_string(ntoken - 1) +
                                         " (the vocabulary) but range over " + std::to_string(lo) + ".." + std::to_string(hi));
    }
  }
  const int64_t steps = len[0];  // T = longest caption of the batch

  auto emb = drop->forward(encoder->forward(captions));  // (B, L, ninput)
  auto packed = torch::nn::utils::rnn::pack_padded_sequence(emb, lens, /*batch_first=*/true, /*enforce_sorted=*/true);
  namespace rnn_utils = torch::nn::utils::rnn;
  torch::Tensor padded;  // (B, T, nhidden), pad value 0
  torch::Tensor h_n;     // (2, B, nhidden/2): final state of each direction, zero initial state
  if (lstm) {
    auto [out, state] = lstm->forward_with_packed_input(packed);
    padded = std::get<0>(rnn_utils::pad_packed_sequence(out, /*batch_first=*/true));
    h_n = std::get<0>(state);
  } else {
    auto [out, state] = gru->forward_with_packed_input(packed);
    padded = std::get<0>(rnn_utils::pad_packed_sequence(out, /*batch_first=*/true));
    h_n = state;
  }
  TextEncoderOutput result;
  result.words_emb = padded.transpose(1, 2).contiguous();                                  // (B, nhidden, T)
  result.sent_emb = h_n.transpose(0, 1).contiguous().view({batch, 2 * nhidden_per_direction});  // (B, nhidden)
  result.mask = captions.narrow(1, 0, steps).eq(0);                                        // (B, T)
  return result;
}

namespace {

MG_REGISTER_MODULE("RNN_ENCODER", [](const Options& o) -> std::shared_ptr<NativeModule> {
  RNN_ENCODER net(o.Int("nTokens"), o.Int("nInput"), o.Number("dropProb"), o.Int("nHidden"),
                  o.Enum<RnnType>("rnnType", {{"LSTM", RnnType::kLSTM}, {"GRU", RnnType::kGRU}}));
  return std::make_shared<ModuleAdapter<RNN_ENCODER>>("RNN_ENCODER", net, [](RNN_ENCODER& m, const TensorMap& in) {
    auto out = m->forward(Require(in, "captions", "RNN_ENCODER"), Require(in, "cap_lens", "RNN_ENCODER"));
    return TensorMap{{"words_emb", out.words_emb}, {"sent_emb", out.sent_emb}, {"mask", out.mask}};
  });
});

}  // namespace
}  // namespace mg
