// SPDX-License-Identifier: MIT
// AsyncJob: runs native work on libuv's pool and settles a Promise. `work` must not touch any
// Napi value; `done` turns its results into JS on the main thread.
//
// Serial mode (setDeterministic): jobs run at once on the calling thread instead. LibTorch's
// autograd engine orders ready nodes by a per-thread sequence number (ATen/SequenceNumber.h),
// so when a step's graph is built partly on whichever pool worker picked up a job, the order
// in which a tensor's incoming gradients are summed depends on which thread ran what before:
// two runs with the same seed then differ in the last bits, and a resumed run differs from an
// uninterrupted one. With every graph built on one thread the order is the creation order.
#pragma once

#include <ATen/Parallel.h>
#include <napi.h>

#include <atomic>
#include <functional>
#include <utility>

#include "addon/binding.h"

namespace mg {

class AsyncJob : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  using Finally = std::function<void()>;

  // Where a job may run: anywhere (on the calling thread in serial mode), or always on the pool
  // (collectives: they build no graph, and overlap with the caller's work).
  enum class Where { kAnywhere, kPool };

  // Serial mode, process-wide (see the file comment).
  static std::atomic<bool>& Serial() {
    static std::atomic<bool> serial{false};
    return serial;
  }

  // Queues the job and returns its promise. `finally` runs on the main thread after either
  // outcome (releases busy flags).
  static Napi::Promise Start(Napi::Env env, const char* name, Work work, Done done, Finally finally = {},
                             Where where = Where::kAnywhere) {
    if (where == Where::kAnywhere && Serial().load()) return RunHere(env, work, done, finally);
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
  // Serial mode: the job's work, `finally` and settling, all on the calling thread.
  static Napi::Promise RunHere(Napi::Env env, const Work& work, const Done& done, const Finally& finally) {
    auto deferred = Napi::Promise::Deferred::New(env);
    bool ok = true;
    ErrorInfo error;
    try {
      work();
    } catch (...) {
      error = CurrentErrorInfo();
      ok = false;
    }
    if (finally) finally();
    if (!ok) {
      deferred.Reject(MakeJsError(env, error).Value());
      return deferred.Promise();
    }
    try {
      deferred.Resolve(done ? done(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred.Reject(e.Value());
    } catch (...) {
      deferred.Reject(MakeJsError(env, CurrentErrorInfo()).Value());
    }
    return deferred.Promise();
  }

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
