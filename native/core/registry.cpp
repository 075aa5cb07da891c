// SPDX-License-Identifier: MIT
#include <sstream>

#include "core/native_module.h"

namespace mg {

Registry& Registry::Get() {
  static Registry registry;
  return registry;
}

std::shared_ptr<NativeModule> Registry::CreateModule(const std::string& name, const Options& options) const {
  auto it = modules_.find(name);
  if (it == modules_.end()) {
    std::string known;
    for (const auto& [k, v] : modules_) known += (known.empty() ? "" : ", ") + k;
    throw Error(code::kUnknownModule, "Unknown native module '" + name + "' (known: " + known + ")");
  }
  return it->second(options);
}

const NativeFunction& Registry::Function(const std::string& name) const {
  auto it = functions_.find(name);
  if (it == functions_.end()) {
    throw Error(code::kUnknownModule, "Unknown native function '" + name + "'");
  }
  return it->second;
}

std::vector<std::string> Registry::ModuleNames() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : modules_) out.push_back(k);
  return out;
}

std::vector<std::string> Registry::FunctionNames() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : functions_) out.push_back(k);
  return out;
}

TensorMap NativeModule::Call(const std::string& method, const TensorMap& inputs, const Options&) {
  if (method == "forward") return Forward(inputs);
  throw Error(code::kInvalidArg, std::string(Kind()) + " has no method '" + method + "'");
}

const torch::Tensor& Require(const TensorMap& in, const std::string& name, const std::string& owner) {
  auto it = in.find(name);
  if (it == in.end() || !it->second.defined()) {
    throw Error(code::kInvalidArg, owner + ": missing input tensor '" + name + "'");
  }
  return it->second;
}

torch::Tensor Optional(const TensorMap& in, const std::string& name) {
  auto it = in.find(name);
  return it == in.end() ? torch::Tensor() : it->second;
}

void CheckShape(const torch::Tensor& t, const std::string& what, std::vector<int64_t> expected) {
  bool ok = t.dim() == static_cast<int64_t>(expected.size());
  for (size_t i = 0; ok && i < expected.size(); ++i) {
    if (expected[i] >= 0 && t.size(static_cast<int64_t>(i)) != expected[i]) ok = false;
  }
  if (!ok) {
    std::ostringstream want;
    want << "[";
    for (size_t i = 0; i < expected.size(); ++i) {
      want << (i ? ", " : "") << (expected[i] >= 0 ? std::to_string(expected[i]) : std::string("*"));
    }
    want << "]";
    std::ostringstream got;
    got << t.sizes();
    throw Error(code::kShape, what + ": expected shape " + want.str() + " but got " + got.str());
  }
}

void CheckFloating(const torch::Tensor& t, const std::string& what) {
  if (!t.is_floating_point()) {
    throw Error(code::kDtype, what + ": expected a floating-point tensor but got " +
                                  std::string(c10::toString(t.scalar_type())));
  }
}

}  // namespace mg
