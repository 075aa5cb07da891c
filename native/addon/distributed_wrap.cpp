// SPDX-License-Identifier: MIT
// N-API layer over native/dist: distributedSupport(), distJoin(options) -> Promise of a
// NativeProcessGroup whose collectives run on libuv's pool (one at a time: ranks must issue
// them in the same order). The TypeScript layer (lib/dist.ts) validates every argument first.
#include "addon/async_job.h"
#include "addon/binding.h"
#include "distributed/collective.h"
#include "distributed/data_parallel.h"

namespace mg {
namespace {

using GroupPtr = std::shared_ptr<dist::Collective>;

std::vector<torch::Tensor> Tensors(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsArray()) ThrowArg(std::string("Expected array of tensors for ") + name);
  auto arr = info[i].As<Napi::Array>();
  std::vector<torch::Tensor> out;
  for (uint32_t k = 0; k < arr.Length(); ++k) out.push_back(UnwrapTensor(arr.Get(k), name));
  return out;
}

// A required integer option within [min, max] (lib/distributed.ts validated it already).
int64_t IntIn(const Options& o, const char* key, int64_t min, int64_t max) {
  const int64_t v = o.Int(key);
  if (v < min || v > max) BadOption(key, "an integer between " + std::to_string(min) + " and " + std::to_string(max), std::to_string(v));
  return v;
}

int64_t BucketBytes(const Napi::CallbackInfo& info, size_t i) {
  double b = ArgNumber(info, i, "bucketBytes");
  if (!(b >= 1 && b <= 9.0e15) || b != std::floor(b)) ThrowArg("Expected positive integer for bucketBytes");
  return static_cast<int64_t>(b);
}

class ProcessGroupWrap : public Napi::ObjectWrap<ProcessGroupWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeProcessGroup",
                       {
                           InstanceAccessor<&ProcessGroupWrap::Rank>("rank"),
                           InstanceAccessor<&ProcessGroupWrap::WorldSize>("worldSize"),
                           InstanceAccessor<&ProcessGroupWrap::Backend>("backend"),
                           InstanceAccessor<&ProcessGroupWrap::Device>("device"),
                           InstanceMethod<&ProcessGroupWrap::Broadcast>("broadcast"),
                           InstanceMethod<&ProcessGroupWrap::AllReduceMean>("allReduceMean"),
                           InstanceMethod<&ProcessGroupWrap::AllReduceGradients>("allReduceGradients"),
                           InstanceMethod<&ProcessGroupWrap::AllGather>("allGather"),
                           InstanceMethod<&ProcessGroupWrap::Barrier>("barrier"),
                           InstanceMethod<&ProcessGroupWrap::Counters>("counters"),
                           InstanceMethod<&ProcessGroupWrap::Shutdown>("shutdown"),
                       });
  }

  explicit ProcessGroupWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroupWrap>(info) {
    Guard(info.Env(), [&]() -> Napi::Value {
      if (info.Length() != 1 || !info[0].IsExternal()) ThrowArg("NativeProcessGroup cannot be constructed from JS; use distJoin()");
      group_ = *info[0].As<Napi::External<GroupPtr>>().Data();
      return info.Env().Undefined();
    });
  }

 private:
  dist::Collective& Group() const {
    if (!group_) throw Error(code::kDistPeer, "the process group was shut down");
    return *group_;
  }

  // Starts `work` on the pool with the group marked busy until it settles.
  Napi::Value Start(Napi::Env env, const char* name, std::function<void(dist::Collective&)> work,
                    AsyncJob::Done done = nullptr) {
    auto group = group_;
    if (!group) throw Error(code::kDistPeer, "the process group was shut down");
    if (*busy_) throw Error(code::kBusy, std::string(name) + ": a collective is still running on this process group; await it first");
    auto busy = busy_;
    *busy = true;
    return AsyncJob::Start(env, name, [group, work] { work(*group); }, std::move(done), [busy] { *busy = false; },
                           AsyncJob::Where::kPool);
  }

  Napi::Value Rank(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Napi::Number::New(info.Env(), double(Group().rank())); });
  }
  Napi::Value WorldSize(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Napi::Number::New(info.Env(), double(Group().world_size())); });
  }
  Napi::Value Backend(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Napi::String::New(info.Env(), Group().backend()); });
  }
  Napi::Value Device(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return Napi::String::New(info.Env(), DeviceName(Group().device())); });
  }

  // broadcast(tensors, root, bucketBytes) -> Promise<void>
  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      auto tensors = Tensors(info, 0, "tensors");
      double root = ArgNumber(info, 1, "root");
      auto bucket = BucketBytes(info, 2);
      return Start(info.Env(), "mirrorgan.dist.broadcast", [tensors, root, bucket](dist::Collective& c) mutable {
        dist::BroadcastTensors(c, tensors, static_cast<int64_t>(root), bucket);
      });
    });
  }

  // allReduceMean(tensors, bucketBytes) -> Promise<void>
  Napi::Value AllReduceMean(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      auto tensors = Tensors(info, 0, "tensors");
      auto bucket = BucketBytes(info, 1);
      return Start(info.Env(), "mirrorgan.dist.allReduceMean",
                   [tensors, bucket](dist::Collective& c) mutable { dist::AllReduceMean(c, tensors, bucket); });
    });
  }

  // allReduceGradients(params, bucketBytes) -> Promise<void>
  Napi::Value AllReduceGradients(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      auto params = Tensors(info, 0, "params");
      auto bucket = BucketBytes(info, 1);
      return Start(info.Env(), "mirrorgan.dist.allReduceGradients",
                   [params, bucket](dist::Collective& c) { dist::AllReduceGradients(c, params, bucket); });
    });
  }

  // allGather(value: string) -> Promise<string[]>
  Napi::Value AllGather(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      auto mine = ArgString(info, 0, "value");
      auto out = std::make_shared<std::vector<std::string>>();
      return Start(
          info.Env(), "mirrorgan.dist.allGather", [mine, out](dist::Collective& c) { *out = dist::AllGatherStrings(c, mine); },
          [out](Napi::Env env) -> Napi::Value {
            auto arr = Napi::Array::New(env, out->size());
            for (uint32_t i = 0; i < out->size(); ++i) arr.Set(i, Napi::String::New(env, (*out)[i]));
            return arr;
          });
    });
  }

  Napi::Value Barrier(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      return Start(info.Env(), "mirrorgan.dist.barrier", [](dist::Collective& c) { c.Barrier(); });
    });
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      auto& k = Group().counters();
      auto out = Napi::Object::New(info.Env());
      out.Set("allReduceBytes", double(k.all_reduce_bytes.load()));
      out.Set("allReduceMessages", double(k.all_reduce_messages.load()));
      out.Set("allReduceSeconds", double(k.all_reduce_micros.load()) / 1e6);
      out.Set("broadcastBytes", double(k.broadcast_bytes.load()));
      out.Set("broadcastMessages", double(k.broadcast_messages.load()));
      out.Set("allGatherMessages", double(k.all_gather_messages.load()));
      out.Set("barriers", double(k.barriers.load()));
      return out;
    });
  }

  // shutdown() -> Promise<void>: releases the group (Gloo joins its threads off the main thread).
  Napi::Value Shutdown(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      auto group = std::move(group_);
      if (!group) return ResolvedUndefined(info.Env());
      if (*busy_) {
        group_ = group;
        throw Error(code::kBusy, "shutdown: a collective is still running on this process group; await it first");
      }
      return AsyncJob::Start(info.Env(), "mirrorgan.dist.shutdown", [group] { group->Shutdown(); }, nullptr);
    });
  }

  static Napi::Value ResolvedUndefined(Napi::Env env) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(env.Undefined());
    return d.Promise();
  }

  GroupPtr group_;
  std::shared_ptr<bool> busy_ = std::make_shared<bool>(false);
};

Napi::Value Support(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    const auto s = dist::BuildSupport();
    auto out = Napi::Object::New(info.Env());
    out.Set("gloo", s.gloo);
    out.Set("nccl", s.nccl);
    out.Set("reason", s.reason);
    out.Set("ncclReason", s.nccl_reason);
    return out;
  });
}

// distJoin({ masterAddr, masterPort, rank, worldSize, device, timeoutMs, joinTimeoutMs,
//            agentStore, prefix, interfaces }) -> Promise<NativeProcessGroup>
Napi::Value Join(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    auto o = ToOptions(ArgObject(info, 0, "options"));
    dist::JoinOptions j;
    j.master_addr = o.String("masterAddr");
    j.master_port = IntIn(o, "masterPort", 1, 65535);
    j.world_size = IntIn(o, "worldSize", 1, 1 << 20);
    j.rank = IntIn(o, "rank", 0, j.world_size - 1);
    j.device = o.String("device");
    j.timeout = std::chrono::milliseconds(IntIn(o, "timeoutMs", 1, int64_t(1) << 40));
    j.join_timeout = std::chrono::milliseconds(IntIn(o, "joinTimeoutMs", 1, int64_t(1) << 40));
    j.agent_store = o.Bool("agentStore");
    j.prefix = o.String("prefix");
    j.interfaces = o.String("interfaces");
    if (j.master_addr.empty() || j.device.empty() || j.prefix.empty()) ThrowArg("distJoin: masterAddr, device and prefix must not be empty");
    auto group = std::make_shared<GroupPtr>();
    return AsyncJob::Start(
        info.Env(), "mirrorgan.dist.join", [j, group] { *group = dist::Join(j); },
        [group](Napi::Env env) -> Napi::Value {
          return Data(env).process_group_ctor.New({Napi::External<GroupPtr>::New(env, group.get())});
        });
  });
}

}  // namespace

void InitDist(Napi::Env env, Napi::Object exports) {
  Data(env).process_group_ctor = Napi::Persistent(ProcessGroupWrap::Define(env));
  exports.Set("NativeProcessGroup", Data(env).process_group_ctor.Value());
  exports.Set("distributedSupport", Napi::Function::New(env, Support, "distributedSupport"));
  exports.Set("distJoin", Napi::Function::New(env, Join, "distJoin"));
}

}  // namespace mg
