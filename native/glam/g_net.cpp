// SPDX-License-Identifier: MIT
#include "glam/g_net.h"

#include "core/native_module.h"
#include "nn/init.h"

namespace mg {

NEXT_STAGE_GImpl::NEXT_STAGE_GImpl(int64_t ngf, int64_t nef, int64_t ncf, int64_t r_num, GLAttentionOptions attention) {
  att = register_module("att", GLAttentionGeneral(ngf, nef, ncf, std::move(attention)));
  torch::nn::Sequential res;
  for (int64_t i = 0; i < r_num; ++i) res->push_back(ResBlock(ngf * 2));
  residual = register_module("residual", res);
  upsample = register_module("upsample", UpBlock(ngf * 2, ngf));
  conv = register_module("conv", Conv1x1(ngf * 3, ngf * 2));
}

std::pair<torch::Tensor, torch::Tensor> NEXT_STAGE_GImpl::forward(const torch::Tensor& h, const torch::Tensor& c_code,
                                                                  const torch::Tensor& words, const torch::Tensor& mask) {
  auto a = att->forward(h, c_code, words, mask);
  auto x = conv->forward(torch::cat({h, a.word_context, a.sentence_context}, 1));  // (B, 2ngf, H, W)
  x = residual->forward(x);
  return {upsample->forward(x), a.word_attn};  // (B, ngf, 2H, 2W)
}

G_NETImpl::G_NETImpl(GNetOptions o) : options(std::move(o)) {
  TORCH_CHECK(options.gf_dim > 0 && options.ef_dim > 0 && options.c_dim > 0 && options.z_dim > 0 && options.r_num >= 0,
              "G_NET: widths must be positive and r_num >= 0");
  TORCH_CHECK(options.branch_num >= 1 && options.branch_num <= 3, "G_NET: branch_num must be 1, 2 or 3");
  const auto ngf = options.gf_dim;
  ca_net = register_module("ca_net", CA_NET(options.ef_dim, options.c_dim));
  h_net1 = register_module("h_net1", INIT_STAGE_G(ngf * 16, options.c_dim, options.z_dim));
  img_net1 = register_module("img_net1", GET_IMAGE_G(ngf));
  if (options.branch_num > 1) {
    h_net2 = register_module("h_net2", NEXT_STAGE_G(ngf, options.ef_dim, options.c_dim, options.r_num, options.attention));
    img_net2 = register_module("img_net2", GET_IMAGE_G(ngf));
  }
  if (options.branch_num > 2) {
    h_net3 = register_module("h_net3", NEXT_STAGE_G(ngf, options.ef_dim, options.c_dim, options.r_num, options.attention));
    img_net3 = register_module("img_net3", GET_IMAGE_G(ngf));
  }
}

GNetOutput G_NETImpl::forward(const torch::Tensor& z, const torch::Tensor& sent_emb, const torch::Tensor& words_emb,
                              const torch::Tensor& mask, const torch::Tensor& eps) {
  GNetOutput out;
  auto ca = ca_net->forward(sent_emb, eps);
  out.c_code = ca.c_code;
  out.mu = ca.mu;
  out.logvar = ca.logvar;
  auto h = h_net1->forward(z, ca.c_code);  // (B, ngf, 64, 64)
  out.fake_imgs.push_back(img_net1->forward(h));
  if (options.branch_num > 1) {
    auto [h2, att2] = h_net2->forward(h, ca.c_code, words_emb, mask);  // (B, ngf, 128, 128)
    out.fake_imgs.push_back(img_net2->forward(h2));
    out.att_maps.push_back(att2);
    h = h2;
  }
  if (options.branch_num > 2) {
    auto [h3, att3] = h_net3->forward(h, ca.c_code, words_emb, mask);  // (B, ngf, 256, 256)
    out.fake_imgs.push_back(img_net3->forward(h3));
    out.att_maps.push_back(att3);
  }
  return out;
}

GNetOptions GNetOptionsFrom(const Options& o) {
  return {o.Int("gfDim"), o.Int("efDim"), o.Int("cDim"), o.Int("zDim"), o.Int("rNum"), o.Int("branchNum"),
          GLAttentionOptionsFrom(o)};
}

namespace {

class GNetModule : public NativeModule {
 public:
  explicit GNetModule(const Options& o) : net_(GNetOptionsFrom(o)) {
    ApplyOfficialInitUnlessOff(*net_, o);
  }
  const char* Kind() const override { return "G_NET"; }
  torch::nn::Module& Module() override { return *net_; }

  // inputs: z (B, zDim), sent_emb (B, efDim), words_emb (B, efDim, T), mask (B, T) bool, eps?
  // outputs: fake_64 [, fake_128 [, fake_256]], att_stage2 [, att_stage3], c_code, mu, logvar
  TensorMap Forward(const TensorMap& in) override {
    const auto& o = net_->options;
    const auto& z = Require(in, "z", "G_NET");
    CheckShape(z, "G_NET z", {-1, o.z_dim});
    const int64_t B = z.size(0);
    const auto& sent = Require(in, "sent_emb", "G_NET");
    CheckShape(sent, "G_NET sent_emb", {B, o.ef_dim});
    torch::Tensor words = Optional(in, "words_emb"), mask = Optional(in, "mask");
    if (o.branch_num > 1) {
      words = Require(in, "words_emb", "G_NET");
      CheckShape(words, "G_NET words_emb", {B, o.ef_dim, -1});
      if (mask.defined()) {
        CheckShape(mask, "G_NET mask", {B, words.size(2)});
        if (mask.scalar_type() != torch::kBool) throw Error(code::kDtype, "G_NET mask: expected a bool tensor");
      }
    }
    auto out = net_->forward(z, sent, words, mask, Optional(in, "eps"));
    TensorMap result{{"c_code", out.c_code}, {"mu", out.mu}, {"logvar", out.logvar}};
    for (size_t i = 0; i < out.fake_imgs.size(); ++i) {
      result["fake_" + std::to_string(out.fake_imgs[i].size(-1))] = out.fake_imgs[i];
    }
    for (size_t i = 0; i < out.att_maps.size(); ++i) result["att_stage" + std::to_string(i + 2)] = out.att_maps[i];
    return result;
  }

 private:
  G_NET net_;
};

MG_REGISTER_MODULE("G_NET", [](const Options& o) -> std::shared_ptr<NativeModule> {
  return std::make_shared<GNetModule>(o);
});

}  // namespace
}  // namespace mg
