// SPDX-License-Identifier: MIT
// NativeModule handle: one registered MirrorGAN module (CA_NET, RNN_ENCODER, ...). State dicts
// use the official dotted keys in Python's order; one native job at a time per module. dispose()
// frees the weights at once (tensor handles taken from the module keep their storage alive);
// memory() counts live modules and the host bytes of their parameters and buffers, which V8 is
// told about too, so a module dropped without dispose() is collected under memory pressure.
#include <set>
#include <sstream>

#include "addon/async_job.h"
#include "addon/binding.h"

namespace mg {
namespace {

// Python's state_dict() order: for each module in pre-order, its own parameters, then its own
// buffers, then its children.
std::vector<std::pair<std::string, torch::Tensor>> StateDict(torch::nn::Module& root, bool with_buffers) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : root.named_modules("", /*include_self=*/true)) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) out.emplace_back(prefix + p.key(), p.value());
    if (!with_buffers) continue;
    for (const auto& b : item.value()->named_buffers(/*recurse=*/false)) out.emplace_back(prefix + b.key(), b.value());
  }
  return out;
}

std::string ShapeStr(at::IntArrayRef s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

// Device of every input, and (check_finite) no NaN/Inf in any floating input: one fused check,
// each input's all-finite flag reduced on the device with one host synchronisation per call;
// the offending input is looked up only when it fails.
void CheckInputs(const TensorMap& inputs, const torch::Device& device, bool check_finite, const char* kind) {
  std::vector<torch::Tensor> flags;
  for (const auto& [name, t] : inputs) {
    if (t.device() != device) {
      throw Error(code::kDevice, std::string(kind) + ": input '" + name + "' is on " + DeviceName(t.device()) +
                                     " but the module is on " + DeviceName(device));
    }
    if (check_finite && t.is_floating_point() && !t.device().is_meta()) flags.push_back(torch::isfinite(t.detach()).all());
  }
  if (flags.empty() || torch::stack(flags).all().item<bool>()) return;
  for (const auto& [name, t] : inputs) {
    if (t.is_floating_point() && !torch::isfinite(t.detach()).all().item<bool>()) {
      throw Error(code::kNonFinite, std::string(kind) + ": input '" + name + "' contains NaN or Inf");
    }
  }
}

class ModuleWrap : public Napi::ObjectWrap<ModuleWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeModule",
                       {
                           InstanceAccessor<&ModuleWrap::Kind>("kind"),
                           InstanceAccessor<&ModuleWrap::Training>("training"),
                           InstanceAccessor<&ModuleWrap::Device>("device"),
                           InstanceAccessor<&ModuleWrap::Busy>("busy"),
                           InstanceAccessor<&ModuleWrap::IsDisposed>("isDisposed"),
                           InstanceMethod<&ModuleWrap::Forward>("forward"),
                           InstanceMethod<&ModuleWrap::ForwardAsync>("forwardAsync"),
                           InstanceMethod<&ModuleWrap::CallMethod>("call"),
                           InstanceMethod<&ModuleWrap::CallMethodAsync>("callAsync"),
                           InstanceMethod<&ModuleWrap::NamedParameters>("namedParameters"),
                           InstanceMethod<&ModuleWrap::NamedStateDict>("namedStateDict"),
                           InstanceMethod<&ModuleWrap::LoadStateDict>("loadStateDict"),
                           InstanceMethod<&ModuleWrap::Train>("train"),
                           InstanceMethod<&ModuleWrap::To>("to"),
                           InstanceMethod<&ModuleWrap::ZeroGrad>("zeroGrad"),
                           InstanceMethod<&ModuleWrap::SetRequiresGrad>("setRequiresGrad"),
                           InstanceMethod<&ModuleWrap::Dispose>("dispose"),
                       });
  }

  explicit ModuleWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModuleWrap>(info) {
    Guard(info.Env(), [&]() -> Napi::Value {
      auto kind = ArgString(info, 0, "kind");
      auto options = ToOptions(info.Length() > 1 ? info[1] : info.Env().Undefined());
      module_ = Registry::Get().CreateModule(kind, options);
      kind_ = module_->Kind();
      counters_ = MemoryCountersOf(info.Env());
      counters_->modules++;
      Account(info.Env());
      return info.Env().Undefined();
    });
  }

  ~ModuleWrap() override { Release(nullptr); }

 private:
  // The module, or ERR_DISPOSED once dispose() freed it.
  NativeModule& M() const {
    if (!module_) throw Error(code::kDisposed, kind_ + " was disposed and cannot be used");
    return *module_;
  }

  // Host bytes of the parameters and buffers now; the change since the last count goes to the
  // counters and to V8 (`env` is null in the finalizer, which must not call into V8).
  void Account(Napi::Env* env_or_null, int64_t bytes) {
    int64_t delta = bytes - bytes_;
    bytes_ = bytes;
    if (counters_) counters_->module_bytes += delta;
    if (env_or_null && delta != 0) Napi::MemoryManagement::AdjustExternalMemory(*env_or_null, delta);
  }
  void Account(Napi::Env env) {
    int64_t bytes = 0;
    for (const auto& [key, t] : StateDict(M().Module(), true)) bytes += HostBytes(t);
    Account(&env, bytes);
  }

  void Release(Napi::Env* env_or_null) {
    if (!module_) return;
    module_.reset();
    Account(env_or_null, 0);
    if (counters_) counters_->modules--;
  }

  Napi::Value IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !module_); }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      if (!module_) return info.Env().Undefined();
      EnsureIdle();
      Napi::Env env = info.Env();
      Release(&env);
      return info.Env().Undefined();
    });
  }

  // Refuses a call while an async job owns the module (two jobs would race on its weights).
  void EnsureIdle() const {
    if (*busy_) {
      throw Error(code::kBusy, kind_ +
                                   " is busy with another native job; await the previous call first");
    }
  }

  torch::Device ModuleDevice() const {
    auto& m = M().Module();
    for (const auto& p : m.parameters()) return p.device();
    for (const auto& b : m.buffers()) return b.device();
    return torch::Device(torch::kCPU);
  }

  Napi::Value Kind(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), kind_); }
  Napi::Value Training(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), M().Module().is_training()); });
  }
  Napi::Value Device(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Napi::String::New(info.Env(), DeviceName(ModuleDevice())); });
  }
  Napi::Value Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), busy_->load()); }

  // forward(inputs, { checkFinite = true, grad = true })
  Napi::Value Forward(const Napi::CallbackInfo& info) { return Run(info, "forward", 0, false); }
  Napi::Value ForwardAsync(const Napi::CallbackInfo& info) { return Run(info, "forward", 0, true); }
  // call(method, inputs, options): other entry points (a discriminator's "d_loss", ...).
  Napi::Value CallMethod(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Run(info, ArgString(info, 0, "method"), 1, false); });
  }
  Napi::Value CallMethodAsync(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Run(info, ArgString(info, 0, "method"), 1, true); });
  }

  Napi::Value Run(const Napi::CallbackInfo& info, const std::string& method, size_t first, bool async) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      auto inputs = ToTensorMap(info.Length() > first ? info[first] : info.Env().Undefined(), "inputs");
      auto opts = ToOptions(info.Length() > first + 1 ? info[first + 1] : info.Env().Undefined());
      bool check = opts.Bool("checkFinite", true);
      bool grad = opts.Bool("grad", true);
      auto device = ModuleDevice();  // ERR_DISPOSED after dispose()
      auto module = module_;
      if (!async) {
        CheckInputs(inputs, device, check, module->Kind());
        torch::AutoGradMode mode(grad);
        return FromTensorMap(info.Env(), module->Call(method, inputs, opts));
      }
      auto result = std::make_shared<TensorMap>();
      auto busy = busy_;
      *busy = true;
      // Keep the JS object (and so the module) alive while the job runs.
      auto self_ref = std::make_shared<Napi::Reference<Napi::Object>>(Napi::Persistent(Value()));
      return AsyncJob::Start(
          info.Env(), "mirrorgan.module.call",
          [module, method, inputs, opts, check, grad, device, result] {
            CheckInputs(inputs, device, check, module->Kind());
            torch::AutoGradMode mode(grad);
            *result = module->Call(method, inputs, opts);
          },
          [result](Napi::Env env) -> Napi::Value { return FromTensorMap(env, *result); },
          [busy, self_ref] {
            *busy = false;
            self_ref->Reset();
          });
    });
  }

  static Napi::Array Pairs(Napi::Env env, const std::vector<std::pair<std::string, torch::Tensor>>& items) {
    auto arr = Napi::Array::New(env, items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      auto pair = Napi::Array::New(env, 2);
      pair.Set(uint32_t(0), Napi::String::New(env, items[i].first));
      pair.Set(uint32_t(1), WrapTensor(env, items[i].second));
      arr.Set(uint32_t(i), pair);
    }
    return arr;
  }

  Napi::Value NamedParameters(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Pairs(info.Env(), StateDict(M().Module(), false)); });
  }
  Napi::Value NamedStateDict(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Pairs(info.Env(), StateDict(M().Module(), true)); });
  }

  // loadStateDict({ key: Tensor }, strict = true) -> { missing: string[], unexpected: string[] }
  Napi::Value LoadStateDict(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      auto src = ToTensorMap(info.Length() > 0 ? info[0] : info.Env().Undefined(), "stateDict");
      bool strict = !(info.Length() > 1 && info[1].IsBoolean() && !info[1].As<Napi::Boolean>().Value());
      auto own = StateDict(M().Module(), true);
      std::vector<std::string> missing, unexpected;
      std::set<std::string> known;
      // Check everything before copying anything, so a bad file leaves the module untouched.
      for (const auto& [key, dst] : own) {
        known.insert(key);
        auto it = src.find(key);
        if (it == src.end()) {
          missing.push_back(key);
          continue;
        }
        const auto& t = it->second;
        if (t.sizes() != dst.sizes()) {
          throw Error(code::kStateDict, "state dict key '" + key + "': expected shape " + ShapeStr(dst.sizes()) +
                                            " but the file has " + ShapeStr(t.sizes()));
        }
        if (t.scalar_type() != dst.scalar_type()) {
          throw Error(code::kStateDict, "state dict key '" + key + "': expected dtype " + DtypeName(dst.scalar_type()) +
                                            " but the file has " + DtypeName(t.scalar_type()));
        }
      }
      for (const auto& [key, t] : src) {
        if (!known.count(key)) unexpected.push_back(key);
      }
      if (strict && !missing.empty()) {
        throw Error(code::kStateDict, "state dict is missing key '" + missing.front() + "' (" +
                                          std::to_string(missing.size()) + " missing in all) for " + kind_);
      }
      if (strict && !unexpected.empty()) {
        throw Error(code::kStateDict, "state dict has unexpected key '" + unexpected.front() + "' (" +
                                          std::to_string(unexpected.size()) + " unexpected in all) for " + kind_);
      }
      {
        torch::NoGradGuard no_grad;
        for (auto& [key, dst] : own) {
          auto it = src.find(key);
          if (it != src.end()) dst.copy_(it->second);
        }
      }
      auto out = Napi::Object::New(info.Env());
      auto to_arr = [&](const std::vector<std::string>& v) {
        auto a = Napi::Array::New(info.Env(), v.size());
        for (size_t i = 0; i < v.size(); ++i) a.Set(uint32_t(i), Napi::String::New(info.Env(), v[i]));
        return a;
      };
      out.Set("missing", to_arr(missing));
      out.Set("unexpected", to_arr(unexpected));
      return out;
    });
  }

  Napi::Value Train(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      bool on = info.Length() == 0 || info[0].IsUndefined() || ArgBool(info, 0, "mode");
      M().Module().train(on);
      return info.Env().Undefined();
    });
  }

  Napi::Value To(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      M().Module().to(ParseDevice(ArgString(info, 0, "device")));
      Account(info.Env());
      return info.Env().Undefined();
    });
  }

  Napi::Value ZeroGrad(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      M().Module().zero_grad(/*set_to_none=*/true);
      return info.Env().Undefined();
    });
  }

  Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      EnsureIdle();
      bool on = ArgBool(info, 0, "requiresGrad");
      for (auto& p : M().Module().parameters()) p.set_requires_grad(on);
      return info.Env().Undefined();
    });
  }

  std::shared_ptr<NativeModule> module_;
  std::string kind_;
  int64_t bytes_ = 0;
  std::shared_ptr<MemoryCounters> counters_;
  std::shared_ptr<std::atomic<bool>> busy_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace

void InitModule(Napi::Env env, Napi::Object exports) {
  auto fn = ModuleWrap::Define(env);
  Data(env).module_ctor = Napi::Persistent(fn);
  exports.Set("NativeModule", fn);

  auto list = [](Napi::Env env, const std::vector<std::string>& names) {
    auto a = Napi::Array::New(env, names.size());
    for (size_t i = 0; i < names.size(); ++i) a.Set(uint32_t(i), Napi::String::New(env, names[i]));
    return a;
  };
  exports.Set("moduleKinds", Napi::Function::New(env, [list](const Napi::CallbackInfo& info) -> Napi::Value {
                return list(info.Env(), Registry::Get().ModuleNames());
              }));
  exports.Set("functionNames", Napi::Function::New(env, [list](const Napi::CallbackInfo& info) -> Napi::Value {
                return list(info.Env(), Registry::Get().FunctionNames());
              }));

  // call(name, inputs, options) / callAsync(...): registered native functions (losses, ...).
  exports.Set("call", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Guard(info.Env(), [&]() -> Napi::Value {
                  const auto& fn = Registry::Get().Function(ArgString(info, 0, "name"));
                  auto inputs = ToTensorMap(info.Length() > 1 ? info[1] : info.Env().Undefined(), "inputs");
                  auto opts = ToOptions(info.Length() > 2 ? info[2] : info.Env().Undefined());
                  return FromTensorMap(info.Env(), fn(inputs, opts));
                });
              }));
  exports.Set("callAsync", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Guard(info.Env(), [&]() -> Napi::Value {
                  const NativeFunction* fn = &Registry::Get().Function(ArgString(info, 0, "name"));
                  auto inputs = ToTensorMap(info.Length() > 1 ? info[1] : info.Env().Undefined(), "inputs");
                  auto opts = ToOptions(info.Length() > 2 ? info[2] : info.Env().Undefined());
                  auto result = std::make_shared<TensorMap>();
                  return AsyncJob::Start(
                      info.Env(), "mirrorgan.call", [fn, inputs, opts, result] { *result = (*fn)(inputs, opts); },
                      [result](Napi::Env env) -> Napi::Value { return FromTensorMap(env, *result); });
                });
              }));
}

}  // namespace mg
