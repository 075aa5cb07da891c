// SPDX-License-Identifier: MIT
#include "glam/d_net.h"

#include "core/native_module.h"
#include "glam/blocks.h"
#include "glam/gan_losses.h"
#include "nn/init.h"

namespace mg {

namespace {
torch::nn::Conv2d Conv4x4s2(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 4).stride(2).padding(1).bias(false));
}
torch::nn::LeakyReLU LReLU() { return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)); }
}  // namespace

torch::nn::Sequential EncodeImageBy16Times(int64_t ndf) {
  return torch::nn::Sequential(Conv4x4s2(3, ndf), LReLU(),                                          // 0, 1
                               Conv4x4s2(ndf, ndf * 2), torch::nn::BatchNorm2d(ndf * 2), LReLU(),    // 2-4
                               Conv4x4s2(ndf * 2, ndf * 4), torch::nn::BatchNorm2d(ndf * 4), LReLU(),  // 5-7
                               Conv4x4s2(ndf * 4, ndf * 8), torch::nn::BatchNorm2d(ndf * 8), LReLU());  // 8-10
}

torch::nn::Sequential DownBlock(int64_t in, int64_t out) {
  return torch::nn::Sequential(Conv4x4s2(in, out), torch::nn::BatchNorm2d(out), LReLU());
}

torch::nn::Sequential Block3x3LeakRelu(int64_t in, int64_t out) {
  return torch::nn::Sequential(Conv3x3(in, out), torch::nn::BatchNorm2d(out), LReLU());
}

D_GET_LOGITSImpl::D_GET_LOGITSImpl(int64_t ndf, int64_t nef, bool bcond) : df_dim(ndf), ef_dim(nef), bcondition(bcond) {
  if (bcondition) jointConv = register_module("jointConv", Block3x3LeakRelu(ndf * 8 + nef, ndf * 8));
  outlogits = register_module("outlogits", torch::nn::Sequential(
                                               torch::nn::Conv2d(torch::nn::Conv2dOptions(ndf * 8, 1, 4).stride(4)),
                                               torch::nn::Sigmoid()));
}

torch::Tensor D_GET_LOGITSImpl::forward(const torch::Tensor& h, const torch::Tensor& c) {
  torch::Tensor x = h;
  if (bcondition && c.defined()) {
    auto cc = c.view({-1, ef_dim, 1, 1}).repeat({1, 1, 4, 4});  // sentence tiled to 4x4
    x = jointConv->forward(torch::cat({h, cc}, 1));               // image code first
  }
  return outlogits->forward(x).view(-1);
}

D_NETImpl::D_NETImpl(int64_t sz, int64_t ndf, int64_t nef, bool b_jcu) : size(sz) {
  img_code_s16 = register_module("img_code_s16", EncodeImageBy16Times(ndf));
  if (size == 128) {
    img_code_s32 = register_module("img_code_s32", DownBlock(ndf * 8, ndf * 16));
    img_code_s32_1 = register_module("img_code_s32_1", Block3x3LeakRelu(ndf * 16, ndf * 8));
  } else if (size == 256) {
    img_code_s32 = register_module("img_code_s32", DownBlock(ndf * 8, ndf * 16));
    img_code_s64 = register_module("img_code_s64", DownBlock(ndf * 16, ndf * 32));
    img_code_s64_1 = register_module("img_code_s64_1", Block3x3LeakRelu(ndf * 32, ndf * 16));
    img_code_s64_2 = register_module("img_code_s64_2", Block3x3LeakRelu(ndf * 16, ndf * 8));
  } else if (size != 64) {
    throw Error(code::kInvalidArg, "D_NET size must be 64, 128 or 256");
  }
  if (b_jcu) UNCOND_DNET = register_module("UNCOND_DNET", D_GET_LOGITS(ndf, nef, false));
  COND_DNET = register_module("COND_DNET", D_GET_LOGITS(ndf, nef, true));
}

torch::Tensor D_NETImpl::forward(const torch::Tensor& images) {
  auto x = img_code_s16->forward(images);  // (B, 8ndf, size/16, size/16)
  if (size == 128) {
    x = img_code_s32_1->forward(img_code_s32->forward(x));
  } else if (size == 256) {
    x = img_code_s32->forward(x);
    x = img_code_s64->forward(x);
    x = img_code_s64_2->forward(img_code_s64_1->forward(x));
  }
  return x;  // (B, 8 ndf, 4, 4)
}

namespace {

class DNetModule : public NativeModule {
 public:
  DNetModule(int64_t size, const Options& o)
      : kind_("D_NET" + std::to_string(size)),
        net_(size, o.Int("dfDim"), o.Int("efDim"), o.Bool("bJcu")) {
    ApplyOfficialInitUnlessOff(*net_, o);
  }
  const char* Kind() const override { return kind_.c_str(); }
  torch::nn::Module& Module() override { return *net_; }

  TensorMap Forward(const TensorMap& in) override {
    return {{"features", net_->forward(Images(in, "images"))}};
  }

  TensorMap Call(const std::string& method, const TensorMap& in, const Options& opts) override {
    if (method == "d_loss") return DiscriminatorLoss(net_, Images(in, "real"), Images(in, "fake"), Sentences(in));
    if (method == "g_loss") return GeneratorAdversarialLoss(net_, Images(in, "fake"), Sentences(in));
    if (method == "logits") {
      const auto& f = Require(in, "features", kind_);
      auto out = TensorMap{{"cond_logits", net_->COND_DNET->forward(f, Sentences(in))}};
      if (net_->UNCOND_DNET) out["uncond_logits"] = net_->UNCOND_DNET->forward(f);
      return out;
    }
    return NativeModule::Call(method, in, opts);
  }

 private:
  torch::Tensor Images(const TensorMap& in, const char* name) {
    const auto& x = Require(in, name, kind_);
    CheckFloating(x, kind_ + " " + name);
    CheckShape(x, kind_ + " " + name, {-1, 3, net_->size, net_->size});
    return x;
  }
  torch::Tensor Sentences(const TensorMap& in) {
    const auto& s = Require(in, "sent_emb", kind_);
    CheckShape(s, kind_ + " sent_emb", {-1, net_->COND_DNET->ef_dim});
    return s;
  }

  std::string kind_;
  D_NET net_;
};

MG_REGISTER_MODULE("D_NET64", [](const Options& o) -> std::shared_ptr<NativeModule> {
  return std::make_shared<DNetModule>(64, o);
});
MG_REGISTER_MODULE("D_NET128", [](const Options& o) -> std::shared_ptr<NativeModule> {
  return std::make_shared<DNetModule>(128, o);
});
MG_REGISTER_MODULE("D_NET256", [](const Options& o) -> std::shared_ptr<NativeModule> {
  return std::make_shared<DNetModule>(256, o);
});

}  // namespace
}  // namespace mg
