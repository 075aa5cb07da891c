// SPDX-License-Identifier: MIT
// A plain Linear layer as a native module: the smallest trainable building block, used by the
// binding's own tests and by users composing small heads in TypeScript.
#include "core/native_module.h"

namespace mg {
namespace {

MG_REGISTER_MODULE("Linear", [](const Options& o) -> std::shared_ptr<NativeModule> {
  auto in = o.Int("inFeatures");
  auto out = o.Int("outFeatures");
  if (in < 1 || out < 1) throw Error(code::kInvalidArg, "Linear: inFeatures and outFeatures must be positive integers");
  torch::nn::Linear lin(torch::nn::LinearOptions(in, out).bias(o.Bool("bias", /*fallback=*/true)));
  return std::make_shared<ModuleAdapter<torch::nn::Linear>>(
      "Linear", lin, [in](torch::nn::Linear& m, const TensorMap& t) {
        const auto& x = Require(t, "input", "Linear");
        CheckFloating(x, "Linear input");
        if (x.dim() < 1 || x.size(-1) != in) {
          std::ostringstream got;
          got << x.sizes();
          throw Error(code::kShape, "Linear input: expected last dimension " + std::to_string(in) +
                                        " but got shape " + got.str());
        }
        return TensorMap{{"output", m->forward(x)}};
      });
});

}  // namespace
}  // namespace mg
