// SPDX-License-Identifier: MIT
// Adam over a list of parameter tensors, with a state dict (moments + step per parameter) that
// round-trips through safetensors so a resumed run continues exactly.
#include "addon/async_job.h"
#include "addon/binding.h"

namespace mg {
namespace {

std::string StateKey(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

// Refuses a step with NaN/Inf gradients: the weights stay as they were and the caller decides.
// One fused check: each gradient's all-finite flag is computed on its device and the flags are
// reduced there, so a step costs one host synchronisation (not one per parameter); the
// offending parameter is looked up only when the check fails.
void CheckGradsFinite(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> flags;
  flags.reserve(params.size());
  for (const auto& p : params) {
    const auto& g = p.grad();
    if (g.defined()) flags.push_back(torch::isfinite(g).all());
  }
  if (flags.empty()) return;
  for (auto& f : flags) f = f.to(flags[0].device());  // no copy when all share one device (the usual case)
  if (torch::stack(flags).all().item<bool>()) return;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& g = params[i].grad();
    if (g.defined() && !torch::isfinite(g).all().item<bool>()) {
      throw Error(code::kNonFinite, "Adam.step: gradient of parameter " + std::to_string(i) +
                                        " contains NaN or Inf; the step was skipped");
    }
  }
}

class AdamWrap : public Napi::ObjectWrap<AdamWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeAdam",
                       {
                           InstanceMethod<&AdamWrap::Step>("step"),
                           InstanceMethod<&AdamWrap::StepAsync>("stepAsync"),
                           InstanceMethod<&AdamWrap::ZeroGrad>("zeroGrad"),
                           InstanceMethod<&AdamWrap::StateDict>("stateDict"),
                           InstanceMethod<&AdamWrap::LoadStateDict>("loadStateDict"),
                           InstanceAccessor<&AdamWrap::Lr, &AdamWrap::SetLr>("lr"),
                           InstanceAccessor<&AdamWrap::GetOptions, &AdamWrap::SetOptions>("options"),
                           InstanceAccessor<&AdamWrap::NumParams>("numParams"),
                       });
  }

  // new NativeAdam(params: Tensor[], { lr, beta1, beta2, eps, weightDecay })
  explicit AdamWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AdamWrap>(info) {
    Guard(info.Env(), [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsArray()) ThrowArg("Expected array of parameter tensors for params");
      auto arr = info[0].As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); ++i) {
        auto p = UnwrapTensor(arr.Get(i), "params[i]");
        if (!p.is_floating_point()) throw Error(code::kDtype, "Adam: parameter " + std::to_string(i) + " is not floating-point");
        if (!p.requires_grad()) {
          throw Error(code::kInvalidArg, "Adam: parameter " + std::to_string(i) + " does not require grad (frozen?)");
        }
        params_.push_back(p);
      }
      if (params_.empty()) ThrowArg("Adam needs at least one parameter");
      auto o = ToOptions(info.Length() > 1 ? info[1] : info.Env().Undefined());
      // Every value is filled in by lib/optim.ts (the one place Adam's defaults are written).
      double lr = o.Number("lr"), b1 = o.Number("beta1"), b2 = o.Number("beta2");
      double eps = o.Number("eps"), wd = o.Number("weightDecay");
      if (!(lr >= 0) || !(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1) || !(eps >= 0) || !(wd >= 0)) {
        ThrowArg("Adam: lr, eps and weightDecay must be >= 0 and betas in [0, 1)");
      }
      check_finite_ = o.Bool("checkFinite");
      adam_ = std::make_shared<torch::optim::Adam>(
          params_, torch::optim::AdamOptions(lr).betas({b1, b2}).eps(eps).weight_decay(wd));
      return info.Env().Undefined();
    });
  }

 private:
  void EnsureIdle() const {
    if (*busy_) throw Error(code::kBusy, "Adam is busy with another native job; await the previous step first");
  }

  Napi::Value Step(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      if (check_finite_) CheckGradsFinite(params_);
      adam_->step();
      return info.Env().Undefined();
    });
  }

  Napi::Value StepAsync(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      auto adam = adam_;
      auto params = params_;
      bool check = check_finite_;
      auto busy = busy_;
      *busy = true;
      return AsyncJob::Start(
          info.Env(), "mirrorgan.adam.step",
          [adam, params, check] {
            if (check) CheckGradsFinite(params);
            adam->step();
          },
          nullptr, [busy] { *busy = false; });
    });
  }

  Napi::Value ZeroGrad(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      for (auto& p : params_) {
        if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
      }
      return info.Env().Undefined();
    });
  }

  torch::optim::AdamOptions& Opts() {
    return static_cast<torch::optim::AdamOptions&>(adam_->param_groups()[0].options());
  }

  Napi::Value Lr(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Opts().lr()); }
  void SetLr(const Napi::CallbackInfo& info, const Napi::Value& v) {
    Guard(info.Env(), [&]() -> Napi::Value {
      if (!v.IsNumber() || !(v.As<Napi::Number>().DoubleValue() >= 0)) ThrowArg("Expected number >= 0 for lr");
      Opts().lr(v.As<Napi::Number>().DoubleValue());
      return info.Env().Undefined();
    });
  }
  // { lr, beta1, beta2, eps, weightDecay }: saved beside the moments so a resume is exact.
  Napi::Value GetOptions(const Napi::CallbackInfo& info) {
    auto& o = Opts();
    auto out = Napi::Object::New(info.Env());
    out.Set("lr", o.lr());
    out.Set("beta1", std::get<0>(o.betas()));
    out.Set("beta2", std::get<1>(o.betas()));
    out.Set("eps", o.eps());
    out.Set("weightDecay", o.weight_decay());
    return out;
  }
  void SetOptions(const Napi::CallbackInfo& info, const Napi::Value& v) {
    Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      auto o = ToOptions(v);
      auto& cur = Opts();
      double lr = o.Number("lr", cur.lr()), b1 = o.Number("beta1", std::get<0>(cur.betas()));
      double b2 = o.Number("beta2", std::get<1>(cur.betas())), eps = o.Number("eps", cur.eps());
      double wd = o.Number("weightDecay", cur.weight_decay());
      if (!(lr >= 0) || !(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1) || !(eps >= 0) || !(wd >= 0)) {
        ThrowArg("Adam: lr, eps and weightDecay must be >= 0 and betas in [0, 1)");
      }
      cur.lr(lr).betas({b1, b2}).eps(eps).weight_decay(wd);
      return info.Env().Undefined();
    });
  }
  Napi::Value NumParams(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(params_.size())); }

  // { "<i>.exp_avg", "<i>.exp_avg_sq", "<i>.step" } for every parameter that has state.
  Napi::Value StateDict(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      TensorMap out;
      auto& state = adam_->state();
      for (size_t i = 0; i < params_.size(); ++i) {
        auto it = state.find(StateKey(params_[i]));
        if (it == state.end()) continue;
        auto& s = static_cast<torch::optim::AdamParamState&>(*it->second);
        const auto k = std::to_string(i);
        out[k + ".exp_avg"] = s.exp_avg().detach().clone();
        out[k + ".exp_avg_sq"] = s.exp_avg_sq().detach().clone();
        out[k + ".step"] = torch::tensor(s.step(), torch::kInt64);
      }
      return FromTensorMap(info.Env(), out);
    });
  }

  Napi::Value LoadStateDict(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      auto src = ToTensorMap(info.Length() > 0 ? info[0] : info.Env().Undefined(), "state");
      // Validate everything first: a bad file must not leave half-loaded moments.
      std::vector<std::unique_ptr<torch::optim::AdamParamState>> loaded(params_.size());
      size_t used = 0;
      for (size_t i = 0; i < params_.size(); ++i) {
        const auto k = std::to_string(i);
        auto a = src.find(k + ".exp_avg"), b = src.find(k + ".exp_avg_sq"), s = src.find(k + ".step");
        int present = (a != src.end()) + (b != src.end()) + (s != src.end());
        if (present == 0) continue;
        if (present != 3) throw Error(code::kStateDict, "Adam state for parameter " + k + " is incomplete");
        for (auto* t : {&a->second, &b->second}) {
          if (t->sizes() != params_[i].sizes() || t->scalar_type() != params_[i].scalar_type()) {
            throw Error(code::kStateDict, "Adam state for parameter " + k + " does not match its shape or dtype");
          }
        }
        if (s->second.numel() != 1) throw Error(code::kStateDict, "Adam step for parameter " + k + " is not a scalar");
        auto st = std::make_unique<torch::optim::AdamParamState>();
        st->step(s->second.item<int64_t>());
        st->exp_avg(a->second.detach().clone().to(params_[i].device()));
        st->exp_avg_sq(b->second.detach().clone().to(params_[i].device()));
        loaded[i] = std::move(st);
        used += 3;
      }
      if (used != src.size()) throw Error(code::kStateDict, "Adam state has keys for parameters this optimizer lacks");
      auto& state = adam_->state();
      state.clear();
      for (size_t i = 0; i < params_.size(); ++i) {
        if (loaded[i]) state[StateKey(params_[i])] = std::move(loaded[i]);
      }
      return info.Env().Undefined();
    });
  }

  std::vector<torch::Tensor> params_;
  std::shared_ptr<torch::optim::Adam> adam_;
  bool check_finite_ = true;
  std::shared_ptr<std::atomic<bool>> busy_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace

void InitAdam(Napi::Env env, Napi::Object exports) {
  auto fn = AdamWrap::Define(env);
  Data(env).adam_ctor = Napi::Persistent(fn);
  exports.Set("NativeAdam", fn);
}

}  // namespace mg
