// The portable reader/writer protocol over one lock segment, seen from one attached process.
//
// Every method is called with the process's per-lock mutex held (the async layer serialises them),
// except park(), which the single waiter thread calls without it. See DESIGN.md, "The protocol".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/lock_layout.h"
#include "core/names.h"
#include "platform/platform.h"

namespace interlock {

struct LockOpenOptions {
  std::string name;  // already validated
  uint32_t max_processes = kDefaultSlots;
  unsigned mode = 0600;
  Scope scope = Scope::kLocal;
  // A read-only look (inspection tools): open an existing lock only, claim no slot, recover
  // nothing, touch nothing; only inspect() may be called.
  bool observe = false;
};

struct HolderInfo {
  uint32_t pid;
  uint32_t count;
  uint64_t since_ms;  // 0 = unknown
  bool alive;
};

// One process with queued requests (per-process queue counts, for inspect()).
struct WaiterInfo {
  uint32_t pid;
  uint32_t reads;
  uint32_t writes;
  bool alive;
};

struct LockSnapshot {
  bool has_writer = false;
  bool writer_active = false;
  HolderInfo writer{};
  std::vector<HolderInfo> readers;
  uint32_t waiting_reads = 0;
  uint32_t waiting_writes = 0;
  std::vector<WaiterInfo> waiters;
  bool poisoned = false;
  uint32_t slot_count = 0;
  uint32_t attached = 0;
  uint32_t attached_alive = 0;  // attached processes that are alive (the others await recovery)
};

class RwLockSegment {
 public:
  explicit RwLockSegment(const LockOpenOptions& options);
  ~RwLockSegment();
  RwLockSegment(const RwLockSegment&) = delete;
  RwLockSegment& operator=(const RwLockSegment&) = delete;

  uint32_t slot_index() const { return slot_; }
  uint32_t slot_count() const { return slot_count_; }

  // ---- acquisition (never blocks) ----
  // Eventual fairness: a free lock may be taken past waiters that have waited less than the
  // starvation bound (the running process goes on, nobody pays a wake-up per operation); once one
  // has waited longer it raises kStarving, and then only starving waiters get in: the oldest first,
  // and a writer among them for a turn (kTurnUs) in which it may take the lock again.
  // Adds n read holds if the lock admits readers now (no writer; no starving waiter, unless the
  // caller is one).
  bool try_read(uint32_t n, bool starving = false);
  void release_read(uint32_t n);
  // Claims the writer field and activates at once; fails if there is a writer, a starving waiter
  // or any reader.
  bool try_write();
  // Waiter path: claim the writer field (readers then back out), later activate once drained.
  // Refused while kStarving is up, unless the caller is a starving waiter itself.
  bool claim_writer(bool starving = false);
  bool activate_if_drained();
  void abandon_claim();  // give the writer field back before it became active
  void release_write(bool abandoned = false);
  void downgrade();  // active write -> one read hold, with no writer admitted in between
  bool poisoned() const;
  bool writers_waiting() const;
  void mark_consistent();

  // ---- parking (waiter thread) ----
  void reset_park();
  // Publishes that this process waits to read or write, for a request made at since_us (the
  // monotonic clock); starving: it has waited past the bound. False: the state admits it now, retry.
  bool publish_wait(bool write, uint64_t since_us, bool starving);
  // No longer waiting: clears the flags and passes on wake-ups meant for the lock.
  void clear_wait();
  // After a look that found the lock refused to us by another process's turn: when that turn
  // ends (monotonic µs; 0: no such turn). Releases meanwhile wake nobody: the caller looks again
  // at that time by itself.
  uint64_t defer_to_turn(bool starving);
  // A waiter is about to look at the lock (and take it, or publish its wait): a wake-up in flight
  // has arrived, and the next release may wake again. Call before the look, never after it: a
  // release that saw the mark and woke nobody is then seen by the look.
  void note_awake();
  void park(uint32_t timeout_ms);
  void wake_self();
  void set_waiting_counts(uint32_t reads, uint32_t writes);

  // ---- recovery and inspection ----
  // Frees the slots of dead processes (their holds, claims and flags) and wakes whoever may proceed,
  // including waiters of a free lock that no waker woke. Returns the number of slots recovered.
  uint32_t recover_dead();
  // The dead processes recover_dead() took slots back from since the last call, oldest first.
  struct DeadHolder {
    uint32_t pid;
    bool abandoned;  // it died inside the write lock
  };
  std::vector<DeadHolder> take_recovered();
  // After a failed try: recovers if a dead process, or a bit nobody stands behind, turned it away.
  // True: something was taken back, try again.
  bool recover_blockers(bool write);
  LockSnapshot inspect() const;
  // The processes this one waits for now (the writer; the readers, if we drain; the waiting
  // writers, if we wait to read behind them): a waiter watches them to recover the moment one dies.
  std::vector<uint64_t> blockers(bool draining) const;

 private:
  void claim_slot();
  bool slot_in_transit() const;
  void add_reads(uint32_t n);
  void remove_reads(uint32_t n);
  void drop_writer_field(bool poison);
  void settle();
  void wake_oldest_starving();  // another process's starving waiter, when the lock is free for it
  bool settle_starving();  // true: it brought kStarving down (then settle(): someone may go now)
  bool admits(uint32_t s, bool write, bool starving) const;  // see the definition
  int64_t turn_holder() const;                               // slot index, or -1: no turn now
  static uint64_t woken_mark(uint64_t until_us, uint32_t slot);
  bool wake_in_flight(uint64_t mark, uint64_t now_us) const;
  void start_turn();
  int64_t oldest_flagged(uint32_t flags, bool starving_only) const;  // slot index, or -1
  bool any_reader() const;
  bool any_flagged(uint32_t flags) const;
  void wake_flagged(uint32_t flags);
  void wake_slot(uint32_t index);
  void wake_draining_writer();
  bool clean_dead_slot(uint32_t index);  // true: it was the writer, inside (now poisoned)
  void drop_writer_if_stray();
  void clear_stray_reader(uint32_t index);
  bool is_mine(uint32_t index) const;  // our own slot (by index: keys may repeat across pid namespaces)
  bool owner_alive(uint32_t index, uint64_t owner) const;
  uint64_t my_bit() const { return uint64_t{1} << (slot_ % 64); }

  std::unique_ptr<platform::Segment> segment_;
  LockLayout* layout_;
  std::string park_prefix_;
  Scope scope_;
  uint32_t slot_count_ = 0;
  uint32_t slot_ = 0;
  bool has_slot_ = false;
  bool observer_ = false;
  uint32_t local_reads_ = 0;
  std::vector<std::unique_ptr<platform::ParkEvent>> events_;  // opened on first use, one per slot
  std::vector<DeadHolder> recovered_;                          // until take_recovered()
  uint64_t next_liveness_look_ms_ = 0;  // settle()'s look at the waiter it wakes alone
  // How long a woken waiter has to run before releases wake again.
  static constexpr uint64_t kWokenUs = 2000;
  // The mark is until_us << kWokenSlotBits | slot + 1.
  static constexpr unsigned kWokenSlotBits = 11;
  static constexpr uint64_t kWokenSlotMask = (uint64_t{1} << kWokenSlotBits) - 1;
  static_assert(kMaxSlots + 1 <= kWokenSlotMask, "every slot + 1 fits in the woken mark");
  // How long a starving writer that got the lock by a handoff may take it again before the next
  // starving waiter's turn: a few hundred operations of a critical section of a few µs, one
  // handoff (one wake-up) for all of them.
  static constexpr uint64_t kTurnUs = 1000;
};

}  // namespace interlock
