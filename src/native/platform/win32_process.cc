// Process identity, liveness and exit notification on Windows: the pid plus a fingerprint of the
// process creation time (GetProcessTimes), so a recycled pid is not taken for the old process; exit
// notification by waiting on process handles in one hub thread per process.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "platform/platform.h"
#include "platform/win32_util.h"

namespace interlock::platform {
namespace {

using win32::Handle;

uint32_t fingerprint(const FILETIME& created) {
  uint64_t t = (static_cast<uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
  uint32_t h = 2166136261u;
  for (int i = 0; i < 8; ++i) {
    h ^= static_cast<uint8_t>(t >> (8 * i));
    h *= 16777619u;
  }
  return h;
}

uint64_t key_of(uint32_t pid, HANDLE process) {
  FILETIME created{}, exited{}, kernel{}, user{};
  GetProcessTimes(process, &created, &exited, &kernel, &user);
  return (static_cast<uint64_t>(fingerprint(created)) << 32) | pid;
}

// Opens the process named by key; an empty handle if it is gone or is another process now.
Handle open_if_same(uint64_t key, Liveness* liveness) {
  HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid_of_key(key));
  if (h == nullptr) {
    *liveness = GetLastError() == ERROR_ACCESS_DENIED ? Liveness::kUnknown : Liveness::kDead;
    return Handle();
  }
  Handle process(h);
  if (WaitForSingleObject(h, 0) == WAIT_OBJECT_0 || key_of(pid_of_key(key), h) != key) {
    *liveness = Liveness::kDead;
    return Handle();
  }
  *liveness = Liveness::kAlive;
  return process;
}

}  // namespace

uint32_t current_pid() {
  return static_cast<uint32_t>(GetCurrentProcessId());
}

uint64_t current_process_key() {
  static const uint64_t key = key_of(current_pid(), GetCurrentProcess());
  return key;
}

Liveness process_liveness(uint64_t key) {
  if (pid_of_key(key) == 0) return Liveness::kDead;
  Liveness liveness;
  open_if_same(key, &liveness);
  return liveness;
}

// ---- exit notification ------------------------------------------------------------------------

namespace {

class Win32ExitWatch;

// One thread waits on the process handles of every watched process (and a wake-up event that makes
// it pick up changes). WaitForMultipleObjects takes 64 handles: beyond 63 processes the rest are
// left to the waiters' slices.
struct Hub {
  std::mutex mu;
  Handle changed{CreateEventW(nullptr, FALSE, FALSE, nullptr)};
  bool started = false;
  struct Watched {
    Handle process;
    std::set<Win32ExitWatch*> watchers;
  };
  std::map<uint64_t, Watched> watched;
  // Handles the hub thread may be waiting on are closed by that thread once it has woken, never
  // under it.
  std::vector<Handle> retired;
  void run();
  void fire(uint64_t key);
};

Hub& hub() {
  static Hub* h = new Hub();  // never destroyed: its thread may run while the process exits
  return *h;
}

class Win32ExitWatch final : public ExitWatch {
 public:
  explicit Win32ExitWatch(std::function<void()> on_exit) : on_exit_(std::move(on_exit)) {}
  ~Win32ExitWatch() override { watch({}); }

  void watch(const std::vector<uint64_t>& keys) override {
    std::vector<uint64_t> next(keys);
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    Hub& h = hub();
    bool gone = false;
    {
      std::lock_guard<std::mutex> lk(h.mu);
      // A process already reported dead is reported once (see linux_exit_watch.cc).
      std::vector<uint64_t> still_dead;
      for (uint64_t key : dead_) {
        if (std::binary_search(next.begin(), next.end(), key)) still_dead.push_back(key);
      }
      dead_.swap(still_dead);
      if (next == keys_) return;
      for (uint64_t key : keys_) {
        auto it = h.watched.find(key);
        if (it == h.watched.end()) continue;
        it->second.watchers.erase(this);
        if (it->second.watchers.empty()) {
          h.retired.push_back(std::move(it->second.process));
          h.watched.erase(it);
        }
      }
      keys_.clear();
      for (uint64_t key : next) {
        if (std::binary_search(dead_.begin(), dead_.end(), key)) continue;
        auto it = h.watched.find(key);
        if (it == h.watched.end()) {
          Liveness liveness;
          Handle process = open_if_same(key, &liveness);
          if (!process) {
            if (liveness == Liveness::kDead) {
              dead_.insert(std::upper_bound(dead_.begin(), dead_.end(), key), key);
              gone = true;
            }
            continue;
          }
          it = h.watched.emplace(key, Hub::Watched{std::move(process), {}}).first;
        }
        it->second.watchers.insert(this);
        keys_.push_back(key);
      }
      if (!h.started) {
        h.started = true;
        std::thread([&h] { h.run(); }).detach();
      }
      SetEvent(h.changed.get());
      if (gone) on_exit_();
    }
  }

  void notify() { on_exit_(); }
  void forget(uint64_t key) {
    keys_.erase(std::remove(keys_.begin(), keys_.end(), key), keys_.end());
    dead_.insert(std::upper_bound(dead_.begin(), dead_.end(), key), key);
  }

 private:
  std::function<void()> on_exit_;
  std::vector<uint64_t> keys_;  // guarded by hub().mu
  std::vector<uint64_t> dead_;  // sorted: watched keys already reported dead; guarded by hub().mu
};

void Hub::run() {
  for (;;) {
    std::vector<HANDLE> handles{changed.get()};
    std::vector<uint64_t> keys{0};
    {
      std::lock_guard<std::mutex> lk(mu);
      for (auto& [key, w] : watched) {
        if (handles.size() == MAXIMUM_WAIT_OBJECTS) break;
        handles.push_back(w.process.get());
        keys.push_back(key);
      }
    }
    DWORD r = WaitForMultipleObjects(static_cast<DWORD>(handles.size()), handles.data(), FALSE, INFINITE);
    std::lock_guard<std::mutex> lk(mu);
    if (r > WAIT_OBJECT_0 && r < WAIT_OBJECT_0 + handles.size()) fire(keys[r - WAIT_OBJECT_0]);
    retired.clear();
  }
}

void Hub::fire(uint64_t key) {
  auto it = watched.find(key);
  if (it == watched.end()) return;
  for (Win32ExitWatch* w : it->second.watchers) {
    w->forget(key);
    w->notify();
  }
  retired.push_back(std::move(it->second.process));
  watched.erase(it);
}

}  // namespace

std::unique_ptr<ExitWatch> ExitWatch::create(std::function<void()> on_exit) {
  return std::make_unique<Win32ExitWatch>(std::move(on_exit));
}

}  // namespace interlock::platform
