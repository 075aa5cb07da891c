// SPDX-License-Identifier: MIT
// Runtime facts and knobs: LibTorch version, CUDA, which BLAS is really loaded, intra-op
// threads, seeding, and a matmul throughput probe for `mirrorgan doctor`.
#include <ATen/Parallel.h>
#include <sched.h>
#include <torch/version.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <set>

#include "addon/async_job.h"
#include "addon/binding.h"

namespace mg {
namespace {

int UsableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

// Which BLAS did the dynamic loader actually map? (Debian resolves libblas.so.3 through
// update-alternatives; reference BLAS there makes matmul ~70x slower.)
Napi::Object BlasInfo(Napi::Env env) {
  std::set<std::string> libs;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    std::string file = line.substr(pos);
    auto base = file.substr(file.find_last_of('/') + 1);
    if (base.find("blas") != std::string::npos || base.find("mkl") != std::string::npos ||
        base.find("blis") != std::string::npos || base.find("lapack") != std::string::npos) {
      char buf[PATH_MAX];
      libs.insert(realpath(file.c_str(), buf) ? std::string(buf) : file);
    }
  }
  std::string name = "unknown";
  bool reference = false;
  for (const auto& l : libs) {
    if (l.find("openblas") != std::string::npos) { name = "OpenBLAS"; break; }
    if (l.find("mkl") != std::string::npos) { name = "MKL"; break; }
    if (l.find("blis") != std::string::npos) { name = "BLIS"; break; }
    if (l.find("atlas") != std::string::npos) { name = "ATLAS"; break; }
    if (l.find("/blas/libblas") != std::string::npos || l.find("libblas.so") != std::string::npos) {
      name = "reference BLAS (netlib)";
      reference = true;
    }
  }
  auto out = Napi::Object::New(env);
  out.Set("name", name);
  out.Set("reference", reference);
  auto arr = Napi::Array::New(env, libs.size());
  uint32_t i = 0;
  for (const auto& l : libs) arr.Set(i++, Napi::String::New(env, l));
  out.Set("libraries", arr);
  return out;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto out = Napi::Object::New(env);
    out.Set("torchVersion", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                                std::to_string(TORCH_VERSION_PATCH));
    bool cuda = torch::cuda::is_available();
    out.Set("cudaAvailable", cuda);
    out.Set("cudaDeviceCount", double(cuda ? torch::cuda::device_count() : 0));
    out.Set("cudnnAvailable", cuda && torch::cuda::cudnn_is_available());
    out.Set("numThreads", double(at::get_num_threads()));
    out.Set("usableCores", double(UsableCores()));
    out.Set("blas", BlasInfo(env));
    out.Set("parallelInfo", at::get_parallel_info());
    out.Set("buildConfig", at::show_config());
    return out;
  });
}

// matmulBenchmark(seconds, n) -> Promise<{ gflops, iterations, seconds, n }>
Napi::Value MatmulBenchmark(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    double seconds = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 1.0;
    int64_t n = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : 512;
    if (!(seconds > 0 && seconds <= 60) || n < 16 || n > 8192) ThrowArg("matmulBenchmark: seconds in (0, 60], n in [16, 8192]");
    struct R { double gflops = 0, secs = 0; int64_t iters = 0; };
    auto r = std::make_shared<R>();
    return AsyncJob::Start(
        info.Env(), "mirrorgan.bench",
        [seconds, n, r] {
          torch::NoGradGuard ng;
          auto a = torch::randn({n, n});
          auto b = torch::randn({n, n});
          auto c = torch::mm(a, b);  // warm-up
          auto t0 = std::chrono::steady_clock::now();
          double elapsed = 0;
          while (elapsed < seconds) {
            c = torch::mm(a, b);
            r->iters++;
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          }
          r->secs = elapsed;
          r->gflops = 2.0 * double(n) * n * n * r->iters / elapsed / 1e9;
        },
        [r, n](Napi::Env env) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("gflops", r->gflops);
          out.Set("iterations", double(r->iters));
          out.Set("seconds", r->secs);
          out.Set("n", double(n));
          return out;
        });
  });
}

}  // namespace

void InitRuntime(Napi::Env env, Napi::Object exports) {
  // LibTorch picks 1 intra-op thread on some machines; use the cores we may run on unless the
  // user said otherwise (MIRRORGAN_NUM_THREADS, or OMP_NUM_THREADS which LibTorch honours).
  if (const char* s = std::getenv("MIRRORGAN_NUM_THREADS")) {
    int n = std::atoi(s);
    if (n > 0) at::set_num_threads(n);
  } else if (!std::getenv("OMP_NUM_THREADS")) {
    at::set_num_threads(UsableCores());
  }

  exports.Set("runtimeInfo", Napi::Function::New(env, Info));
  exports.Set("matmulBenchmark", Napi::Function::New(env, MatmulBenchmark));
  exports.Set("setNumThreads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Guard(info.Env(), [&]() -> Napi::Value {
                  double n = ArgNumber(info, 0, "threads");
                  if (n < 1 || n > 1024 || n != std::floor(n)) ThrowArg("Expected integer between 1 and 1024 for threads");
                  at::set_num_threads(static_cast<int>(n));
                  return info.Env().Undefined();
                });
              }));
  exports.Set("getNumThreads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::Number::New(info.Env(), at::get_num_threads());
              }));
  exports.Set("manualSeed", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Guard(info.Env(), [&]() -> Napi::Value {
                  double s = ArgNumber(info, 0, "seed");
                  if (s < 0 || s != std::floor(s) || s > 9007199254740991.0) {
                    ThrowArg("Expected non-negative integer for seed");
                  }
                  torch::manual_seed(static_cast<uint64_t>(s));
                  return info.Env().Undefined();
                });
              }));
  // setDeterministic(on): serial native jobs (async_job.h) and LibTorch's deterministic kernels
  // (CUDA: deterministic algorithms where they exist, a warning where none does; cuDNN without
  // autotuning; cuBLAS's fixed workspace, which takes effect when set before CUDA starts).
  exports.Set("setDeterministic", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Guard(info.Env(), [&]() -> Napi::Value {
                  bool on = ArgBool(info, 0, "deterministic");
                  AsyncJob::Serial().store(on);
                  auto& ctx = at::globalContext();
                  ctx.setDeterministicAlgorithms(on, /*warn_only=*/true);
                  ctx.setDeterministicCuDNN(on);
                  if (on) ctx.setBenchmarkCuDNN(false);
                  if (on) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
                  return info.Env().Undefined();
                });
              }));
  exports.Set("getDeterministic", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::Boolean::New(info.Env(), AsyncJob::Serial().load());
              }));
  exports.Set("cudaAvailable", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
              }));
}

}  // namespace mg
