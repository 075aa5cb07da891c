// SPDX-License-Identifier: MIT
#include "addon/binding.h"

#include <cmath>

namespace mg {

AddonData& Data(Napi::Env env) {
  auto* data = env.GetInstanceData<AddonData>();
  if (!data) throw Error(code::kInternal, "mirrorgan-native addon is not initialised in this environment");
  return *data;
}

Napi::Error MakeJsError(Napi::Env env, const ErrorInfo& info) {
  auto err = Napi::Error::New(env, info.message);
  err.Set("code", Napi::String::New(env, info.code));
  return err;
}

void ThrowArg(const std::string& message) { throw Error(code::kInvalidArg, message); }

namespace {
std::string TypeOf(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_object: return v.IsArray() ? "array" : "object";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_bigint: return "bigint";
  }
  return "unknown";
}
}  // namespace

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsString()) {
    ThrowArg(std::string("Expected string for ") + name + " but received " +
             (i < info.Length() ? TypeOf(info[i]) : "nothing"));
  }
  return info[i].As<Napi::String>().Utf8Value();
}

double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    ThrowArg(std::string("Expected number for ") + name + " but received " +
             (i < info.Length() ? TypeOf(info[i]) : "nothing"));
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsBoolean()) {
    ThrowArg(std::string("Expected boolean for ") + name + " but received " +
             (i < info.Length() ? TypeOf(info[i]) : "nothing"));
  }
  return info[i].As<Napi::Boolean>().Value();
}

Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsObject()) {
    ThrowArg(std::string("Expected object for ") + name + " but received " +
             (i < info.Length() ? TypeOf(info[i]) : "nothing"));
  }
  return info[i].As<Napi::Object>();
}

std::vector<int64_t> ArgShape(const Napi::Value& v, const char* name) {
  if (!v.IsArray()) ThrowArg(std::string("Expected array of integers for ") + name + " but received " + TypeOf(v));
  auto arr = v.As<Napi::Array>();
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    double d = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : -1;
    if (!e.IsNumber() || d < 0 || std::floor(d) != d || d > 9.0e15) {
      ThrowArg(std::string("Expected non-negative integer at ") + name + "[" + std::to_string(i) + "]");
    }
    shape.push_back(static_cast<int64_t>(d));
  }
  return shape;
}

torch::Dtype ParseDtype(const std::string& s) {
  if (s == "float32") return torch::kFloat32;
  if (s == "float64") return torch::kFloat64;
  if (s == "int32") return torch::kInt32;
  if (s == "int64") return torch::kInt64;
  if (s == "uint8") return torch::kUInt8;
  if (s == "bool") return torch::kBool;
  throw Error(code::kDtype, "Unknown dtype '" + s + "' (expected float32, float64, int32, int64, uint8 or bool)");
}

std::string DtypeName(torch::Dtype d) {
  switch (d) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kInt32: return "int32";
    case torch::kInt64: return "int64";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    case torch::kInt8: return "int8";
    case torch::kInt16: return "int16";
    default: return c10::toString(d);
  }
}

torch::Device ParseDevice(const std::string& s) {
  if (s == "cpu") return torch::Device(torch::kCPU);
  if (s == "meta") return torch::Device(torch::kMeta);
  if (s == "cuda" || s.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw Error(code::kDevice, "CUDA is not available (this LibTorch build or machine has no usable GPU)");
    }
    torch::Device d(s);
    if (d.has_index() && d.index() >= static_cast<int64_t>(torch::cuda::device_count())) {
      throw Error(code::kDevice, "CUDA device " + s + " does not exist (" +
                                     std::to_string(torch::cuda::device_count()) + " visible)");
    }
    return d;
  }
  throw Error(code::kDevice, "Unknown device '" + s + "' (expected 'cpu', 'cuda', 'cuda:N' or 'meta')");
}

std::string DeviceName(const torch::Device& d) {
  if (d.is_cpu()) return "cpu";
  if (d.is_cuda()) return d.has_index() ? "cuda:" + std::to_string(d.index()) : "cuda";
  if (d.is_meta()) return "meta";
  return d.str();
}

Options ToOptions(const Napi::Value& v) {
  Options out;
  if (v.IsUndefined() || v.IsNull()) return out;
  if (!v.IsObject() || v.IsArray()) ThrowArg("Expected options object but received " + TypeOf(v));
  auto obj = v.As<Napi::Object>();
  auto keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value val = obj.Get(key);
    if (val.IsUndefined()) continue;
    if (val.IsNumber()) {
      out.Set(key, val.As<Napi::Number>().DoubleValue());
    } else if (val.IsBoolean()) {
      out.Set(key, val.As<Napi::Boolean>().Value());
    } else if (val.IsString()) {
      out.Set(key, val.As<Napi::String>().Utf8Value());
    } else if (val.IsArray()) {
      auto arr = val.As<Napi::Array>();
      std::vector<double> nums;
      for (uint32_t j = 0; j < arr.Length(); ++j) {
        Napi::Value e = arr.Get(j);
        if (!e.IsNumber()) ThrowArg("Expected array of numbers for option '" + key + "'");
        nums.push_back(e.As<Napi::Number>().DoubleValue());
      }
      out.Set(key, nums);
    } else {
      ThrowArg("Unsupported value of type " + TypeOf(val) + " for option '" + key + "'");
    }
  }
  return out;
}

TensorMap ToTensorMap(const Napi::Value& v, const char* name) {
  if (!v.IsObject() || v.IsArray()) {
    ThrowArg(std::string("Expected object of tensors for ") + name + " but received " + TypeOf(v));
  }
  TensorMap map;
  auto obj = v.As<Napi::Object>();
  auto keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value val = obj.Get(key);
    if (val.IsUndefined() || val.IsNull()) continue;
    map[key] = UnwrapTensor(val, (std::string(name) + "." + key).c_str());
  }
  return map;
}

Napi::Object FromTensorMap(Napi::Env env, const TensorMap& map) {
  auto obj = Napi::Object::New(env);
  for (const auto& [k, t] : map) {
    if (t.defined()) obj.Set(k, WrapTensor(env, t));
  }
  return obj;
}

}  // namespace mg
