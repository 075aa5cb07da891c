// SPDX-License-Identifier: MIT
// Shared pieces of the N-API layer: per-environment addon state (no process globals), the one
// guard every entry point goes through, and JS <-> C++ conversions.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/native_module.h"

namespace mg {

// Per-environment state (worker_threads get their own): class constructors and live-tensor
// (live-tensor counters hang off the Tensor constructor).
struct AddonData {
  Napi::FunctionReference tensor_ctor;
  Napi::FunctionReference module_ctor;
  Napi::FunctionReference adam_ctor;
  Napi::FunctionReference process_group_ctor;
};

AddonData& Data(Napi::Env env);

// Builds the JS Error for `info`: message, `.code`, and the `mirrorgan-native` origin.
Napi::Error MakeJsError(Napi::Env env, const ErrorInfo& info);

// Runs `fn`; any C++ exception becomes a thrown JS Error with a stable code. Napi::Error passes.
template <typename Fn>
Napi::Value Guard(Napi::Env env, Fn&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw MakeJsError(env, CurrentErrorInfo());
  }
}

[[noreturn]] void ThrowArg(const std::string& message);

// ---- argument readers (throw ERR_INVALID_ARG with the argument's name) ----
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* name);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name);
Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* name);
std::vector<int64_t> ArgShape(const Napi::Value& v, const char* name);

torch::Dtype ParseDtype(const std::string& s);
std::string DtypeName(torch::Dtype d);
torch::Device ParseDevice(const std::string& s);
std::string DeviceName(const torch::Device& d);

// JS object of plain values -> Options.
Options ToOptions(const Napi::Value& v);

// JS { name: Tensor } <-> TensorMap.
TensorMap ToTensorMap(const Napi::Value& v, const char* name);
Napi::Object FromTensorMap(Napi::Env env, const TensorMap& map);

// What memory() reports: live tensor handles and live modules, with the host bytes each holds.
// Shared-owned, so a finalizer running during environment teardown never touches freed memory.
struct MemoryCounters {
  std::atomic<int64_t> tensors{0};
  std::atomic<int64_t> tensor_bytes{0};
  std::atomic<int64_t> modules{0};
  std::atomic<int64_t> module_bytes{0};
};
std::shared_ptr<MemoryCounters> MemoryCountersOf(Napi::Env env);

// Bytes of `t` in host memory (0 for a tensor on a device).
int64_t HostBytes(const torch::Tensor& t);

// The tensor inside a JS Tensor handle (ERR_DISPOSED if disposed, ERR_INVALID_ARG if not one).
torch::Tensor UnwrapTensor(const Napi::Value& v, const char* name);
Napi::Object WrapTensor(Napi::Env env, torch::Tensor t);

// Class and function registration, one per binding file.
void InitTensor(Napi::Env env, Napi::Object exports);
void InitOps(Napi::Env env, Napi::Object exports);
void InitModule(Napi::Env env, Napi::Object exports);
void InitAdam(Napi::Env env, Napi::Object exports);
void InitSerialization(Napi::Env env, Napi::Object exports);
void InitRuntime(Napi::Env env, Napi::Object exports);
void InitDist(Napi::Env env, Napi::Object exports);

}  // namespace mg
