// Park events on Linux: the 32-bit word in the slot is the event (0 reset, 1 set), waited on with a
// shared (not private) futex so that any process mapping the segment can wake it.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>

#include "platform/futex.h"
#include "platform/platform.h"

namespace interlock::platform {

void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, uint32_t timeout_ms) {
  struct timespec ts;
  ts.tv_sec = timeout_ms / 1000;
  ts.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1000000L;
  // EAGAIN (value changed), EINTR and ETIMEDOUT all mean "re-check": nothing to report.
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

void futex_wake_all(std::atomic<uint32_t>* word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

namespace {

class FutexParkEvent final : public ParkEvent {
 public:
  explicit FutexParkEvent(std::atomic<uint32_t>* word) : word_(word) {}
  void set() override {
    // The exchange orders the waker's earlier state change before the wake (seq_cst).
    if (word_->exchange(1, std::memory_order_seq_cst) == 0) futex_wake_all(word_);
  }
  void reset() override { word_->store(0, std::memory_order_seq_cst); }
  void wait(uint32_t timeout_ms) override {
    if (word_->load(std::memory_order_seq_cst) != 0) return;
    futex_wait(word_, 0, timeout_ms);
  }

 private:
  std::atomic<uint32_t>* word_;
};

}  // namespace

std::unique_ptr<ParkEvent> ParkEvent::open(const std::string&, std::atomic<uint32_t>* word, Scope) {
  return std::make_unique<FutexParkEvent>(word);
}

}  // namespace interlock::platform
