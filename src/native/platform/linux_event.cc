// Named events on Linux: one word in a small named segment, (generation << 1) | signalled, waited on
// with a shared futex. The generation lets a manual-reset waiter notice a set() that was followed by a
// reset() before it woke, as a Windows waiter is released by SetEvent. Auto-reset waiters consume the
// signal with a compare-and-swap.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "platform/futex.h"
#include "platform/platform.h"
#include "platform/segment_init.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

namespace interlock::platform {
namespace {

constexpr uint32_t kEventMagic = 0x45564E49;  // "INVE"
constexpr uint32_t kEventVersion = 2;  // 2: initialised under the init hold (see segment_init.h)
constexpr size_t kEventSegmentSize = 4096;

struct alignas(64) EventHeader {
  std::atomic<uint32_t> magic;
  uint32_t version;
  std::atomic<uint64_t> init_word;
  uint32_t manual_reset;
};

struct EventLayout {
  EventHeader header;
  alignas(64) std::atomic<uint32_t> word;
};
static_assert(sizeof(EventLayout) <= kEventSegmentSize);

struct FutexWaitV {
  uint64_t val;
  uint64_t uaddr;
  uint32_t flags;
  uint32_t reserved;
};
constexpr uint32_t kFutex2SizeU32 = 0x02;
constexpr uint32_t kFutex2Private = 128;

std::atomic<bool> waitv_unavailable{false};

class LinuxEvent final : public NativeEvent {
 public:
  LinuxEvent(std::unique_ptr<Segment> segment, bool created) : segment_(std::move(segment)), created_(created) {
    layout_ = reinterpret_cast<EventLayout*>(segment_->data());
  }
  bool manual_reset() const override { return layout_->header.manual_reset != 0; }
  bool created() const override { return created_; }

  void set() override {
    uint32_t cur = layout_->word.load(std::memory_order_seq_cst);
    for (;;) {
      if (cur & 1u) return;
      uint32_t next = (((cur >> 1) + 1) << 1) | 1u;
      if (layout_->word.compare_exchange_weak(cur, next, std::memory_order_seq_cst)) break;
    }
    futex_wake_all(&layout_->word);
  }
  void reset() override { layout_->word.fetch_and(~1u, std::memory_order_seq_cst); }
  bool is_set() override { return layout_->word.load(std::memory_order_seq_cst) & 1u; }
  uint64_t ticket() override { return layout_->word.load(std::memory_order_seq_cst); }

  bool try_take(uint64_t ticket) override {
    uint32_t cur = layout_->word.load(std::memory_order_seq_cst);
    // Manual reset: set now, set when the wait began, or set (and maybe reset) since then.
    if (manual_reset()) return (cur & 1u) || (ticket & 1u) || (cur >> 1) != (static_cast<uint32_t>(ticket) >> 1);
    while (cur & 1u) {
      if (layout_->word.compare_exchange_weak(cur, cur & ~1u, std::memory_order_seq_cst)) return true;
    }
    return false;
  }

  void wait(uint64_t ticket, uint32_t timeout_ms) override {
    // The kernel returns at once if the word moved since the caller's ticket, so no set() between
    // the caller's check and this sleep is missed.
    uint32_t observed = static_cast<uint32_t>(ticket);
    if (observed & 1u) return;
    uint32_t seq = interrupt_seq_.load(std::memory_order_seq_cst);
    if (seq != seen_seq_) {
      seen_seq_ = seq;
      return;
    }
    if (!waitv_unavailable.load(std::memory_order_relaxed)) {
      FutexWaitV waiters[2] = {
          {observed, reinterpret_cast<uint64_t>(&layout_->word), kFutex2SizeU32, 0},
          {seq, reinterpret_cast<uint64_t>(&interrupt_seq_), kFutex2SizeU32 | kFutex2Private, 0},
      };
      struct timespec abs;
      clock_gettime(CLOCK_MONOTONIC, &abs);
      abs.tv_sec += timeout_ms / 1000;
      abs.tv_nsec += static_cast<long>(timeout_ms % 1000) * 1000000L;
      if (abs.tv_nsec >= 1000000000L) {
        abs.tv_sec += 1;
        abs.tv_nsec -= 1000000000L;
      }
      long rc = ::syscall(SYS_futex_waitv, waiters, 2, 0, &abs, CLOCK_MONOTONIC);
      if (rc >= 0 || errno != ENOSYS) return;
      waitv_unavailable.store(true, std::memory_order_relaxed);
    }
    // Old kernels: wait on the event word alone, in short slices so an interrupt is seen promptly.
    futex_wait(&layout_->word, observed, timeout_ms < 20 ? timeout_ms : 20);
  }

  void interrupt() override {
    interrupt_seq_.fetch_add(1, std::memory_order_seq_cst);
    ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&interrupt_seq_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr,
              0);
  }

 private:
  std::unique_ptr<Segment> segment_;
  bool created_;
  EventLayout* layout_;
  std::atomic<uint32_t> interrupt_seq_{0};
  uint32_t seen_seq_ = 0;  // touched only by the single waiter thread of this object
};

}  // namespace

std::unique_ptr<NativeEvent> NativeEvent::open(const EventOptions& o) {
  SegmentOptions so;
  so.os_name = o.os_name;
  so.size = kEventSegmentSize;
  so.mode = o.mode;
  so.scope = o.scope;
  so.exact_size = true;
  auto segment = Segment::open(so);
  if (segment->size() != kEventSegmentSize) {
    throw Error(ErrorCode::kIncompatible, "'" + o.os_name + "' exists but is not an interlocked event");
  }
  auto* layout = reinterpret_cast<EventLayout*>(segment->data());
  bool created = initialise_once(*segment, layout->header.init_word, layout->header.magic, kEventMagic, "'" + o.os_name + "'", [&] {
    layout->header.version = kEventVersion;
    layout->header.manual_reset = o.manual_reset ? 1 : 0;
    layout->word.store(o.initial_state ? 1u : 0u, std::memory_order_relaxed);
  });
  if (layout->header.version != kEventVersion) {
    throw Error(ErrorCode::kIncompatible, "'" + o.os_name + "' was made by another version of interlocked");
  }
  return std::make_unique<LinuxEvent>(std::move(segment), created);
}

bool NativeEvent::peek(const std::string& os_name, Scope scope, State* out) {
  SegmentOptions so;
  so.os_name = os_name;
  so.size = kEventSegmentSize;
  so.scope = scope;
  so.exact_size = true;
  so.create = CreateMode::kOpenOnly;
  so.read_only = true;
  std::unique_ptr<Segment> segment;
  try {
    segment = Segment::open(so);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return false;
    throw;
  }
  auto* layout = reinterpret_cast<const EventLayout*>(segment->data());
  if (layout->header.init_word.load(std::memory_order_acquire) != kInitReady ||
      layout->header.magic.load(std::memory_order_acquire) != kEventMagic) {
    throw Error(ErrorCode::kIncompatible, "'" + os_name + "' is not an initialised interlocked event");
  }
  if (layout->header.version != kEventVersion) {
    throw Error(ErrorCode::kIncompatible, "'" + os_name + "' was made by another version of interlocked");
  }
  out->manual_reset = layout->header.manual_reset != 0;
  out->set = (layout->word.load(std::memory_order_seq_cst) & 1u) != 0;
  return true;
}

}  // namespace interlock::platform
