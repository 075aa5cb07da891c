// SPDX-License-Identifier: MIT
// Tensor: a JS handle on one at::Tensor. Data cross into JS only by copy. dispose() frees the
// handle's reference at once (views keep shared storage alive); the GC finalizer is a net.
#include <cstring>

#include "addon/async_job.h"
#include "addon/binding.h"

namespace mg {
namespace {

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeTensor",
                       {
                           InstanceAccessor<&TensorWrap::Shape>("shape"),
                           InstanceAccessor<&TensorWrap::Dtype>("dtype"),
                           InstanceAccessor<&TensorWrap::Device>("device"),
                           InstanceAccessor<&TensorWrap::IsDisposed>("isDisposed"),
                           InstanceAccessor<&TensorWrap::RequiresGrad, &TensorWrap::SetRequiresGrad>("requiresGrad"),
                           InstanceAccessor<&TensorWrap::Grad>("grad"),
                           InstanceMethod<&TensorWrap::DataSync>("dataSync"),
                           InstanceMethod<&TensorWrap::DataAsync>("data"),
                           InstanceMethod<&TensorWrap::Item>("item"),
                           InstanceMethod<&TensorWrap::Dispose>("dispose"),
                           InstanceMethod<&TensorWrap::Backward>("backward"),
                           InstanceMethod<&TensorWrap::BackwardAsync>("backwardAsync"),
                           InstanceMethod<&TensorWrap::To>("to"),
                           InstanceMethod<&TensorWrap::Detach>("detach"),
                           InstanceMethod<&TensorWrap::Clone>("clone"),
                           InstanceMethod<&TensorWrap::ZeroGrad>("zeroGrad"),
                           StaticMethod<&TensorWrap::FromBuffer>("fromBuffer"),
                       });
  }

  explicit TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {
    Guard(info.Env(), [&]() -> Napi::Value {
      if (info.Length() != 1 || !info[0].IsExternal()) {
        ThrowArg("NativeTensor cannot be constructed from JS; use tensor() or fromBuffer()");
      }
      tensor_ = *info[0].As<Napi::External<torch::Tensor>>().Data();
      counters_ = MemoryCountersOf(info.Env());
      bytes_ = HostBytes(tensor_);
      counters_->tensors++;
      counters_->tensor_bytes += bytes_;
      if (bytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(info.Env(), bytes_);
      return info.Env().Undefined();
    });
  }

  ~TensorWrap() override { Release(nullptr); }

  const torch::Tensor& Get() const {
    if (disposed_) throw Error(code::kDisposed, "Tensor was disposed and cannot be used");
    return tensor_;
  }

 private:
  void Release(Napi::Env* env) {
    if (disposed_) return;
    disposed_ = true;
    tensor_ = torch::Tensor();
    if (counters_) {
      counters_->tensors--;
      counters_->tensor_bytes -= bytes_;
    }
    if (env && bytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(*env, -bytes_);
  }

  Napi::Value Shape(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      const auto& t = Get();
      auto arr = Napi::Array::New(info.Env(), t.dim());
      for (int64_t i = 0; i < t.dim(); ++i) arr.Set(i, Napi::Number::New(info.Env(), double(t.size(i))));
      return arr;
    });
  }
  Napi::Value Dtype(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      return Napi::String::New(info.Env(), DtypeName(Get().scalar_type()));
    });
  }
  Napi::Value Device(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      return Napi::String::New(info.Env(), DeviceName(Get().device()));
    });
  }
  Napi::Value IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }
  Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), Get().requires_grad()); });
  }
  void SetRequiresGrad(const Napi::CallbackInfo& info, const Napi::Value& value) {
    Guard(info.Env(), [&]() -> Napi::Value {
      if (!value.IsBoolean()) ThrowArg("Expected boolean for requiresGrad");
      bool want = value.As<Napi::Boolean>().Value();
      const auto& t = Get();
      if (want && !t.is_floating_point()) {
        throw Error(code::kDtype, "Only floating-point tensors can require gradients (got " +
                                      DtypeName(t.scalar_type()) + ")");
      }
      tensor_.set_requires_grad(want);
      return info.Env().Undefined();
    });
  }
  Napi::Value Grad(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      auto g = Get().grad();
      if (!g.defined()) return info.Env().Null();
      return WrapTensor(info.Env(), g);
    });
  }

  static Napi::Value ToTypedArray(Napi::Env env, const torch::Tensor& cpu) {
    const size_t n = static_cast<size_t>(cpu.numel());
    const size_t bytes = n * cpu.element_size();
    auto copy = [&](auto arr) -> Napi::Value {
      if (bytes) std::memcpy(arr.Data(), cpu.data_ptr(), bytes);
      return arr;
    };
    switch (cpu.scalar_type()) {
      case torch::kFloat32: return copy(Napi::Float32Array::New(env, n));
      case torch::kFloat64: return copy(Napi::Float64Array::New(env, n));
      case torch::kInt32: return copy(Napi::Int32Array::New(env, n));
      case torch::kInt64: return copy(Napi::BigInt64Array::New(env, n));
      case torch::kUInt8:
      case torch::kBool: return copy(Napi::Uint8Array::New(env, n));
      default:
        throw Error(code::kDtype, "Cannot read " + DtypeName(cpu.scalar_type()) + " data into JS; convert first");
    }
  }

  static torch::Tensor HostCopy(const torch::Tensor& t) {
    if (t.device().is_meta()) throw Error(code::kDevice, "A meta tensor has no data to read");
    return t.detach().to(torch::kCPU).contiguous();
  }

  Napi::Value DataSync(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return ToTypedArray(info.Env(), HostCopy(Get())); });
  }

  Napi::Value DataAsync(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      auto src = Get();
      auto out = std::make_shared<torch::Tensor>();
      return AsyncJob::Start(
          info.Env(), "mirrorgan.tensor.data", [src, out] { *out = HostCopy(src); },
          [out](Napi::Env env) { return ToTypedArray(env, *out); });
    });
  }

  Napi::Value Item(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      const auto& t = Get();
      if (t.numel() != 1) {
        throw Error(code::kShape, "item() needs a tensor with exactly one element, this one has " +
                                      std::to_string(t.numel()));
      }
      if (t.device().is_meta()) throw Error(code::kDevice, "A meta tensor has no data to read");
      return Napi::Number::New(info.Env(), t.item().toDouble());
    });
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Release(&env);
    return env.Undefined();
  }

  Napi::Value Backward(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      const auto& t = Get();
      if (!t.requires_grad()) {
        throw Error(code::kInvalidArg, "backward() on a tensor that does not require grad (no graph to run)");
      }
      torch::Tensor grad;
      if (info.Length() > 0 && !info[0].IsUndefined() && !info[0].IsNull()) {
        grad = UnwrapTensor(info[0], "gradient");
      } else if (t.numel() != 1) {
        throw Error(code::kShape, "backward() without a gradient needs a scalar; this tensor has " +
                                      std::to_string(t.numel()) + " elements");
      }
      t.backward(grad);
      return info.Env().Undefined();
    });
  }

  // backward() on libuv's pool: a GAN step's backward is most of its time.
  Napi::Value BackwardAsync(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      auto t = Get();
      if (!t.requires_grad()) {
        throw Error(code::kInvalidArg, "backward() on a tensor that does not require grad (no graph to run)");
      }
      if (t.numel() != 1) {
        throw Error(code::kShape, "backwardAsync() needs a scalar; this tensor has " + std::to_string(t.numel()) + " elements");
      }
      return AsyncJob::Start(info.Env(), "mirrorgan.backward", [t] { t.backward(); }, nullptr);
    });
  }

  Napi::Value To(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      std::string target = ArgString(info, 0, "device or dtype");
      const auto& t = Get();
      if (target == "float32" || target == "float64" || target == "int32" || target == "int64" ||
          target == "uint8" || target == "bool") {
        return WrapTensor(info.Env(), t.to(ParseDtype(target)));
      }
      // float16 is a storage type only (half-size weight files), so only to() produces it.
      if (target == "float16") return WrapTensor(info.Env(), t.to(torch::kFloat16));
      return WrapTensor(info.Env(), t.to(ParseDevice(target)));
    });
  }
  Napi::Value Detach(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return WrapTensor(info.Env(), Get().detach()); });
  }
  Napi::Value Clone(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return WrapTensor(info.Env(), Get().clone()); });
  }
  Napi::Value ZeroGrad(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      auto g = Get().grad();
      if (g.defined()) {
        g.detach_();
        g.zero_();
      }
      return info.Env().Undefined();
    });
  }

  // fromBuffer(typedArray, shape, dtype, device, requiresGrad)
  static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsTypedArray()) ThrowArg("Expected a TypedArray for data");
      auto arr = info[0].As<Napi::TypedArray>();
      auto shape = ArgShape(info.Length() > 1 ? info[1] : info.Env().Undefined(), "shape");
      auto dtype = ParseDtype(ArgString(info, 2, "dtype"));
      auto device = ParseDevice(ArgString(info, 3, "device"));
      bool requires_grad = info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();

      napi_typedarray_type want;
      switch (dtype) {
        case torch::kFloat32: want = napi_float32_array; break;
        case torch::kFloat64: want = napi_float64_array; break;
        case torch::kInt32: want = napi_int32_array; break;
        case torch::kInt64: want = napi_bigint64_array; break;
        default: want = napi_uint8_array; break;
      }
      if (arr.TypedArrayType() != want) {
        throw Error(code::kDtype, "Data array type does not match dtype " + DtypeName(dtype));
      }
      int64_t numel = 1;
      for (auto d : shape) numel *= d;
      if (static_cast<int64_t>(arr.ElementLength()) != numel) {
        throw Error(code::kShape, "Data has " + std::to_string(arr.ElementLength()) +
                                      " elements but the shape needs " + std::to_string(numel));
      }
      if (requires_grad && !c10::isFloatingType(dtype)) {
        throw Error(code::kDtype, "Only floating-point tensors can require gradients");
      }
      auto* base = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
      torch::Tensor t;
      if (dtype == torch::kBool) {
        // JS gives bytes; any non-zero byte is true.
        t = torch::from_blob(base, shape, torch::kUInt8).ne(0);
      } else {
        t = torch::from_blob(base, shape, dtype).clone();
      }
      if (!device.is_cpu()) t = t.to(device);
      if (requires_grad) t.set_requires_grad(true);
      return WrapTensor(info.Env(), t);
    });
  }

  torch::Tensor tensor_;
  bool disposed_ = false;
  int64_t bytes_ = 0;
  std::shared_ptr<MemoryCounters> counters_;
};

// The counters live beside the addon data but are shared-owned so a finalizer running during
// environment teardown never touches freed memory.
struct CountersHolder {
  std::shared_ptr<MemoryCounters> counters = std::make_shared<MemoryCounters>();
};

CountersHolder& Holder(Napi::Env env) {
  // Stored on the Tensor constructor function itself (per environment).
  auto& ctor = Data(env).tensor_ctor;
  auto ext = ctor.Value().Get("__counters");
  return *ext.As<Napi::External<CountersHolder>>().Data();
}

}  // namespace

std::shared_ptr<MemoryCounters> MemoryCountersOf(Napi::Env env) { return Holder(env).counters; }

int64_t HostBytes(const torch::Tensor& t) {
  return t.device().is_cpu() ? static_cast<int64_t>(t.numel() * t.element_size()) : 0;
}

torch::Tensor UnwrapTensor(const Napi::Value& v, const char* name) {
  if (!v.IsObject()) ThrowArg(std::string("Expected Tensor for ") + name);
  auto obj = v.As<Napi::Object>();
  Napi::Env env = v.Env();
  // A TS Tensor keeps its native handle in `handle`; accept either.
  Napi::Object native = obj;
  if (!obj.InstanceOf(Data(env).tensor_ctor.Value())) {
    Napi::Value h = obj.Get("handle");
    if (!h.IsObject() || !h.As<Napi::Object>().InstanceOf(Data(env).tensor_ctor.Value())) {
      ThrowArg(std::string("Expected Tensor for ") + name);
    }
    native = h.As<Napi::Object>();
  }
  auto* wrap = TensorWrap::Unwrap(native);
  try {
    return wrap->Get();
  } catch (const Error& e) {
    throw Error(e.code(), std::string(name) + ": " + e.what());
  }
}

Napi::Object WrapTensor(Napi::Env env, torch::Tensor t) {
  auto ext = Napi::External<torch::Tensor>::New(env, &t);
  return Data(env).tensor_ctor.New({ext});
}

void InitTensor(Napi::Env env, Napi::Object exports) {
  auto fn = TensorWrap::Define(env);
  auto* holder = new CountersHolder();
  fn.Set("__counters", Napi::External<CountersHolder>::New(env, holder, [](Napi::Env, CountersHolder* h) {
           delete h;
         }));
  Data(env).tensor_ctor = Napi::Persistent(fn);
  exports.Set("NativeTensor", fn);
  exports.Set("memory", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Guard(info.Env(), [&]() -> Napi::Value {
                  auto c = Holder(info.Env()).counters;
                  auto out = Napi::Object::New(info.Env());
                  out.Set("numTensors", Napi::Number::New(info.Env(), double(c->tensors.load())));
                  out.Set("numBytes", Napi::Number::New(info.Env(), double(c->tensor_bytes.load())));
                  out.Set("numModules", Napi::Number::New(info.Env(), double(c->modules.load())));
                  out.Set("moduleBytes", Napi::Number::New(info.Env(), double(c->module_bytes.load())));
                  return out;
                });
              }));
}

}  // namespace mg
