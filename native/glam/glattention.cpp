// SPDX-License-Identifier: MIT
#include "glam/glattention.h"

#include <limits>

#include "core/error.h"
#include "core/native_module.h"
#include "glam/blocks.h"
#include "nn/init.h"

namespace mg {

GLAttentionGeneralImpl::GLAttentionGeneralImpl(int64_t idf, int64_t cdf, int64_t ncf, GLAttentionOptions opts)
    : options(opts) {
  TORCH_CHECK(idf > 0 && cdf > 0 && ncf > 0, "GLAttentionGeneral: widths must be positive");
  conv_context = register_module("conv_context", Conv1x1(cdf, idf));
  conv_sentence_vis = register_module("conv_sentence_vis", Conv1x1(idf, idf));
  linear = register_module("linear", torch::nn::Linear(ncf, idf));
}

GLAttentionOutput GLAttentionGeneralImpl::forward(const torch::Tensor& h, const torch::Tensor& c_code,
                                                  const torch::Tensor& words, const torch::Tensor& mask) {
  const int64_t B = h.size(0), idf = h.size(1), ih = h.size(2), iw = h.size(3);
  const int64_t queryL = ih * iw, T = words.size(2);

  // ---- word-level attention ----
  auto targetT = h.view({B, idf, queryL}).transpose(1, 2);           // (B, queryL, idf)
  auto sourceT = conv_context->forward(words.unsqueeze(3)).squeeze(3);  // (B, idf, T)
  auto attn = torch::bmm(targetT, sourceT).view({B * queryL, T});      // rows b*queryL + q
  if (mask.defined()) {
    torch::Tensor rows;
    if (options.mask_tiling == MaskTiling::kOfficial) {
      rows = mask.repeat({queryL, 1});  // row r gets mask[r mod B] (official quirk)
    } else {
      rows = mask.unsqueeze(1).expand({B, queryL, T}).reshape({B * queryL, T});
    }
    // The official code fills .data (outside autograd); the gradient is the same because the
    // softmax output is 0 at filled entries.
    attn = attn.masked_fill(rows, -std::numeric_limits<float>::infinity());
  }
  attn = torch::softmax(attn, 1).view({B, queryL, T}).transpose(1, 2).contiguous();  // (B, T, queryL)
  auto word_context = torch::bmm(sourceT, attn).view({B, idf, ih, iw});
  auto word_attn = attn.view({B, T, ih, iw});

  // ---- sentence-level attention (driven by the CA sample) ----
  auto s = linear->forward(c_code).view({B, idf, 1, 1}).expand({B, idf, ih, iw});
  torch::Tensor sent_attn, sentence_context;
  if (options.sentence_attention == SentenceAttention::kOff) {
    sent_attn = torch::zeros_like(h);
    sentence_context = torch::zeros_like(h);
  } else {
    auto v = h * s;
    if (options.sentence_attention == SentenceAttention::kOfficial) v = conv_sentence_vis->forward(v);
    sent_attn = torch::softmax(v, 1);  // over the idf channels at each pixel
    sentence_context = s * sent_attn;
  }
  return {word_context, sentence_context, word_attn, sent_attn};
}

GLAttentionOptions GLAttentionOptionsFrom(const Options& o) {
  return {o.Enum<MaskTiling>("maskTiling", {{"official", MaskTiling::kOfficial}, {"fixed", MaskTiling::kFixed}}),
          o.Enum<SentenceAttention>("sentenceAttention", {{"official", SentenceAttention::kOfficial},
                                                          {"paper", SentenceAttention::kPaper},
                                                          {"off", SentenceAttention::kOff}})};
}

namespace {

MG_REGISTER_MODULE("GLAttentionGeneral", [](const Options& o) -> std::shared_ptr<NativeModule> {
  GLAttentionGeneral att(o.Int("idf"), o.Int("cdf"), o.Int("cDim"), GLAttentionOptionsFrom(o));
  ApplyOfficialInitUnlessOff(*att, o);
  return std::make_shared<ModuleAdapter<GLAttentionGeneral>>(
      "GLAttentionGeneral", att, [](GLAttentionGeneral& m, const TensorMap& in) {
        const auto& h = Require(in, "h", "GLAttentionGeneral");
        CheckShape(h, "GLAttentionGeneral h", {-1, m->conv_context->options.out_channels(), -1, -1});
        const auto& words = Require(in, "words_emb", "GLAttentionGeneral");
        CheckShape(words, "GLAttentionGeneral words_emb", {h.size(0), m->conv_context->options.in_channels(), -1});
        auto out = m->forward(h, Require(in, "c_code", "GLAttentionGeneral"), words, Optional(in, "mask"));
        return TensorMap{{"weighted_context", out.word_context},
                         {"weighted_sentence", out.sentence_context},
                         {"word_attn", out.word_attn},
                         {"sent_att", out.sent_attn}};
      });
});

}  // namespace

}  // namespace mg
