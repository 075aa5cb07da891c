// SPDX-License-Identifier: MIT
// The small set of tensor operations the TypeScript side composes with: creation, elementwise
// arithmetic, reductions and reshapes. Heavy maths lives in native modules and functions.
#include "addon/binding.h"

namespace mg {
namespace {

using Fn = std::function<Napi::Value(const Napi::CallbackInfo&)>;

void Add(Napi::Env env, Napi::Object ops, const char* name, Fn fn) {
  ops.Set(name, Napi::Function::New(env, [fn, name](const Napi::CallbackInfo& info) -> Napi::Value {
            return Guard(info.Env(), [&]() -> Napi::Value { return fn(info); });
          }, name));
}

torch::Tensor T(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length()) ThrowArg(std::string("Expected Tensor for ") + name);
  return UnwrapTensor(info[i], name);
}

// Elementwise binary operations need both operands on one device; say so plainly.
void SameDevice(const torch::Tensor& a, const torch::Tensor& b, const char* op) {
  if (a.device() != b.device()) {
    throw Error(code::kDevice, std::string(op) + ": tensors are on different devices (" + DeviceName(a.device()) +
                                   " and " + DeviceName(b.device()) + ")");
  }
}

torch::TensorOptions Creation(const Napi::CallbackInfo& info, size_t dtype_i, size_t device_i) {
  auto dtype = info.Length() > dtype_i && info[dtype_i].IsString()
                   ? ParseDtype(info[dtype_i].As<Napi::String>().Utf8Value())
                   : torch::kFloat32;
  auto device = info.Length() > device_i && info[device_i].IsString()
                    ? ParseDevice(info[device_i].As<Napi::String>().Utf8Value())
                    : torch::Device(torch::kCPU);
  return torch::TensorOptions().dtype(dtype).device(device);
}

std::vector<torch::Tensor> TensorList(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsArray()) ThrowArg(std::string("Expected array of tensors for ") + name);
  auto arr = info[i].As<Napi::Array>();
  std::vector<torch::Tensor> out;
  for (uint32_t k = 0; k < arr.Length(); ++k) out.push_back(UnwrapTensor(arr.Get(k), name));
  return out;
}

std::vector<int64_t> Dims(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return {};
  auto arr = info[i].As<Napi::Array>();
  std::vector<int64_t> dims;
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr.Get(k);
    if (!v.IsNumber()) ThrowArg("Expected integer dimensions");
    dims.push_back(v.As<Napi::Number>().Int64Value());
  }
  return dims;
}

void Binary(Napi::Env env, Napi::Object ops, const char* name,
            std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> tt,
            std::function<torch::Tensor(const torch::Tensor&, double)> ts) {
  Add(env, ops, name, [tt, ts, name](const Napi::CallbackInfo& info) -> Napi::Value {
    auto a = T(info, 0, "a");
    if (info.Length() > 1 && info[1].IsNumber()) {
      return WrapTensor(info.Env(), ts(a, info[1].As<Napi::Number>().DoubleValue()));
    }
    auto b = T(info, 1, "b");
    SameDevice(a, b, name);
    return WrapTensor(info.Env(), tt(a, b));
  });
}

void Unary(Napi::Env env, Napi::Object ops, const char* name, std::function<torch::Tensor(const torch::Tensor&)> f) {
  Add(env, ops, name, [f](const Napi::CallbackInfo& info) -> Napi::Value {
    return WrapTensor(info.Env(), f(T(info, 0, "x")));
  });
}

}  // namespace

void InitOps(Napi::Env env, Napi::Object exports) {
  auto ops = Napi::Object::New(env);

  // creation: (shape, dtype?, device?)
  Add(env, ops, "zeros", [](const Napi::CallbackInfo& info) -> Napi::Value {
    return WrapTensor(info.Env(), torch::zeros(ArgShape(info[0], "shape"), Creation(info, 1, 2)));
  });
  Add(env, ops, "ones", [](const Napi::CallbackInfo& info) -> Napi::Value {
    return WrapTensor(info.Env(), torch::ones(ArgShape(info[0], "shape"), Creation(info, 1, 2)));
  });
  Add(env, ops, "full", [](const Napi::CallbackInfo& info) -> Napi::Value {
    double v = ArgNumber(info, 1, "value");
    return WrapTensor(info.Env(), torch::full(ArgShape(info[0], "shape"), v, Creation(info, 2, 3)));
  });
  Add(env, ops, "randn", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto opts = Creation(info, 1, 2);
    if (!c10::isFloatingType(c10::typeMetaToScalarType(opts.dtype()))) {
      throw Error(code::kDtype, "randn needs a floating-point dtype");
    }
    return WrapTensor(info.Env(), torch::randn(ArgShape(info[0], "shape"), opts));
  });
  Add(env, ops, "rand", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto opts = Creation(info, 1, 2);
    if (!c10::isFloatingType(c10::typeMetaToScalarType(opts.dtype()))) {
      throw Error(code::kDtype, "rand needs a floating-point dtype");
    }
    return WrapTensor(info.Env(), torch::rand(ArgShape(info[0], "shape"), opts));
  });

  Binary(env, ops, "add", [](auto& a, auto& b) { return a + b; }, [](auto& a, double s) { return a + s; });
  Binary(env, ops, "sub", [](auto& a, auto& b) { return a - b; }, [](auto& a, double s) { return a - s; });
  Binary(env, ops, "mul", [](auto& a, auto& b) { return a * b; }, [](auto& a, double s) { return a * s; });
  Binary(env, ops, "div", [](auto& a, auto& b) { return a / b; }, [](auto& a, double s) { return a / s; });
  Binary(env, ops, "pow", [](auto& a, auto& b) { return a.pow(b); }, [](auto& a, double s) { return a.pow(s); });
  Binary(env, ops, "matmul", [](auto& a, auto& b) { return a.matmul(b); },
         [](auto&, double) -> torch::Tensor { ThrowArg("matmul needs two tensors"); });

  Unary(env, ops, "neg", [](auto& x) { return -x; });
  Unary(env, ops, "exp", [](auto& x) { return x.exp(); });
  Unary(env, ops, "log", [](auto& x) { return x.log(); });
  Unary(env, ops, "abs", [](auto& x) { return x.abs(); });
  Unary(env, ops, "sqrt", [](auto& x) { return x.sqrt(); });
  Unary(env, ops, "tanh", [](auto& x) { return x.tanh(); });
  Unary(env, ops, "sigmoid", [](auto& x) { return x.sigmoid(); });
  Unary(env, ops, "relu", [](auto& x) { return x.relu(); });

  // reductions: (x, dims?, keepdim?)
  Add(env, ops, "sum", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto x = T(info, 0, "x");
    auto dims = Dims(info, 1);
    bool keep = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
    return WrapTensor(info.Env(), dims.empty() ? x.sum() : x.sum(dims, keep));
  });
  Add(env, ops, "mean", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto x = T(info, 0, "x");
    if (!x.is_floating_point()) throw Error(code::kDtype, "mean needs a floating-point tensor");
    auto dims = Dims(info, 1);
    bool keep = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
    return WrapTensor(info.Env(), dims.empty() ? x.mean() : x.mean(dims, keep));
  });
  Add(env, ops, "maxAbsDiff", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto a = T(info, 0, "a");
    auto b = T(info, 1, "b");
    SameDevice(a, b, "maxAbsDiff");
    if (a.sizes() != b.sizes()) {
      std::ostringstream s;
      s << "maxAbsDiff: shapes differ (" << a.sizes() << " vs " << b.sizes() << ")";
      throw Error(code::kShape, s.str());
    }
    if (a.numel() == 0) return Napi::Number::New(info.Env(), 0);
    auto d = (a.detach().to(torch::kFloat64) - b.detach().to(torch::kFloat64)).abs().max();
    return Napi::Number::New(info.Env(), d.item<double>());
  });
  Add(env, ops, "allFinite", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto x = T(info, 0, "x");
    bool ok = !x.is_floating_point() || torch::isfinite(x.detach()).all().item<bool>();
    return Napi::Boolean::New(info.Env(), ok);
  });

  // shapes
  Add(env, ops, "reshape", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto x = T(info, 0, "x");
    std::vector<int64_t> shape;
    auto arr = info[1].As<Napi::Array>();
    for (uint32_t k = 0; k < arr.Length(); ++k) shape.push_back(arr.Get(k).As<Napi::Number>().Int64Value());
    return WrapTensor(info.Env(), x.reshape(shape));
  });
  Add(env, ops, "transpose", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto x = T(info, 0, "x");
    return WrapTensor(info.Env(), x.transpose(int64_t(ArgNumber(info, 1, "dim0")), int64_t(ArgNumber(info, 2, "dim1"))));
  });
  Add(env, ops, "indexSelect", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto x = T(info, 0, "x");
    auto index = T(info, 2, "index");
    if (index.scalar_type() != torch::kLong || index.dim() != 1) ThrowArg("Expected a 1-D int64 tensor for index of indexSelect");
    SameDevice(x, index, "indexSelect");
    return WrapTensor(info.Env(), x.index_select(int64_t(ArgNumber(info, 1, "dim")), index));
  });
  Add(env, ops, "cat", [](const Napi::CallbackInfo& info) -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsArray()) ThrowArg("Expected array of tensors for cat");
    auto arr = info[0].As<Napi::Array>();
    std::vector<torch::Tensor> ts;
    for (uint32_t k = 0; k < arr.Length(); ++k) ts.push_back(UnwrapTensor(arr.Get(k), "tensors[i]"));
    for (size_t k = 1; k < ts.size(); ++k) SameDevice(ts[0], ts[k], "cat");
    int64_t dim = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : 0;
    return WrapTensor(info.Env(), torch::cat(ts, dim));
  });

  // interpolate(x, size, mode): (B, C, H, W) -> (B, C, size, size)
  Add(env, ops, "interpolate", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto x = T(info, 0, "images");
    if (x.dim() != 4) throw Error(code::kShape, "interpolate: expected (B, C, H, W) images");
    auto size = static_cast<int64_t>(ArgNumber(info, 1, "size"));
    auto mode = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "bilinear";
    namespace F = torch::nn::functional;
    auto opts = F::InterpolateFuncOptions().size(std::vector<int64_t>{size, size});
    if (mode == "bilinear") {
      opts = opts.mode(torch::kBilinear).align_corners(false);
    } else if (mode == "nearest") {
      opts = opts.mode(torch::kNearest);
    } else {
      ThrowArg("interpolate: mode must be 'bilinear' or 'nearest'");
    }
    return WrapTensor(info.Env(), F::interpolate(x, opts));
  });
  // emaUpdate(averages[], params[], decay): avg <- decay * avg + (1 - decay) * param, in place,
  // outside autograd (MirrorGAN keeps a 0.999 moving average of G's parameters).
  Add(env, ops, "emaUpdate", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto avg = TensorList(info, 0, "averages");
    auto src = TensorList(info, 1, "params");
    double decay = ArgNumber(info, 2, "decay");
    if (avg.size() != src.size()) ThrowArg("emaUpdate: averages and params differ in length");
    if (!(decay >= 0 && decay <= 1)) ThrowArg("emaUpdate: decay must be in [0, 1]");
    torch::NoGradGuard ng;
    for (size_t i = 0; i < avg.size(); ++i) {
      if (avg[i].sizes() != src[i].sizes()) throw Error(code::kShape, "emaUpdate: tensor " + std::to_string(i) + " differs in shape");
      avg[i].mul_(decay).add_(src[i].detach(), 1.0 - decay);
    }
    return info.Env().Undefined();
  });
  // copyInto(targets[], sources[]): in-place copies outside autograd (load EMA weights, ...).
  Add(env, ops, "copyInto", [](const Napi::CallbackInfo& info) -> Napi::Value {
    auto dst = TensorList(info, 0, "targets");
    auto src = TensorList(info, 1, "sources");
    if (dst.size() != src.size()) ThrowArg("copyInto: targets and sources differ in length");
    torch::NoGradGuard ng;
    for (size_t i = 0; i < dst.size(); ++i) {
      if (dst[i].sizes() != src[i].sizes()) throw Error(code::kShape, "copyInto: tensor " + std::to_string(i) + " differs in shape");
      dst[i].copy_(src[i]);
    }
    return info.Env().Undefined();
  });

  exports.Set("ops", ops);
}

}  // namespace mg
