// SPDX-License-Identifier: MIT
// Entry point of mirrorgan_native.node: creates the per-environment state and registers every
// binding. Each Init* lives beside the class it exposes.
#include "addon/binding.h"

namespace mg {

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<AddonData>(new AddonData());
  InitRuntime(env, exports);
  InitTensor(env, exports);
  InitOps(env, exports);
  InitModule(env, exports);
  InitAdam(env, exports);
  InitSerialization(env, exports);
  InitDist(env, exports);
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  return exports;
}

}  // namespace mg

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return mg::InitAddon(env, exports); }
NODE_API_MODULE(mirrorgan_native, Init)
