// SPDX-License-Identifier: MIT
// Tensor files. TypeScript parses and validates the safetensors JSON header; this file moves
// the raw bytes (off the main thread) and writes atomically: temp file, fsync, rename, so a
// crash never leaves a half-written checkpoint under the real name.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include <torch/serialize.h>

#include "addon/async_job.h"
#include "addon/binding.h"

namespace mg {
namespace {

torch::Dtype SafetensorsDtype(const std::string& s) {
  if (s == "F32") return torch::kFloat32;
  if (s == "F64") return torch::kFloat64;
  if (s == "F16") return torch::kFloat16;
  if (s == "BF16") return torch::kBFloat16;
  if (s == "I64") return torch::kInt64;
  if (s == "I32") return torch::kInt32;
  if (s == "I16") return torch::kInt16;
  if (s == "I8") return torch::kInt8;
  if (s == "U8") return torch::kUInt8;
  if (s == "BOOL") return torch::kBool;
  throw Error(code::kDtype, "safetensors dtype '" + s + "' is not supported");
}

std::string SysError(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void WriteAll(int fd, const void* data, size_t n, const std::string& path) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw Error(code::kFile, SysError("cannot write", path));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void WriteAtomic(const std::string& path, const std::vector<uint8_t>& head, const std::vector<torch::Tensor>& tensors) {
  std::random_device rd;
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  Fd f;
  f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (f.fd < 0) throw Error(code::kFile, SysError("cannot create", tmp));
  try {
    WriteAll(f.fd, head.data(), head.size(), tmp);
    for (const auto& t : tensors) {
      auto c = t.detach().to(torch::kCPU).contiguous();
      WriteAll(f.fd, c.data_ptr(), static_cast<size_t>(c.numel() * c.element_size()), tmp);
    }
    if (::fsync(f.fd) != 0) throw Error(code::kFile, SysError("cannot fsync", tmp));
    ::close(f.fd);
    f.fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw Error(code::kFile, SysError("cannot rename onto", path));
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  // Make the rename itself durable.
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  Fd d;
  d.fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d.fd >= 0) ::fsync(d.fd);
}

struct Entry {
  torch::Dtype dtype;
  std::vector<int64_t> shape;
  int64_t begin, end;
};

std::vector<torch::Tensor> ReadEntries(const std::string& path, int64_t data_start, const std::vector<Entry>& entries) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) throw Error(code::kFile, SysError("cannot open", path));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw Error(code::kFile, SysError("cannot stat", path));
  std::vector<torch::Tensor> out;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
    const int64_t n = e.end - e.begin;
    if (n != static_cast<int64_t>(t.numel() * t.element_size())) {
      throw Error(code::kFile, "'" + path + "' is corrupt: a tensor's byte range does not match its shape");
    }
    if (data_start + e.end > st.st_size) {
      throw Error(code::kFile, "'" + path + "' is truncated: it ends at byte " + std::to_string(st.st_size) +
                                   " but a tensor needs bytes up to " + std::to_string(data_start + e.end));
    }
    auto* dst = static_cast<uint8_t*>(t.data_ptr());
    int64_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(f.fd, dst + done, static_cast<size_t>(n - done), data_start + e.begin + done);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) throw Error(code::kFile, "'" + path + "' is truncated or unreadable");
      done += r;
    }
    out.push_back(t);
  }
  return out;
}

Napi::Array TensorArray(Napi::Env env, const std::vector<torch::Tensor>& ts) {
  auto arr = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); ++i) arr.Set(uint32_t(i), WrapTensor(env, ts[i]));
  return arr;
}

}  // namespace

void InitSerialization(Napi::Env env, Napi::Object exports) {
  // writeTensorFile(path, head: Uint8Array, tensors: Tensor[]) -> Promise<void>
  exports.Set("writeTensorFile", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Guard(info.Env(), [&]() -> Napi::Value {
                  auto path = ArgString(info, 0, "path");
                  if (info.Length() < 2 || !info[1].IsTypedArray()) ThrowArg("Expected Uint8Array for head");
                  auto u8 = info[1].As<Napi::Uint8Array>();
                  std::vector<uint8_t> head(u8.Data(), u8.Data() + u8.ByteLength());
                  if (info.Length() < 3 || !info[2].IsArray()) ThrowArg("Expected array of tensors");
                  auto arr = info[2].As<Napi::Array>();
                  std::vector<torch::Tensor> ts;
                  for (uint32_t i = 0; i < arr.Length(); ++i) ts.push_back(UnwrapTensor(arr.Get(i), "tensors[i]"));
                  return AsyncJob::Start(info.Env(), "mirrorgan.save",
                                         [path, head, ts] { WriteAtomic(path, head, ts); }, nullptr);
                });
              }));

  // readTensorFile(path, dataStart, entries: {dtype, shape, begin, end}[]) -> Promise<Tensor[]>
  exports.Set("readTensorFile", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Guard(info.Env(), [&]() -> Napi::Value {
                  auto path = ArgString(info, 0, "path");
                  auto start = static_cast<int64_t>(ArgNumber(info, 1, "dataStart"));
                  if (info.Length() < 3 || !info[2].IsArray()) ThrowArg("Expected array of entries");
                  auto arr = info[2].As<Napi::Array>();
                  std::vector<Entry> entries;
                  for (uint32_t i = 0; i < arr.Length(); ++i) {
                    auto o = arr.Get(i).As<Napi::Object>();
                    entries.push_back({SafetensorsDtype(o.Get("dtype").As<Napi::String>().Utf8Value()),
                                       ArgShape(o.Get("shape"), "shape"),
                                       static_cast<int64_t>(o.Get("begin").As<Napi::Number>().DoubleValue()),
                                       static_cast<int64_t>(o.Get("end").As<Napi::Number>().DoubleValue())});
                  }
                  auto result = std::make_shared<std::vector<torch::Tensor>>();
                  return AsyncJob::Start(
                      info.Env(), "mirrorgan.load", [path, start, entries, result] { *result = ReadEntries(path, start, entries); },
                      [result](Napi::Env env) -> Napi::Value { return TensorArray(env, *result); });
                });
              }));

  // pickleLoad(path) -> Promise<{ key: Tensor }>: a Python torch.save zip holding a dict of tensors.
  exports.Set("pickleLoad", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Guard(info.Env(), [&]() -> Napi::Value {
                  auto path = ArgString(info, 0, "path");
                  auto result = std::make_shared<TensorMap>();
                  return AsyncJob::Start(
                      info.Env(), "mirrorgan.pickleLoad",
                      [path, result] {
                        std::ifstream in(path, std::ios::binary);
                        if (!in) throw Error(code::kFile, "cannot open '" + path + "'");
                        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
                        if (bytes.size() < 4 || bytes[0] != 'P' || bytes[1] != 'K') {
                          throw Error(code::kFile, "'" + path + "' is not a zip-format torch.save file (legacy "
                                                   "pre-1.6 files cannot be read; convert with scripts/pth2safetensors.py)");
                        }
                        torch::IValue v;
                        try {
                          v = torch::pickle_load(bytes);
                        } catch (const c10::Error& e) {
                          throw Error(code::kFile, "'" + path + "' could not be unpickled by LibTorch (" +
                                                   std::string(e.what_without_backtrace()).substr(0, 200) +
                                                   "); save a plain dict, e.g. torch.save(dict(sd), path)");
                        }
                        if (!v.isGenericDict()) {
                          throw Error(code::kFile, "'" + path + "' does not hold a dict of tensors");
                        }
                        for (const auto& item : v.toGenericDict()) {
                          if (!item.key().isString() || !item.value().isTensor()) {
                            throw Error(code::kFile, "'" + path + "' holds a non-tensor entry; only str -> Tensor dicts load");
                          }
                          (*result)[item.key().toStringRef()] = item.value().toTensor();
                        }
                      },
                      [result](Napi::Env env) -> Napi::Value { return FromTensorMap(env, *result); });
                });
              }));

  // pickleSave(path, { key: Tensor }) -> Promise<void>: a file Python reads with torch.load.
  exports.Set("pickleSave", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Guard(info.Env(), [&]() -> Napi::Value {
                  auto path = ArgString(info, 0, "path");
                  auto map = ToTensorMap(info.Length() > 1 ? info[1] : info.Env().Undefined(), "tensors");
                  return AsyncJob::Start(info.Env(), "mirrorgan.pickleSave",
                                         [path, map] {
                                           c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
                                           for (const auto& [k, t] : map) dict.insert(k, t.detach().to(torch::kCPU));
                                           auto bytes = torch::pickle_save(dict);
                                           std::vector<uint8_t> head(bytes.begin(), bytes.end());
                                           WriteAtomic(path, head, {});
                                         },
                                         nullptr);
                });
              }));
}

}  // namespace mg
