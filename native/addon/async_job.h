// SPDX-License-Identifier: MIT
// AsyncJob: runs native work on libuv's pool and settles a Promise. `work` must not touch any
// Napi value; `done` turns its results into JS on the main thread.
#pragma once

#include <ATen/Parallel.h>
#include <napi.h>

#include <functional>
#include <utility>

#include "addon/binding.h"

namespace mg {

class AsyncJob : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  using Finally = std::function<void()>;

  // Queues the job and returns its promise. `finally` runs on the main thread after either
  // outcome (releases busy flags).
  static Napi::Promise Start(Napi::Env env, const char* name, Work work, Done done, Finally finally = {}) {
    auto* job = new AsyncJob(env, name, std::move(work), std::move(done), std::move(finally));
    auto promise = job->deferred_.Promise();
    job->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      // Intra-op thread settings and grad mode are thread-local in LibTorch: set them here.
      at::init_num_threads();
      work_();
    } catch (...) {
      error_ = CurrentErrorInfo();
      SetError(error_.message);
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    RunFinally();
    try {
      deferred_.Resolve(done_ ? done_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(MakeJsError(env, CurrentErrorInfo()).Value());
    }
  }

  void OnError(const Napi::Error&) override {
    RunFinally();
    deferred_.Reject(MakeJsError(Env(), error_).Value());
  }

 private:
  AsyncJob(Napi::Env env, const char* name, Work work, Done done, Finally finally)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        done_(std::move(done)),
        finally_(std::move(finally)) {}

  void RunFinally() {
    if (finally_) finally_();
    finally_ = nullptr;
  }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  Finally finally_;
  ErrorInfo error_;
};

}  // namespace mg
