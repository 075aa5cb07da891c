// SPDX-License-Identifier: MIT
// The contract between MirrorGAN's C++ modules and the N-API layer: a module is a
// torch::nn::Module (whose registered names are the official state-dict keys) with a forward
// from named input tensors to named output tensors. Native functions (losses, fused steps) take
// named tensors and options. Both are looked up by name in the registry.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/options.h"

namespace mg {

using TensorMap = std::map<std::string, torch::Tensor>;

// The input `name` of `owner`, or an ERR_INVALID_ARG naming what is missing.
const torch::Tensor& Require(const TensorMap& in, const std::string& name, const std::string& owner);
// The input `name` if given (undefined tensor otherwise).
torch::Tensor Optional(const TensorMap& in, const std::string& name);
// Checks rank and, where given (>= 0), each dimension; names the input on failure.
void CheckShape(const torch::Tensor& t, const std::string& what, std::vector<int64_t> expected);
void CheckFloating(const torch::Tensor& t, const std::string& what);

class NativeModule {
 public:
  virtual ~NativeModule() = default;
  virtual const char* Kind() const = 0;
  virtual torch::nn::Module& Module() = 0;
  virtual TensorMap Forward(const TensorMap& inputs) = 0;
  // Other named entry points of a module (a discriminator's "d_loss", a captioner's "greedy"):
  // "forward" maps to Forward(); modules with more override this and fall back to it.
  virtual TensorMap Call(const std::string& method, const TensorMap& inputs, const Options& options);
};

using ModuleFactory = std::function<std::shared_ptr<NativeModule>(const Options&)>;
using NativeFunction = std::function<TensorMap(const TensorMap&, const Options&)>;

// Name -> factory tables, filled by static registrars in each module's file and read-only
// afterwards (no mutable process state).
class Registry {
 public:
  static Registry& Get();
  void AddModule(const std::string& name, ModuleFactory f) { modules_[name] = std::move(f); }
  void AddFunction(const std::string& name, NativeFunction f) { functions_[name] = std::move(f); }
  std::shared_ptr<NativeModule> CreateModule(const std::string& name, const Options& options) const;
  const NativeFunction& Function(const std::string& name) const;
  std::vector<std::string> ModuleNames() const;
  std::vector<std::string> FunctionNames() const;

 private:
  std::map<std::string, ModuleFactory> modules_;
  std::map<std::string, NativeFunction> functions_;
};

// Wraps a torch module holder (e.g. CA_NET) as a NativeModule under a registry name.
template <typename Holder>
class ModuleAdapter : public NativeModule {
 public:
  using ForwardFn = std::function<TensorMap(Holder&, const TensorMap&)>;
  ModuleAdapter(const char* kind, Holder holder, ForwardFn forward)
      : kind_(kind), holder_(std::move(holder)), forward_(std::move(forward)) {}
  const char* Kind() const override { return kind_; }
  torch::nn::Module& Module() override { return *holder_; }
  TensorMap Forward(const TensorMap& inputs) override { return forward_(holder_, inputs); }
  Holder& holder() { return holder_; }

 private:
  const char* kind_;
  Holder holder_;
  ForwardFn forward_;
};

struct ModuleRegistrar {
  ModuleRegistrar(const char* name, ModuleFactory f) { Registry::Get().AddModule(name, std::move(f)); }
};
struct FunctionRegistrar {
  FunctionRegistrar(const char* name, NativeFunction f) { Registry::Get().AddFunction(name, std::move(f)); }
};

}  // namespace mg

#define MG_CONCAT_INNER(a, b) a##b
#define MG_CONCAT(a, b) MG_CONCAT_INNER(a, b)
// Registers a module factory / native function at load time. Unique per use (__COUNTER__) so that unity
// builds, which paste several files into one translation unit, do not clash.
// Variadic because lambdas with braced initialisers contain top-level commas.
#define MG_REGISTER_MODULE(name, ...) \
  static ::mg::ModuleRegistrar MG_CONCAT(mg_module_registrar_, __COUNTER__)(name, __VA_ARGS__)
#define MG_REGISTER_FUNCTION(name, ...) \
  static ::mg::FunctionRegistrar MG_CONCAT(mg_function_registrar_, __COUNTER__)(name, __VA_ARGS__)
