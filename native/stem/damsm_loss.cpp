// SPDX-License-Identifier: MIT
#include "stem/damsm_loss.h"

#include <limits>

#include "core/native_module.h"

namespace mg {
namespace {

constexpr double kCosineEps = 1e-8;  // losses.py cosine_similarity / sent_loss: clamp of the norm product


void CheckIds(const torch::Tensor& t, const char* what, int64_t batch) {
  if (!t.defined()) return;
  if (t.scalar_type() != torch::kLong) throw Error(code::kDtype, std::string(what) + " must be int64");
  CheckShape(t, what, {batch});
}

// losses.py: masks[i][j] = (class_ids[j] == class_ids[i]) for j != i. Symmetric, (B, B) bool.
torch::Tensor SameClassMask(const torch::Tensor& class_ids, const torch::Device& device) {
  auto ids = class_ids.to(device);
  auto same = ids.unsqueeze(0).eq(ids.unsqueeze(1));
  auto eye = torch::eye(ids.size(0), torch::TensorOptions().dtype(torch::kBool).device(device));
  return same.logical_and(eye.logical_not());
}

// The CE pair of both losses: scores (B, B), rows = images; same-class pairs -> -inf first.
std::pair<torch::Tensor, torch::Tensor> MatchingLosses(const torch::Tensor& scores, const torch::Tensor& class_ids,
                                                       const torch::Tensor& labels) {
  auto target = labels.defined() ? labels.to(scores.device())
                                 : torch::arange(scores.size(0), torch::TensorOptions().dtype(torch::kLong).device(scores.device()));
  auto masked = scores;
  if (class_ids.defined()) {
    masked = scores.masked_fill(SameClassMask(class_ids, scores.device()), -std::numeric_limits<double>::infinity());
  }
  return {torch::nn::functional::cross_entropy(masked, target), torch::nn::functional::cross_entropy(masked.t(), target)};
}

// GlobalAttention.py func_attention. query (B, D, Q) words, context (B, D, H, W) regions.
// Returns the region context per word (B, D, Q) and the attention (B, Q, H, W).
std::pair<torch::Tensor, torch::Tensor> FuncAttention(const torch::Tensor& query, const torch::Tensor& context,
                                                      double gamma1) {
  const int64_t batch = query.size(0), query_len = query.size(2);
  const int64_t ih = context.size(2), iw = context.size(3), source_len = ih * iw;
  auto ctx = context.reshape({batch, -1, source_len});              // (B, D, S)
  auto ctx_t = ctx.transpose(1, 2).contiguous();                     // (B, S, D)
  auto attn = torch::bmm(ctx_t, query);                              // (B, S, Q)
  attn = attn.view({batch * source_len, query_len}).softmax(1);      // over the words, per region
  attn = attn.view({batch, source_len, query_len}).transpose(1, 2).contiguous();  // (B, Q, S)
  attn = attn.view({batch * query_len, source_len}).mul(gamma1).softmax(1);       // over the regions, per word
  attn = attn.view({batch, query_len, source_len});
  auto weighted = torch::bmm(ctx, attn.transpose(1, 2).contiguous());  // (B, D, Q)
  return {weighted, attn.view({batch, query_len, ih, iw})};
}

// losses.py cosine_similarity over dim 1 of (N, D) rows.
torch::Tensor RowCosine(const torch::Tensor& x1, const torch::Tensor& x2) {
  auto w12 = (x1 * x2).sum(1);
  auto w1 = x1.norm(2, 1);
  auto w2 = x2.norm(2, 1);
  return w12 / (w1 * w2).clamp_min(kCosineEps);
}

}  // namespace

DamsmWordsLoss WordsLoss(const torch::Tensor& img_features, const torch::Tensor& words_emb,
                         const torch::Tensor& cap_lens, const torch::Tensor& class_ids, const torch::Tensor& labels,
                         const DamsmGammas& gammas, bool paper_form) {
  CheckFloating(img_features, "damsm_words_loss img_features");
  CheckFloating(words_emb, "damsm_words_loss words_emb");
  CheckShape(img_features, "damsm_words_loss img_features", {-1, -1, -1, -1});
  const int64_t batch = img_features.size(0), dim = img_features.size(1);
  CheckShape(words_emb, "damsm_words_loss words_emb", {batch, dim, -1});
  if (cap_lens.scalar_type() != torch::kLong) throw Error(code::kDtype, "damsm_words_loss cap_lens must be int64");
  CheckShape(cap_lens, "damsm_words_loss cap_lens", {batch});
  CheckIds(class_ids, "damsm_words_loss class_ids", batch);
  CheckIds(labels, "damsm_words_loss labels", batch);
  auto lens = cap_lens.to(torch::kCPU).contiguous();
  const auto* len = lens.data_ptr<int64_t>();

  DamsmWordsLoss out;
  std::vector<torch::Tensor> similarities;  // per caption i: (B, 1), R(image k, caption i)
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t words = len[i];
    if (words < 1 || words > words_emb.size(2)) {
      throw Error(code::kInvalidArg, "damsm_words_loss: cap_lens[" + std::to_string(i) + "] = " + std::to_string(words) + " is outside 1.." +
                                         std::to_string(words_emb.size(2)) + " (the words_emb width)");
    }
    // Caption i's own words (no padding) as the query against every image's regions.
    auto word = words_emb.select(0, i).narrow(1, 0, words).unsqueeze(0).contiguous();  // (1, D, Wi)
    word = word.repeat({batch, 1, 1});                                                  // (B, D, Wi)
    auto [context, attn] = FuncAttention(word, img_features, gammas.gamma1);
    out.att_maps.push_back(attn.select(0, i).unsqueeze(0).contiguous());  // (1, Wi, H, W)
    auto w = word.transpose(1, 2).contiguous().view({batch * words, -1});     // (B*Wi, D)
    auto c = context.transpose(1, 2).contiguous().view({batch * words, -1});  // (B*Wi, D)
    auto row_sim = RowCosine(w, c).view({batch, words});
    row_sim = row_sim.mul(gammas.gamma2).exp().sum(1, /*keepdim=*/true).log();  // (B, 1)
    // The AttnGAN paper's R(Q, D) = log(sum exp(gamma2 R))^(1/gamma2); the official code drops 1/gamma2.
    if (paper_form) row_sim = row_sim.div(gammas.gamma2);
    similarities.push_back(row_sim);
  }
  out.scores = torch::cat(similarities, 1).mul(gammas.gamma3);  // (B images, B captions)
  std::tie(out.loss0, out.loss1) = MatchingLosses(out.scores, class_ids, labels);
  return out;
}

DamsmSentLoss SentLoss(const torch::Tensor& cnn_code, const torch::Tensor& sent_emb, const torch::Tensor& class_ids,
                       const torch::Tensor& labels, const DamsmGammas& gammas) {
  CheckFloating(cnn_code, "damsm_sent_loss cnn_code");
  CheckFloating(sent_emb, "damsm_sent_loss sent_emb");
  CheckShape(cnn_code, "damsm_sent_loss cnn_code", {-1, -1});
  const int64_t batch = cnn_code.size(0);
  CheckShape(sent_emb, "damsm_sent_loss sent_emb", {batch, cnn_code.size(1)});
  CheckIds(class_ids, "damsm_sent_loss class_ids", batch);
  CheckIds(labels, "damsm_sent_loss labels", batch);
  auto cnn = cnn_code.unsqueeze(0);  // (1, B, D)
  auto rnn = sent_emb.unsqueeze(0);  // (1, B, D)
  auto cnn_norm = cnn.norm(2, 2, /*keepdim=*/true);
  auto rnn_norm = rnn.norm(2, 2, /*keepdim=*/true);
  auto scores = torch::bmm(cnn, rnn.transpose(1, 2));               // (1, B, B)
  auto norms = torch::bmm(cnn_norm, rnn_norm.transpose(1, 2));      // (1, B, B)
  DamsmSentLoss out;
  out.scores = (scores / norms.clamp_min(kCosineEps) * gammas.gamma3).squeeze(0);  // (B, B)
  std::tie(out.loss0, out.loss1) = MatchingLosses(out.scores, class_ids, labels);
  return out;
}

namespace {

DamsmGammas GammasOf(const Options& o) {
  DamsmGammas g{o.Number("gamma1"), o.Number("gamma2"), o.Number("gamma3")};
  TORCH_CHECK(g.gamma1 > 0 && g.gamma2 > 0 && g.gamma3 > 0, "DAMSM: gammas must be positive");
  return g;
}

MG_REGISTER_FUNCTION("damsm_words_loss", [](const TensorMap& in, const Options& o) {
  const char* owner = "damsm_words_loss";
  auto r = WordsLoss(Require(in, "img_features", owner), Require(in, "words_emb", owner), Require(in, "cap_lens", owner),
                     Optional(in, "class_ids"), Optional(in, "labels"), GammasOf(o), o.Bool("paperForm"));
  TensorMap out{{"loss0", r.loss0}, {"loss1", r.loss1}, {"scores", r.scores}};
  if (o.Bool("attMaps")) {
    for (size_t i = 0; i < r.att_maps.size(); ++i) out["att_map." + std::to_string(i)] = r.att_maps[i];
  }
  return out;
});

MG_REGISTER_FUNCTION("damsm_sent_loss", [](const TensorMap& in, const Options& o) {
  const char* owner = "damsm_sent_loss";
  auto r = SentLoss(Require(in, "cnn_code", owner), Require(in, "sent_emb", owner), Optional(in, "class_ids"),
                    Optional(in, "labels"), GammasOf(o));
  return TensorMap{{"loss0", r.loss0}, {"loss1", r.loss1}, {"scores", r.scores}};
});

}  // namespace
}  // namespace mg
