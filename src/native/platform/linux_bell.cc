// Doorbells on Linux: a datagram socket per process, bound in the abstract namespace to a name made
// from the process key. Ringing is one non-blocking sendto(); a full queue or a process without a
// bell (gone, another network namespace, an older interlock) simply drops the ring.
#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "platform/platform.h"

namespace interlock::platform {
namespace {

std::atomic<int> listeners{0};

socklen_t bell_address(uint64_t key, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  // sun_path[0] == '\0': the abstract namespace.
  int n = std::snprintf(addr->sun_path + 1, sizeof addr->sun_path - 1, "interlock.bell.%016llx",
                        static_cast<unsigned long long>(key));
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
}

int new_socket() {
  return ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

}  // namespace

int process_bell_fd() {
  static const int fd = [] {
    int s = new_socket();
    if (s < 0) return -1;
    sockaddr_un addr;
    socklen_t len = bell_address(current_process_key(), &addr);
    if (::bind(s, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
      ::close(s);
      return -1;
    }
    return s;
  }();
  return fd;
}

bool ring_process_bell(uint64_t key) {
  static const int sender = new_socket();
  if (key == 0 || sender < 0) return false;
  sockaddr_un addr;
  socklen_t len = bell_address(key, &addr);
  const char ring = 0;
  return ::sendto(sender, &ring, 1, MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len) == 1;
}

// One recvmmsg() takes up to 16 rings: a handoff (one ring) costs one system call here, not a
// second that finds the queue empty.
int drain_process_bell(int fd) {
  constexpr unsigned kBatch = 16;
  char bufs[kBatch][1];
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  std::memset(msgs, 0, sizeof msgs);
  for (unsigned i = 0; i < kBatch; ++i) {
    iov[i] = {bufs[i], sizeof bufs[i]};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int rings = 0;
  for (;;) {
    int n = ::recvmmsg(fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    rings += n;
    if (static_cast<unsigned>(n) < kBatch) break;  // drained
  }
  return rings;
}

void bell_listeners_changed(int delta) {
  listeners.fetch_add(delta, std::memory_order_acq_rel);
}

bool bell_has_listeners() {
  return listeners.load(std::memory_order_acquire) > 0;
}

}  // namespace interlock::platform
