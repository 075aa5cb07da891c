// SPDX-License-Identifier: MIT
// Collective over PyTorch's c10d: a TCPStore rendezvous (rank 0 hosts it, as torchrun's
// env:// init does), then ProcessGroupGloo for CPU tensors or ProcessGroupNCCL for CUDA
// tensors. Compiled only when native/distributed/detect.cmake found c10d, Gloo's headers and (for
// NCCL) nccl.h; otherwise Join() says why distributed training is unavailable.
// Upstream: pytorch/pytorch torch/distributed/rendezvous.py (_create_c10d_store),
// test/cpp/c10d/ProcessGroupGlooTest.cpp.
#include "distributed/collective.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "dist_config.h"

#if MG_WITH_C10D
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if MG_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace mg::dist {

Support BuildSupport() {
  Support s;
  s.gloo = MG_WITH_C10D != 0;
  s.nccl = MG_WITH_NCCL != 0;
  s.reason = MG_DIST_REASON;
  s.nccl_reason = MG_NCCL_REASON;
  return s;
}

#if MG_WITH_C10D
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string Secs(milliseconds ms) {
  std::ostringstream s;
  s << static_cast<double>(ms.count()) / 1000.0 << " s";
  return s.str();
}

bool Has(std::string text, std::string needle) {
  auto lower = [](std::string& v) { std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); }); };
  lower(text);
  lower(needle);
  return text.find(needle) != std::string::npos;
}

// The first line of the exception being handled (c10::Error without its C++ backtrace).
std::string What() {
  std::string raw;
  try {
    throw;
  } catch (const c10::Error& e) {
    raw = e.what_without_backtrace();
  } catch (const std::exception& e) {
    raw = e.what();
  } catch (...) {
    raw = "unknown error";
  }
  auto cut = raw.find_first_of("\r\n");
  return cut == std::string::npos ? raw : raw.substr(0, cut);
}

// A loopback MASTER_ADDR means every rank runs on this machine: Gloo binds to loopback too.
bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

c10::intrusive_ptr<c10d::Store> ConnectStore(const JoinOptions& o, const std::string& who) {
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(o.master_port);
  so.isServer = o.rank == 0 && !o.agent_store;
  // TCPStore's own wait for workers gives up silently; WaitForRanks below counts and says who.
  so.waitWorkers = false;
  so.timeout = o.join_timeout;
  const std::string where = o.master_addr + ":" + std::to_string(o.master_port);
  try {
    return c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
  } catch (...) {
    const auto raw = What();
    if (so.isServer) {
      throw Error(code::kDistStore, who + ": could not host the rendezvous store on port " + std::to_string(o.master_port) +
                                        " (" + raw + "); is the port in use? Pick another MASTER_PORT");
    }
    throw Error(code::kDistStore, who + ": could not reach the rendezvous store at " + where + " within " +
                                      Secs(o.join_timeout) + " (" + raw +
                                      "); is rank 0 running, and are MASTER_ADDR and MASTER_PORT right?");
  }
}

// Every rank counts itself in and waits until WORLD_SIZE ranks did, so a missing rank is named
// as such instead of surfacing as a bare socket timeout inside Gloo's rendezvous.
void WaitForRanks(c10d::Store& store, const JoinOptions& o, const std::string& who) {
  const std::string where = o.master_addr + ":" + std::to_string(o.master_port);
  const auto deadline = Clock::now() + o.join_timeout;
  int64_t joined = 0;
  try {
    if (store.add("rank/" + std::to_string(o.rank), 1) > 1) {
      throw Error(code::kDistStore, who + ": another process already joined as RANK " + std::to_string(o.rank) +
                                        "; every process needs its own RANK in 0.." + std::to_string(o.world_size - 1));
    }
    store.add("joined", 1);
    for (;;) {
      joined = store.add("joined", 0);
      if (joined >= o.world_size) return;
      if (Clock::now() > deadline) break;
      std::this_thread::sleep_for(milliseconds(20));
    }
  } catch (const Error&) {
    throw;
  } catch (...) {
    throw Error(code::kDistStore, who + ": lost the rendezvous store at " + where +
                                      " while waiting for the other ranks (" + What() + ")");
  }
  throw Error(code::kDistTimeout, who + ": only " + std::to_string(joined) + " of " + std::to_string(o.world_size) +
                                      " ranks joined at " + where + " within " + Secs(o.join_timeout) +
                                      "; start every rank (RANK 0.." + std::to_string(o.world_size - 1) +
                                      ") with the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT");
}

c10::intrusive_ptr<c10d::ProcessGroupGloo> MakeGloo(const c10::intrusive_ptr<c10d::Store>& store, const JoinOptions& o) {
  auto opts = c10d::ProcessGroupGloo::Options::create(o.timeout);
  for (const auto& name : SplitList(o.interfaces)) {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
  }
  if (opts->devices.empty()) {
    opts->devices.push_back(IsLoopback(o.master_addr) ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                      : c10d::ProcessGroupGloo::createDefaultDevice());
  }
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, static_cast<int>(o.rank), static_cast<int>(o.world_size), opts);
}

class C10dCollective final : public Collective {
 public:
  C10dCollective(const JoinOptions& o, c10::intrusive_ptr<c10d::Store> store, at::Device device)
      : store_(std::move(store)), rank_(o.rank), world_(o.world_size), device_(device), timeout_(o.timeout) {
    who_ = "rank " + std::to_string(rank_) + " of " + std::to_string(world_);
  }

  void StartGloo(const JoinOptions& o) { gloo_ = MakeGloo(store_, o); }
#if MG_WITH_NCCL
  void StartNccl(const JoinOptions& o) {
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = o.timeout;
    nccl_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(store_, static_cast<int>(o.rank), static_cast<int>(o.world_size), opts);
  }
#endif

  ~C10dCollective() override { Release(); }

  void AllReduceSum(at::Tensor& t) override {
    const auto t0 = Clock::now();
    Run("all-reduce", [&](auto& pg) {
      std::vector<at::Tensor> v{t};
      c10d::AllreduceOptions opts;
      opts.timeout = timeout_;
      return pg.allreduce(v, opts);
    });
    counters().all_reduce_bytes += static_cast<int64_t>(t.numel() * t.element_size());
    counters().all_reduce_messages++;
    counters().all_reduce_micros += std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
  }

  void Broadcast(at::Tensor& t, int64_t root) override {
    Run("broadcast", [&](auto& pg) {
      std::vector<at::Tensor> v{t};
      c10d::BroadcastOptions opts;
      opts.rootRank = root;
      opts.timeout = timeout_;
      return pg.broadcast(v, opts);
    });
    counters().broadcast_bytes += static_cast<int64_t>(t.numel() * t.element_size());
    counters().broadcast_messages++;
  }

  std::vector<at::Tensor> AllGather(const at::Tensor& t) override {
    std::vector<std::vector<at::Tensor>> out(1);
    for (int64_t r = 0; r < world_; ++r) out[0].push_back(torch::empty_like(t));
    Run("all-gather", [&](auto& pg) {
      std::vector<at::Tensor> in{t};
      c10d::AllgatherOptions opts;
      opts.timeout = timeout_;
      return pg.allgather(out, in, opts);
    });
    counters().all_gather_messages++;
    return out[0];
  }

  void Barrier() override {
    Run("barrier", [&](auto& pg) {
      c10d::BarrierOptions opts;
      opts.timeout = timeout_;
      return pg.barrier(opts);
    });
    counters().barriers++;
  }

  void Shutdown() override { Release(); }

  int64_t rank() const override { return rank_; }
  int64_t world_size() const override { return world_; }
  const char* backend() const override { return gloo_ ? "gloo" : "nccl"; }
  at::Device device() const override { return device_; }

 private:
  // Starts one collective on whichever process group this is and waits for it, at most
  // timeout_. Any failure marks the group broken: c10d cannot resynchronise after a rank
  // is lost, so every later call fails at once with the first cause.
  template <typename Fn>
  void Run(const char* what, Fn&& start) {
    if (!failure_.empty()) throw Error(failure_code_, who_ + ": " + what + ": the process group failed earlier (" + failure_ + ")");
    if (!gloo_
#if MG_WITH_NCCL
        && !nccl_
#endif
    ) {
      throw Error(code::kDistPeer, who_ + ": " + what + ": the process group was shut down");
    }
    try {
      c10::intrusive_ptr<c10d::Work> work;
#if MG_WITH_NCCL
      if (nccl_) work = start(*nccl_);
#endif
      if (gloo_) work = start(*gloo_);
      work->wait(timeout_);
    } catch (...) {
      const auto raw = What();
      std::string why;
      if (Has(raw, "timed out") || Has(raw, "timeout")) {
        failure_code_ = code::kDistTimeout;
        why = "no answer from the other ranks within " + Secs(timeout_) + " (a rank stalled, or died without closing its connection)";
      } else {
        failure_code_ = code::kDistPeer;
        why = "lost the connection to another rank (it exited, crashed or was killed)";
      }
      failure_ = why + " [" + raw + "]";
      throw Error(failure_code_, who_ + ": " + what + ": " + failure_);
    }
  }

  void Release() {
    gloo_.reset();
#if MG_WITH_NCCL
    nccl_.reset();
#endif
    store_.reset();
  }

  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo_;
#if MG_WITH_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl_;
#endif
  int64_t rank_;
  int64_t world_;
  at::Device device_;
  milliseconds timeout_;
  std::string who_;
  std::string failure_;
  std::string failure_code_;
};

}  // namespace

std::shared_ptr<Collective> Join(const JoinOptions& o) {
  TORCH_CHECK(o.world_size >= 1 && o.rank >= 0 && o.rank < o.world_size, "Join: rank outside the world");
  const std::string who = "rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size);
  const at::Device device(o.device);
  if (device.is_cuda() && !MG_WITH_NCCL) {
    throw Error(code::kDistUnavailable, who + ": training on " + o.device + " needs NCCL, which this build lacks: " + MG_NCCL_REASON);
  }
  if (!device.is_cpu() && !device.is_cuda()) {
    throw Error(code::kDistUnavailable, who + ": distributed training runs on cpu (Gloo) or cuda (NCCL), not " + o.device);
  }
  auto store = c10::make_intrusive<c10d::PrefixStore>(o.prefix, ConnectStore(o, who));
  WaitForRanks(*store, o, who);
  auto group = std::make_shared<C10dCollective>(o, store, device);
  try {
#if MG_WITH_NCCL
    if (device.is_cuda()) {
      // Blocking wait makes Work::wait() honour the timeout and throw instead of leaving the
      // watchdog to abort the process (ProcessGroupNCCL reads it in its constructor).
      setenv("NCCL_BLOCKING_WAIT", "1", 0);
      group->StartNccl(o);
      return group;
    }
#endif
    group->StartGloo(o);
  } catch (const Error&) {
    throw;
  } catch (...) {
    const auto raw = What();
    const bool late = Has(raw, "timeout") || Has(raw, "timed out");
    throw Error(late ? code::kDistTimeout : code::kDistPeer,
                who + ": connecting the " + (device.is_cuda() ? "NCCL" : "Gloo") + " process group failed (" + raw + ")" +
                    (late ? "; a rank stopped during the rendezvous" : ""));
  }
  return group;
}

#else  // !MG_WITH_C10D

std::shared_ptr<Collective> Join(const JoinOptions&) {
  throw Error(code::kDistUnavailable, std::string("distributed training is not built into this addon: ") + MG_DIST_REASON);
}

#endif

}  // namespace mg::dist
