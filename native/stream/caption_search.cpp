// SPDX-License-Identifier: MIT
#include "stream/caption_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace mg {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

const torch::Tensor& Weight(const TensorMap& in, const char* key, const char* owner) { return Require(in, key, owner); }

// One LSTM step and the output layer: (x (K, embed), h, c) -> log-probabilities (K, n_words).
torch::Tensor Step(const CaptionDecoderWeights& w, const torch::Tensor& x, torch::Tensor& h, torch::Tensor& c) {
  auto hc = torch::lstm_cell(x, {h, c}, w.w_ih, w.w_hh, w.b_ih, w.b_hh);
  h = std::get<0>(hc);
  c = std::get<1>(hc);
  return torch::log_softmax(torch::nn::functional::linear(h, w.out_w, w.out_b), 1);
}

void CheckFeatures(const CaptionDecoderWeights& w, const torch::Tensor& features, const char* owner) {
  CheckFloating(features, std::string(owner) + " features");
  CheckShape(features, std::string(owner) + " features", {-1, w.embed.size(1)});
}

struct Hypothesis {
  std::vector<int64_t> words;
  double logp;
  double rank;  // logp / steps^alpha
};

}  // namespace

CaptionDecoderWeights CaptionDecoderWeights::FromInputs(const TensorMap& in, const char* owner) {
  CaptionDecoderWeights w{Weight(in, "embed.weight", owner),      Weight(in, "lstm.weight_ih_l0", owner),
                          Weight(in, "lstm.weight_hh_l0", owner), Weight(in, "lstm.bias_ih_l0", owner),
                          Weight(in, "lstm.bias_hh_l0", owner),   Weight(in, "linear.weight", owner),
                          Weight(in, "linear.bias", owner)};
  const std::string o(owner);
  CheckShape(w.embed, o + " embed.weight", {-1, -1});
  const int64_t n_words = w.embed.size(0), embed = w.embed.size(1);
  CheckShape(w.w_hh, o + " lstm.weight_hh_l0", {-1, -1});
  const int64_t hidden = w.w_hh.size(1);
  CheckShape(w.w_hh, o + " lstm.weight_hh_l0", {4 * hidden, hidden});
  CheckShape(w.w_ih, o + " lstm.weight_ih_l0", {4 * hidden, embed});
  CheckShape(w.b_ih, o + " lstm.bias_ih_l0", {4 * hidden});
  CheckShape(w.b_hh, o + " lstm.bias_hh_l0", {4 * hidden});
  CheckShape(w.out_w, o + " linear.weight", {n_words, hidden});
  CheckShape(w.out_b, o + " linear.bias", {n_words});
  return w;
}

CaptionSearchResult GreedyCaptions(const CaptionDecoderWeights& w, const torch::Tensor& features,
                                   const CaptionSearchOptions& options) {
  torch::NoGradGuard no_grad;
  CheckFeatures(w, features, "caption_greedy");
  const int64_t batch = features.size(0), hidden = w.w_hh.size(1);
  auto h = torch::zeros({batch, hidden}, features.options());
  auto c = torch::zeros_like(h);
  auto ids = torch::zeros({batch, options.max_length}, features.options().dtype(torch::kLong));
  auto scores = torch::zeros({batch}, features.options());
  auto alive = torch::ones({batch}, features.options().dtype(torch::kBool));
  auto lengths = torch::zeros({batch}, ids.options());
  auto x = features;  // (B, embed)
  for (int64_t t = 0; t < options.max_length; ++t) {
    auto logp = Step(w, x, h, c);  // (B, n_words)
    if (!options.end_token || t == 0) logp.select(1, 0).fill_(kNegInf);  // no empty caption; 0 is padding
    auto best = logp.max(1);
    auto word = std::get<1>(best);                                          // (B,)
    scores += std::get<0>(best) * alive;
    if (options.end_token) alive = alive & word.ne(0);
    word = word * alive;  // finished captions stay 0-padded
    ids.select(1, t).copy_(word);
    lengths += alive.to(torch::kLong);
    if (!alive.any().item<bool>()) break;
    x = torch::embedding(w.embed, word);
  }
  return {ids, lengths, scores};
}

CaptionSearchResult BeamCaptions(const CaptionDecoderWeights& w, const torch::Tensor& features,
                                 const CaptionSearchOptions& options) {
  torch::NoGradGuard no_grad;
  CheckFeatures(w, features, "caption_beam");
  const int64_t batch = features.size(0), hidden = w.w_hh.size(1), n_words = w.embed.size(0);
  const int64_t k_max = options.beam_size;
  auto ids = torch::zeros({batch, options.max_length}, features.options().dtype(torch::kLong));
  auto lengths = torch::zeros({batch}, ids.options());
  auto scores = torch::zeros({batch}, features.options());
  auto rank_of = [&](double logp, int64_t steps) { return logp / std::pow(double(steps), options.length_penalty); };

  for (int64_t b = 0; b < batch; ++b) {
    // Alive beams as rows of (K, ...) tensors; step 0 has one row (the image feature).
    auto x = features.narrow(0, b, 1);
    auto h = torch::zeros({1, hidden}, features.options());
    auto c = torch::zeros_like(h);
    std::vector<Hypothesis> beams{{{}, 0.0, 0.0}};
    std::vector<Hypothesis> finished;
    for (int64_t t = 0; t < options.max_length && !beams.empty(); ++t) {
      auto logp = Step(w, x, h, c);  // (K, n_words)
      if (!options.end_token || t == 0) logp.select(1, 0).fill_(kNegInf);
      std::vector<double> base;
      for (const auto& hyp : beams) base.push_back(hyp.logp);
      auto total = logp.to(torch::kCPU, torch::kDouble) + torch::tensor(base, torch::kDouble).unsqueeze(1);  // (K, n_words)
      const int64_t take = std::min<int64_t>(2 * k_max, total.numel());
      auto top = total.view({-1}).topk(take);
      auto top_v = std::get<0>(top).contiguous(), top_i = std::get<1>(top).contiguous();
      const auto* v = top_v.data_ptr<double>();
      const auto* idx = top_i.data_ptr<int64_t>();
      std::vector<Hypothesis> next;
      std::vector<int64_t> rows, words;
      for (int64_t j = 0; j < take && int64_t(next.size()) < k_max; ++j) {
        if (!std::isfinite(v[j])) break;
        const int64_t row = idx[j] / n_words, word = idx[j] % n_words;
        Hypothesis hyp{beams[row].words, v[j], 0.0};
        if (word == 0) {  // the end token: a complete caption (steps = words + 1)
          hyp.rank = rank_of(hyp.logp, int64_t(hyp.words.size()) + 1);
          finished.push_back(hyp);
          continue;
        }
        hyp.words.push_back(word);
        next.push_back(hyp);
        rows.push_back(row);
        words.push_back(word);
      }
      beams = std::move(next);
      if (beams.empty()) break;
      // Without a length penalty a beam's score only falls as it grows: once a finished caption
      // ranks above every alive beam, none of them can overtake it.
      if (options.length_penalty == 0 && !finished.empty()) {
        double best_finished = kNegInf, best_alive = kNegInf;
        for (const auto& f : finished) best_finished = std::max(best_finished, f.rank);
        for (const auto& a : beams) best_alive = std::max(best_alive, a.logp);
        if (best_finished >= best_alive) break;
      }
      auto sel = torch::tensor(rows, torch::kLong).to(features.device());
      h = h.index_select(0, sel);
      c = c.index_select(0, sel);
      x = torch::embedding(w.embed, torch::tensor(words, torch::kLong).to(features.device()));
    }
    // Captions that reached max_length without an end token compete as they are.
    for (auto& hyp : beams) {
      hyp.rank = rank_of(hyp.logp, int64_t(hyp.words.size()));
      finished.push_back(hyp);
    }
    const auto best = std::max_element(finished.begin(), finished.end(),
                                       [](const Hypothesis& a, const Hypothesis& z) { return a.rank < z.rank; });
    if (best == finished.end()) continue;
    for (size_t t = 0; t < best->words.size(); ++t) ids[b][int64_t(t)] = best->words[t];
    lengths[b] = int64_t(best->words.size());
    scores[b] = best->logp;
  }
  return {ids, lengths, scores};
}

namespace {

// Greedy decoding is a beam of one with no length penalty.
CaptionSearchOptions GreedyOptions(const Options& o) {
  CaptionSearchOptions s{o.Int("maxLength"), o.Bool("endToken"), 1, 0.0};
  TORCH_CHECK(s.max_length >= 1, "caption search: maxLength must be >= 1");
  return s;
}

CaptionSearchOptions BeamOptions(const Options& o) {
  CaptionSearchOptions s{o.Int("maxLength"), o.Bool("endToken"), o.Int("beamSize"), o.Number("lengthPenalty")};
  TORCH_CHECK(s.max_length >= 1 && s.beam_size >= 1 && s.length_penalty >= 0, "caption search: invalid options");
  return s;
}

TensorMap ToMap(const CaptionSearchResult& r) { return {{"ids", r.ids}, {"lengths", r.lengths}, {"scores", r.scores}}; }

MG_REGISTER_FUNCTION("caption_greedy", [](const TensorMap& in, const Options& o) {
  auto w = CaptionDecoderWeights::FromInputs(in, "caption_greedy");
  return ToMap(GreedyCaptions(w, Require(in, "features", "caption_greedy"), GreedyOptions(o)));
});

MG_REGISTER_FUNCTION("caption_beam", [](const TensorMap& in, const Options& o) {
  auto w = CaptionDecoderWeights::FromInputs(in, "caption_beam");
  return ToMap(BeamCaptions(w, Require(in, "features", "caption_beam"), BeamOptions(o)));
});

}  // namespace
}  // namespace mg
