#include "process_group.h"

#include <c10/util/Exception.h>

#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef GGT_DISTRIBUTED
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO  // ProcessGroupGloo.hpp declares nothing without it
#endif
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace ggt {
namespace train {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

#ifdef GGT_DISTRIBUTED

struct ProcessGroup::Impl {
  GroupOptions options;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
  int64_t exchanges = 0;
};

bool ProcessGroup::available() { return true; }

namespace {

std::string where(const GroupOptions& o) { return o.master_addr + ":" + std::to_string(o.port); }

// Under torchrun, its agent already serves a TCPStore at MASTER_ADDR:MASTER_PORT and says so
// (TORCHELASTIC_USE_AGENT_STORE=True): then rank 0 connects to it like the others.
bool agent_serves_store() {
  const char* v = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  return v && std::string(v) == "True";
}
bool so_is_server(const GroupOptions& o) { return o.rank == 0 && !agent_serves_store(); }

// Our keys' prefix in the store: apart from the agent's own, and per torchrun restart (an
// agent's store outlives the workers it restarts).
std::string key_prefix() {
  const char* restart = std::getenv("TORCHELASTIC_RESTART_COUNT");
  return std::string("ggt/") + (restart && *restart ? restart : "0") + "/";
}

// LibTorch 2.4+ serves the store with libuv by default (TCPStoreOptions::useLibUV), and builds
// without libuv (Debian 13's 2.6) then refuse to serve at all: ask for the classic server where
// the option exists (1.13 has neither the option nor libuv).
template <typename Options>
auto classic_store_server(Options& o, int) -> decltype(o.useLibUV = false, void()) {
  o.useLibUV = false;
}
template <typename Options>
void classic_store_server(Options&, long) {}

// A c10d error's message without its C++ backtrace.
std::string message_of(const std::exception& e) {
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  return e.what();
}

// Whether something accepts TCP connections at host:port now (a plain connect, up to 200 ms):
// the other ranks wait with this for rank 0's store, because c10d logs an error line for every
// failed attempt of its own.
bool accepts_connections(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return false;
  bool ok = false;
  for (addrinfo* a = found; a && !ok; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      ok = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      ok = poll(&p, 1, 200) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
    close(fd);
  }
  freeaddrinfo(found);
  return ok;
}

// Connects to (rank 0: serves) the TCPStore. The other ranks first wait, polling
// `should_stop`, until the store accepts connections.
c10::intrusive_ptr<c10d::Store> connect_store(const GroupOptions& o, const std::function<bool()>& should_stop,
                                              Clock::time_point deadline) {
  std::string last_error;
  for (;;) {
    TORCH_CHECK(!(should_stop && should_stop()), "joining the process group at ", where(o), " was cancelled");
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    TORCH_CHECK(left.count() > 0, "rank ", o.rank, " could not reach the rendezvous at MASTER_ADDR:MASTER_PORT = ",
                where(o), " within ", o.timeout.count() / 1000.0, " s (", last_error,
                "): is rank 0 running, and are the address and port right and reachable from here?");
    if (!so_is_server(o) && !accepts_connections(o.master_addr, o.port)) {
      last_error = "nothing accepts connections there yet";
      std::this_thread::sleep_for(milliseconds(100));
      continue;
    }
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(o.port);
    so.isServer = o.rank == 0 && !agent_serves_store();
    so.numWorkers = o.world;
    so.waitWorkers = false;  // joining is counted below, where it can be cancelled
    so.timeout = std::min(left, milliseconds(5000));
    classic_store_server(so, 0);
    try {
      auto store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
      store->setTimeout(o.timeout);
      return c10::make_intrusive<c10d::PrefixStore>(key_prefix(), store);
    } catch (const std::exception& e) {
      if (so.isServer) {
        TORCH_CHECK(false, "rank 0 could not serve the rendezvous on port ", o.port, " (MASTER_PORT): ", message_of(e),
                    " (is another run using that port?)");
      }
      last_error = message_of(e);
      last_error = last_error.substr(0, last_error.find('\n'));
    }
  }
}

std::shared_ptr<::gloo::transport::Device> gloo_device() {
  // As PyTorch does: GLOO_SOCKET_IFNAME names the network interface; otherwise the one the
  // host name resolves to.
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

ProcessGroup::ProcessGroup(const GroupOptions& o, const std::function<bool()>& should_stop)
    : impl_(std::make_unique<Impl>()) {
  TORCH_CHECK(o.world >= 1 && o.rank >= 0 && o.rank < o.world, "expected 0 <= RANK < WORLD_SIZE, received RANK ",
              o.rank, " and WORLD_SIZE ", o.world);
  TORCH_CHECK(o.port >= 1 && o.port <= 65535, "expected MASTER_PORT in [1, 65535], received ", o.port);
  impl_->options = o;
  const Clock::time_point deadline = Clock::now() + o.timeout;
  impl_->store = connect_store(o, should_stop, deadline);
  // Every rank counts itself in, then waits for the count to reach the world size.
  impl_->store->add("joined", 1);
  for (;;) {
    const int64_t joined = impl_->store->add("joined", 0);
    if (joined >= o.world) break;
    TORCH_CHECK(!(should_stop && should_stop()), "joining the process group at ", where(o), " was cancelled");
    TORCH_CHECK(Clock::now() < deadline, "only ", joined, " of WORLD_SIZE = ", o.world, " ranks joined at ", where(o),
                " within ", o.timeout.count() / 1000.0, " s: start every rank (or lower WORLD_SIZE)");
    std::this_thread::sleep_for(milliseconds(50));
  }
  auto gloo_options = c10d::ProcessGroupGloo::Options::create();
  gloo_options->timeout = o.timeout;
  gloo_options->devices.push_back(gloo_device());
  impl_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(
      c10::make_intrusive<c10d::PrefixStore>("gloo", impl_->store), o.rank, o.world, gloo_options);
}

ProcessGroup::~ProcessGroup() = default;

int ProcessGroup::rank() const { return impl_->options.rank; }
int ProcessGroup::world() const { return impl_->options.world; }
const GroupOptions& ProcessGroup::options() const { return impl_->options; }

PendingWork ProcessGroup::allreduce_sum_async(at::Tensor tensor) {
  TORCH_CHECK(tensor.device().is_cpu() && tensor.is_contiguous(), "all-reduce expects a contiguous CPU tensor");
  std::vector<at::Tensor> tensors{tensor};
  c10::intrusive_ptr<c10d::Work> work = impl_->gloo->allreduce(tensors);
  return [work, tensors]() { work->wait(); };
}

void ProcessGroup::broadcast(std::vector<at::Tensor>& tensors, int root) {
  c10d::BroadcastOptions o;
  o.rootRank = root;
  for (at::Tensor& t : tensors) {
    // Gloo broadcasts one CPU tensor per call; a contiguous staging copy where needed.
    std::vector<at::Tensor> one{t.is_contiguous() ? t : t.contiguous()};
    impl_->gloo->broadcast(one, o)->wait();
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
}

std::vector<std::string> ProcessGroup::exchange(const std::string& key, const std::string& value) {
  const std::string prefix = "exchange/" + std::to_string(impl_->exchanges++) + "/" + key + "/";
  impl_->store->set(prefix + std::to_string(rank()), std::vector<uint8_t>(value.begin(), value.end()));
  std::vector<std::string> all;
  for (int r = 0; r < world(); ++r) {
    const std::vector<uint8_t> bytes = impl_->store->get(prefix + std::to_string(r));
    all.emplace_back(bytes.begin(), bytes.end());
  }
  return all;
}

#else  // no c10d Gloo in this build

struct ProcessGroup::Impl {
  GroupOptions options;
};

bool ProcessGroup::available() { return false; }

ProcessGroup::ProcessGroup(const GroupOptions&, const std::function<bool()>&) {
  TORCH_CHECK(false,
              "this ggtalker build has no distributed training: it was compiled without the Gloo headers that "
              "LibTorch's c10d needs (Debian/Ubuntu: apt-get install libgloo-dev, then npm rebuild ggtalker)");
}
ProcessGroup::~ProcessGroup() = default;
int ProcessGroup::rank() const { return 0; }
int ProcessGroup::world() const { return 1; }
const GroupOptions& ProcessGroup::options() const { return impl_->options; }
PendingWork ProcessGroup::allreduce_sum_async(at::Tensor) { return [] {}; }
void ProcessGroup::broadcast(std::vector<at::Tensor>&, int) {}
std::vector<std::string> ProcessGroup::exchange(const std::string&, const std::string& value) { return {value}; }

#endif

}  // namespace train
}  // namespace ggt
