// The only OS-specific surface. Implemented by linux_*.cc (and win32_*.cc). Nothing here knows the
// lock protocol; nothing in core/ includes an OS header.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/names.h"

namespace interlock::platform {

// ---- errors as Node reports them -------------------------------------------------------------

// A system error number (errno, or GetLastError() on Windows) as Node's errors carry it: the
// negative libuv code, whose name util.getSystemErrorName() gives.
int node_errno(int sys_errno);

// Where the OS object of os_name lives, as a user would look for it: "/dev/shm/<os_name>" on Linux,
// "Local\<os_name>" or "Global\<os_name>" on Windows.
std::string object_path(const std::string& os_name, Scope scope);

// ---- named segments ---------------------------------------------------------------------------

enum class CreateMode { kOpenOrCreate, kExclusive, kOpenOnly };

// Hold indexes past every slot's: the initialiser's (segment_init.h) and the users' shared mark.
constexpr uint32_t kInitHoldIndex = 0x7FFFFF00u;
constexpr uint32_t kUseHoldIndex = 0x7FFFFF01u;

struct SegmentOptions {
  std::string os_name;  // from os_object_name()
  size_t size = 0;      // bytes wanted; 0 with kOpenOnly means "whatever it is"
  CreateMode create = CreateMode::kOpenOrCreate;
  unsigned mode = 0600;  // POSIX permission bits of a created object
  Scope scope = Scope::kLocal;
  // Internal segments (locks, events) have one exact size: any other existing size is not ours,
  // reported as kIncompatible instead of kSizeMismatch.
  bool exact_size = false;
  // A look that changes nothing (inspection tools): open an existing segment read-only (mapped
  // read-only too), with kOpenOnly.
  bool read_only = false;
};

// A mapped named segment. The mapping lives as long as the object.
class Segment {
 public:
  virtual ~Segment() = default;
  virtual uint8_t* data() const = 0;
  virtual size_t size() const = 0;
  virtual bool created() const = 0;  // this open created the name

  // Slot holds: a kernel-kept mark that slot `index` belongs to a live process, dropped by the
  // kernel when the process dies, whatever its pid or pid namespace (Linux: an OFD lock on byte
  // `index` of the segment). try_hold is false if another live process holds it.
  // Where a system has none, holds report kUnsupported and callers fall back to process_liveness.
  enum class Hold { kHeld, kFree, kUnsupported };
  virtual bool try_hold(uint32_t) { return true; }
  virtual void release_hold(uint32_t) {}
  virtual Hold hold_state(uint32_t) const { return Hold::kUnsupported; }
  // Whether another process has the segment open for use (not just looking): every open for use
  // marks it, and the kernel drops the mark with the open (Linux: a shared OFD lock on
  // kUseHoldIndex). kHeld: in use; kFree: nobody; kUnsupported: cannot tell.
  virtual Hold users() const { return Hold::kUnsupported; }

  // A segment is published under its name only once it has its full size, with its pages reserved:
  // an opener never maps a segment that is still growing, and memory that could not be reserved is
  // a kNoSpace error at creation instead of a SIGBUS (Linux) on first touch.
  // Throws Error: kExists, kNotFound, kSizeMismatch (existing one smaller than size),
  // kIncompatible (empty, or not of this kind), kNoSpace, kPermission, kSystem. A size of 0 to
  // create is kInvalidArg.
  static std::unique_ptr<Segment> open(const SegmentOptions& options);
  // True if a name was removed. Mappings already open stay valid.
  static bool unlink(const std::string& os_name, Scope scope);
};

// ---- park events ------------------------------------------------------------------------------

// A manual-reset event that one process parks on and any process may set. On Linux it is the 32-bit
// word itself (a shared futex); on Windows a named event derived from `name`.
class ParkEvent {
 public:
  virtual ~ParkEvent() = default;
  virtual void set() = 0;
  virtual void reset() = 0;  // only the owning process calls this
  // Returns when set, after timeout_ms, or spuriously. Callers re-check their condition.
  virtual void wait(uint32_t timeout_ms) = 0;

  static std::unique_ptr<ParkEvent> open(const std::string& name, std::atomic<uint32_t>* word, Scope scope);
};

// ---- named events (the public NamedEvent) -----------------------------------------------------

struct EventOptions {
  std::string os_name;
  bool manual_reset = true;
  bool initial_state = false;
  unsigned mode = 0600;
  Scope scope = Scope::kLocal;
};

class NativeEvent {
 public:
  virtual ~NativeEvent() = default;
  virtual void set() = 0;
  virtual void reset() = 0;
  virtual bool is_set() = 0;
  virtual bool manual_reset() const = 0;  // fixed by whoever created the event
  virtual bool created() const = 0;       // this open created it (and so chose its type and state)
  // An opaque ticket taken when a wait starts: a manual-reset event set and reset again after the
  // ticket was taken still satisfies that wait (as a Windows waiter is released by SetEvent).
  virtual uint64_t ticket() = 0;
  // Try to satisfy a wait that started at `ticket`: manual-reset: set now or set since; auto-reset:
  // consumes the signal. Never blocks.
  virtual bool try_take(uint64_t ticket) = 0;
  // Blocks until the event changed since `ticket` (taken before the caller's last try_take), an
  // interrupt() came, or timeout_ms passed. May return spuriously.
  virtual void wait(uint64_t ticket, uint32_t timeout_ms) = 0;
  // Wakes this process's waiters of this object so they re-check (abort, close, new deadline).
  virtual void interrupt() = 0;
  // Called when no wait is pending any more: a signal a wait consumed on behalf of a waiter that is
  // gone goes back to the event (Windows: an auto-reset signal consumed by the wait itself).
  virtual void release_unclaimed() {}

  static std::unique_ptr<NativeEvent> open(const EventOptions& options);

  // An existing event's type and state, looked at without opening it for use: nothing is created,
  // changed or consumed. False when there is no such event; kIncompatible if it is not an event.
  struct State {
    bool manual_reset;
    bool set;
  };
  static bool peek(const std::string& os_name, Scope scope, State* out);
};

// ---- process exit notification ----------------------------------------------------------------

// Calls on_exit (from a platform thread, never under any lock of the caller's) as soon as one of
// the watched processes exits, so a waiter blocked by a dead holder recovers at once instead of at
// the end of its wait slice. Where the system cannot notify, watching is a no-op.
class ExitWatch {
 public:
  virtual ~ExitWatch() = default;  // after this returns, on_exit is never called again
  // Replaces the set of watched processes (process keys). A process already gone triggers at once.
  virtual void watch(const std::vector<uint64_t>& keys) = 0;

  static std::unique_ptr<ExitWatch> create(std::function<void()> on_exit);
};

// ---- processes and time -----------------------------------------------------------------------

uint32_t current_pid();

// A 64-bit key naming one process incarnation: the pid plus a fingerprint of its start time, so a
// recycled pid gives a different key. Never 0.
uint64_t current_process_key();

inline uint32_t pid_of_key(uint64_t key) {
  return static_cast<uint32_t>(key);
}

enum class Liveness { kAlive, kDead, kUnknown };
Liveness process_liveness(uint64_t key);

uint64_t monotonic_ms();
uint64_t monotonic_us();  // the same clock in µs (every process of the machine shares it)
uint64_t wall_clock_ms();  // milliseconds since the Unix epoch, coarse is fine
uint64_t random_u64();

// ---- doorbells --------------------------------------------------------------------------------

// A process's doorbell wakes its event loops directly: a release hands the lock to a process whose
// JavaScript waits with one wake-up (its event loop) instead of two (its waiter thread, then its
// loop). Best effort: the park events and the waiter thread stay the guarantee, a lost or missing
// ring only takes the longer path. Linux: an abstract-namespace datagram socket named after the
// process key (nothing on disk, gone with the process). Windows: none.
int process_bell_fd();                 // this process's bell, made on the first call; -1 if none
bool ring_process_bell(uint64_t key);  // any thread, never blocks; false if no ring was delivered
int drain_process_bell(int fd);        // reads every pending ring; returns how many there were
// Event loops polling this process's bell (BellWatch counts itself in and out).
void bell_listeners_changed(int delta);
bool bell_has_listeners();

// Fault injection for the crash tests: when the environment variable INTERLOCK_CRASH_AT is
// "<point>" or "<point>:<n>", the process kills itself (SIGKILL, or TerminateProcess) the n-th time
// (default: first) it reaches that named point. Inert, one cached comparison, when unset.
// POSIX also has INTERLOCK_STALL_AT (same syntax): the process stops itself there (SIGSTOP), for
// tests of a peer that stalls at that point and resumes later (SIGCONT).
void crash_point(const char* point);

// Sleep the calling native thread (never called on a JavaScript thread except in bounded,
// microsecond-scale open() retries).
void sleep_ms(uint32_t ms);

}  // namespace interlock::platform
