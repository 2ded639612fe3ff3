// Process exit notification on Linux: one pidfd per watched process, all in one epoll set served by
// one thread for the whole process (started on first use). A pidfd becomes readable when its
// process exits, and it names that process even if the pid is reused afterwards.
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "platform/linux_process.h"
#include "platform/platform.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

namespace interlock::platform {
namespace {

class LinuxExitWatch;

struct Watched {
  int pidfd;
  std::set<LinuxExitWatch*> watchers;
};

// Process-wide and never destroyed: the epoll thread may run while the process exits.
struct Hub {
  std::mutex mu;
  int epoll_fd = -1;
  bool unavailable = false;
  std::map<uint64_t, Watched> watched;  // by process key
  void start();
  void run();
  void fire(uint64_t key);  // with mu held
};

Hub& hub() {
  static Hub* h = new Hub();
  return *h;
}

class LinuxExitWatch final : public ExitWatch {
 public:
  explicit LinuxExitWatch(std::function<void()> on_exit) : on_exit_(std::move(on_exit)) {}
  ~LinuxExitWatch() override { watch({}); }

  void watch(const std::vector<uint64_t>& keys) override {
    std::vector<uint64_t> next(keys);
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    Hub& h = hub();
    std::lock_guard<std::mutex> lk(h.mu);
    // A process already reported dead is reported once: if its slot is still being recovered by
    // someone else, the waiter must park for its slice, not be woken again at every park (a spin).
    std::vector<uint64_t> still_dead;
    for (uint64_t key : dead_) {
      if (std::binary_search(next.begin(), next.end(), key)) still_dead.push_back(key);
    }
    dead_.swap(still_dead);
    if (next == keys_) return;
    for (uint64_t key : keys_) {
      if (std::binary_search(next.begin(), next.end(), key)) continue;
      auto it = h.watched.find(key);
      if (it == h.watched.end()) continue;
      it->second.watchers.erase(this);
      if (it->second.watchers.empty()) {
        ::close(it->second.pidfd);  // also leaves the epoll set
        h.watched.erase(it);
      }
    }
    keys_.clear();
    bool gone = false;
    auto report_dead = [&](uint64_t key) {
      if (std::binary_search(dead_.begin(), dead_.end(), key)) return;
      dead_.insert(std::upper_bound(dead_.begin(), dead_.end(), key), key);
      gone = true;
    };
    for (uint64_t key : next) {
      if (std::binary_search(dead_.begin(), dead_.end(), key)) continue;
      auto it = h.watched.find(key);
      if (it == h.watched.end()) {
        if (h.epoll_fd < 0 && !h.unavailable) h.start();
        if (h.unavailable) return;
        int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_of_key(key), 0));
        if (fd < 0) {
          if (errno == ESRCH) report_dead(key);
          continue;
        }
        // The pid may have been reused before the pidfd was opened: check that it still names the
        // process of the key. A zombie, or a process whose threads are still exiting (and still
        // hold its files, slot holds included), is the right one: its pidfd reports the end.
        if (!pid_names_key(key)) {
          ::close(fd);
          report_dead(key);
          continue;
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = key;
        ::epoll_ctl(h.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
        it = h.watched.emplace(key, Watched{fd, {}}).first;
      }
      it->second.watchers.insert(this);
      keys_.push_back(key);
    }
    if (gone) on_exit_();
  }

  void notify() { on_exit_(); }
  void forget(uint64_t key) {
    keys_.erase(std::remove(keys_.begin(), keys_.end(), key), keys_.end());
    dead_.insert(std::upper_bound(dead_.begin(), dead_.end(), key), key);
  }

 private:
  std::function<void()> on_exit_;
  std::vector<uint64_t> keys_;  // sorted; guarded by hub().mu
  std::vector<uint64_t> dead_;  // sorted: watched keys already reported dead; guarded by hub().mu
};

void Hub::start() {
  epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    unavailable = true;
    return;
  }
  std::thread([this] { run(); }).detach();
}

void Hub::run() {
  epoll_event events[16];
  for (;;) {
    int n = ::epoll_wait(epoll_fd, events, 16, -1);
    if (n < 0) continue;  // EINTR
    std::lock_guard<std::mutex> lk(mu);
    for (int i = 0; i < n; ++i) fire(events[i].data.u64);
  }
}

void Hub::fire(uint64_t key) {
  auto it = watched.find(key);
  if (it == watched.end()) return;
  for (LinuxExitWatch* w : it->second.watchers) {
    w->forget(key);
    w->notify();
  }
  ::close(it->second.pidfd);
  watched.erase(it);
}

}  // namespace

std::unique_ptr<ExitWatch> ExitWatch::create(std::function<void()> on_exit) {
  return std::make_unique<LinuxExitWatch>(std::move(on_exit));
}

}  // namespace interlock::platform
