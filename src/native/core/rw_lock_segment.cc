#include "core/rw_lock_segment.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "platform/segment_init.h"

namespace interlock {

using namespace state;
constexpr auto kSeq = std::memory_order_seq_cst;

namespace {

uint32_t words_for(uint32_t slots) {
  return (slots + 63) / 64;
}

}  // namespace

RwLockSegment::RwLockSegment(const LockOpenOptions& o) : scope_(o.scope) {
  if (o.max_processes < 1 || o.max_processes > kMaxSlots) {
    throw Error(ErrorCode::kInvalidArg, "maxProcesses must be an integer from 1 to 1024");
  }
  platform::SegmentOptions so;
  so.os_name = os_object_name(ObjectKind::kLock, o.name);
  so.size = kLockSegmentSize;
  so.mode = o.mode;
  so.scope = o.scope;
  so.exact_size = true;
  if (o.observe) {
    so.create = platform::CreateMode::kOpenOnly;
    so.read_only = true;  // looking changes nothing, and cannot: the mapping is read-only
  }
  observer_ = o.observe;
  segment_ = platform::Segment::open(so);
  const std::string what = "lock '" + o.name + "'";
  if (segment_->size() != kLockSegmentSize) {
    throw Error(ErrorCode::kIncompatible, what + " exists with a size no interlocked lock has");
  }
  layout_ = reinterpret_cast<LockLayout*>(segment_->data());
  LockHeader& h = layout_->header;
  if (observer_) {
    if (h.magic.load(kSeq) != kLockMagic) throw Error(ErrorCode::kIncompatible, what + " is not an initialised lock");
  } else {
    platform::initialise_once(*segment_, h.init_word, h.magic, kLockMagic, what, [&] {
      h.version = kLockVersion;
      h.slot_count = o.max_processes;
      h.segment_size = static_cast<uint32_t>(kLockSegmentSize);
      h.incarnation = platform::random_u64();
      layout_->state.word.store(0, std::memory_order_relaxed);
      layout_->state.writer_since_ms.store(0, std::memory_order_relaxed);
      for (auto& w : layout_->readers.words) w.store(0, std::memory_order_relaxed);
      for (Slot& s : layout_->slots) {
        s.owner.store(0, std::memory_order_relaxed);
        s.flags.store(0, std::memory_order_relaxed);
        s.park.store(0, std::memory_order_relaxed);
        s.bell.store(0, std::memory_order_relaxed);
        s.read_count.store(0, std::memory_order_relaxed);
        s.waiting_reads.store(0, std::memory_order_relaxed);
        s.waiting_writes.store(0, std::memory_order_relaxed);
        s.read_since_ms.store(0, std::memory_order_relaxed);
        s.wait_since_us.store(0, std::memory_order_relaxed);
      }
    });
  }
  if (h.version != kLockVersion) {
    throw Error(ErrorCode::kIncompatible, what + " was made by another version of interlocked (ABI " +
                                              std::to_string(h.version) + ", this is " + std::to_string(kLockVersion) +
                                              ")");
  }
  if (h.slot_count < 1 || h.slot_count > kMaxSlots || h.segment_size != kLockSegmentSize) {
    throw Error(ErrorCode::kIncompatible, what + " has a corrupt header");
  }
  slot_count_ = h.slot_count;
  char prefix[48];
  std::snprintf(prefix, sizeof prefix, "interlock.park.%016llx.", static_cast<unsigned long long>(h.incarnation));
  park_prefix_ = prefix;
  if (observer_) return;
  events_.resize(slot_count_);
  claim_slot();
  events_[slot_] = platform::ParkEvent::open(park_prefix_ + std::to_string(slot_), &layout_->slots[slot_].park, scope_);
}

bool RwLockSegment::is_mine(uint32_t index) const {
  return has_slot_ && index == slot_;
}

RwLockSegment::~RwLockSegment() {
  if (observer_) return;
  // The async layer releases every hold before it lets go of the segment; this is the backstop.
  uint32_t s = layout_->state.word.load(kSeq);
  if (writer_slot_plus_one(s) == slot_ + 1) drop_writer_field(false);
  if (local_reads_ > 0) remove_reads(local_reads_);
  clear_wait();
  Slot& mine = layout_->slots[slot_];
  mine.waiting_reads.store(0, std::memory_order_relaxed);
  mine.waiting_writes.store(0, std::memory_order_relaxed);
  mine.bell.store(0, kSeq);
  mine.owner.store(0, kSeq);
  segment_->release_hold(slot_);
}

void RwLockSegment::claim_slot() {
  const uint64_t key = platform::current_process_key();
  for (int attempt = 0;; ++attempt) {
    // Joining is rare: the moment to take back what dead processes left (slots, holds, claims).
    recover_dead();
    for (uint32_t i = 0; i < slot_count_; ++i) {
      if (layout_->slots[i].owner.load(kSeq) != 0) continue;
      // Hold first, then claim: a slot with an owner and no hold is always a dead one.
      if (!segment_->try_hold(i)) continue;
      uint64_t expected = 0;
      if (layout_->slots[i].owner.compare_exchange_strong(expected, key, kSeq)) {
        platform::crash_point("slot-claimed");
        layout_->slots[i].park.store(0, std::memory_order_relaxed);
        layout_->slots[i].bell.store(platform::bell_has_listeners() ? 1 : 0, kSeq);
        slot_ = i;
        has_slot_ = true;
        return;
      }
      segment_->release_hold(i);
    }
    // A slot that another process owns only while it cleans it (recovering a dead owner, or a stray
    // reader bit) is about to be free: its key then owns a second slot. Give it a few moments.
    if (attempt >= 20 || !slot_in_transit()) break;
    platform::sleep_ms(1);
  }
  throw Error(ErrorCode::kTooManyProcesses, "every one of the " + std::to_string(slot_count_) +
                                                " process slots of this lock is held by a live process");
}

bool RwLockSegment::slot_in_transit() const {
  std::vector<uint64_t> owners;
  for (uint32_t i = 0; i < slot_count_; ++i) {
    if (uint64_t owner = layout_->slots[i].owner.load(kSeq)) owners.push_back(owner);
  }
  std::sort(owners.begin(), owners.end());
  return std::adjacent_find(owners.begin(), owners.end()) != owners.end();
}

// ---- readers ----------------------------------------------------------------------------------

void RwLockSegment::add_reads(uint32_t n) {
  Slot& mine = layout_->slots[slot_];
  if (local_reads_ == 0) {
    mine.read_since_ms.store(platform::wall_clock_ms(), std::memory_order_relaxed);
    // Publish before re-reading the state word: the reader half of the Dekker pair with a writer's
    // claim-then-scan.
    layout_->readers.words[slot_ / 64].fetch_or(my_bit(), kSeq);
    platform::crash_point("reader-published");
  }
  local_reads_ += n;
  mine.read_count.store(local_reads_, std::memory_order_relaxed);
}

void RwLockSegment::remove_reads(uint32_t n) {
  local_reads_ -= n;
  layout_->slots[slot_].read_count.store(local_reads_, std::memory_order_relaxed);
  if (local_reads_ == 0) {
    layout_->readers.words[slot_ / 64].fetch_and(~my_bit(), kSeq);
    platform::crash_point("reader-left");
    wake_draining_writer();
    // Writers that parked while readers were let in ahead of them (a starving reader, a run of
    // readers woken by a release) have claimed nothing: the oldest is woken now.
    settle();
  }
}

// No writer, and while kStarving is up: the process whose turn it is; else a starving waiter (a
// writer only when no turn runs: a turn is that writer's until it ends). Readers share, so a
// starving reader may also go in during a writer's turn.
// Between turns the lock is kept for the starving waiter a release woke (the oldest), while that
// wake-up is in flight: a waiter that starved a moment later does not take it first.
bool RwLockSegment::admits(uint32_t s, bool write, bool starving) const {
  if (writer_slot_plus_one(s) != 0) return false;
  if (!(s & kStarving)) return true;
  int64_t turn = turn_holder();
  if (turn == static_cast<int64_t>(slot_)) return true;
  if (!starving) return false;
  if (!write) return true;
  if (turn >= 0) return false;
  uint64_t mark = layout_->state.woken.load(kSeq);
  return (mark & kWokenSlotMask) == slot_ + 1 || !wake_in_flight(mark, platform::monotonic_us());
}

int64_t RwLockSegment::turn_holder() const {
  uint64_t until = layout_->state.turn_until_us.load(kSeq);
  if (until == 0 || platform::monotonic_us() >= until) return -1;
  return static_cast<int64_t>(layout_->state.turn_slot.load(kSeq)) - 1;
}

// A starving writer that got the lock gets a turn. Written by the holder only (nobody else may
// claim meanwhile); until first at 0, so a reader never pairs the new end with the old slot.
void RwLockSegment::start_turn() {
  layout_->state.turn_until_us.store(0, kSeq);
  layout_->state.turn_slot.store(slot_ + 1, kSeq);
  layout_->state.turn_until_us.store(platform::monotonic_us() + kTurnUs, kSeq);
}

uint64_t RwLockSegment::defer_to_turn(bool starving) {
  uint32_t s = layout_->state.word.load(kSeq);
  if (!(s & kStarving) || !starving) return 0;
  const uint64_t now = platform::monotonic_us();
  uint64_t until = layout_->state.turn_until_us.load(kSeq);
  if (until == 0 || now >= until) {
    // No turn: kept out by another starving waiter's wake-up in flight (see admits). If that one
    // is gone, its mark lapses: look again then.
    uint64_t mark = layout_->state.woken.load(kSeq);
    if ((mark & kWokenSlotMask) != slot_ + 1 && wake_in_flight(mark, now)) return mark >> kWokenSlotBits;
    return 0;
  }
  if (layout_->state.turn_slot.load(kSeq) == slot_ + 1) return 0;
  // Only the oldest starving waiter (the one a release inside the turn rings): the others are
  // rung in their turn, instead of all waking together when this turn ends.
  if (oldest_flagged(slot_flag::kWantRead | slot_flag::kWantWrite, true) != static_cast<int64_t>(slot_)) return 0;
  // Releases inside the turn need wake nobody: we look again when it ends.
  layout_->state.woken.store(woken_mark(until, slot_), kSeq);
  return until;
}

bool RwLockSegment::try_read(uint32_t n, bool starving) {
  uint32_t s = layout_->state.word.load(kSeq);
  if (!admits(s, false, starving)) return false;
  add_reads(n);
  s = layout_->state.word.load(kSeq);
  if (admits(s, false, starving)) return true;
  remove_reads(n);
  return false;
}

void RwLockSegment::release_read(uint32_t n) {
  remove_reads(n);
}

void RwLockSegment::wake_draining_writer() {
  uint32_t s = layout_->state.word.load(kSeq);
  uint32_t w = writer_slot_plus_one(s);
  if (w != 0 && !(s & kActive)) wake_slot(w - 1);
}

bool RwLockSegment::any_reader() const {
  for (uint32_t i = 0, n = words_for(slot_count_); i < n; ++i) {
    if (layout_->readers.words[i].load(kSeq) != 0) return true;
  }
  return false;
}

// ---- writers ----------------------------------------------------------------------------------

bool RwLockSegment::claim_writer(bool starving) {
  uint32_t s = layout_->state.word.load(kSeq);
  while (admits(s, true, starving)) {
    if (layout_->state.word.compare_exchange_weak(s, s | (slot_ + 1), kSeq)) {
      platform::crash_point("writer-claimed");
      if (starving && (s & kStarving)) start_turn();
      return true;
    }
  }
  return false;
}

bool RwLockSegment::activate_if_drained() {
  if (any_reader()) return false;
  layout_->state.writer_since_ms.store(platform::wall_clock_ms(), std::memory_order_relaxed);
  layout_->state.word.fetch_or(kActive, kSeq);
  platform::crash_point("writer-active");
  return true;
}

bool RwLockSegment::try_write() {
  uint32_t s = layout_->state.word.load(kSeq);
  if (!admits(s, true, false)) return false;
  if (!layout_->state.word.compare_exchange_strong(s, s | (slot_ + 1), kSeq)) return false;
  platform::crash_point("writer-claimed");
  if (activate_if_drained()) return true;
  abandon_claim();
  return false;
}

void RwLockSegment::drop_writer_field(bool poison) {
  layout_->state.writer_since_ms.store(0, std::memory_order_relaxed);
  uint32_t s = layout_->state.word.load(kSeq);
  for (;;) {
    uint32_t next = ((s & ~(kWriterMask | kActive)) + kPhaseUnit) | (poison ? kPoisoned : 0);
    if (layout_->state.word.compare_exchange_weak(s, next, kSeq)) break;
  }
  platform::crash_point("writer-released");  // between the state change and the wake-ups
  settle();
}

void RwLockSegment::abandon_claim() {
  drop_writer_field(false);
}
void RwLockSegment::release_write(bool abandoned) {
  // abandoned: the holder went away without releasing (its Worker or env ended inside): the data
  // may be torn, as when a process dies inside.
  drop_writer_field(abandoned);
}

void RwLockSegment::downgrade() {
  add_reads(1);  // before the writer field goes: a writer that claims next drains this read
  drop_writer_field(false);
}

bool RwLockSegment::poisoned() const {
  return layout_->state.word.load(kSeq) & kPoisoned;
}
bool RwLockSegment::writers_waiting() const {
  return layout_->state.word.load(kSeq) & kWritersWaiting;
}
void RwLockSegment::mark_consistent() {
  layout_->state.word.fetch_and(~kPoisoned, kSeq);
}

// ---- wake-ups ---------------------------------------------------------------------------------

// After any change that may let a waiter in. Summary bits are cleared only here, and each clear is
// followed by a scan that wakes every flagged slot: a waiter that saw the bit set had published its
// flag before, so the scan finds it.
//
// While writers wait, one wake-up per release: the oldest waiter (a starving one first: while
// kStarving is up nobody else may get in), or, if the oldest waits to read, every waiting reader.
// A woken waiter that finds the lock taken again (a running process took it first) stays flagged
// and parks: the next release wakes the oldest again. One that leaves settles on its way out.
void RwLockSegment::settle() {
  for (;;) {
    uint32_t s = layout_->state.word.load(kSeq);
    if (writer_slot_plus_one(s) != 0) return;  // the holder settles on its release
    if (s & kWritersWaiting) {
      // A writer woken before has not looked yet (or waits for a turn to end): it will, and what
      // it finds decides the next wake-up. Two loads, no scan: a release in a tight loop while
      // others wait costs this much.
      if (wake_in_flight(layout_->state.woken.load(kSeq), platform::monotonic_us())) return;
      if (any_flagged(slot_flag::kWantWrite)) {
        int64_t next = -1;
        if (s & kStarving) next = oldest_flagged(slot_flag::kWantRead | slot_flag::kWantWrite, true);
        if (next < 0) next = oldest_flagged(slot_flag::kWantRead | slot_flag::kWantWrite, false);
        uint32_t i = static_cast<uint32_t>(next);
        if (next >= 0 && (layout_->slots[i].flags.load(kSeq) & slot_flag::kWantWrite)) {
          // One wake-up in flight at a time (the mark; re-checked here for the exchange). The
          // oldest waiter is rung first: the handoff's latency is this ring, nothing before it.
          // A waiter that died parked stays flagged until someone recovers its slot, and that
          // wake-up reached nobody: then every waiter is woken, as before protocol 3. The liveness
          // look may be a system call: at most one per millisecond per process and lock (a live
          // waiter also wakes by itself when it starves, within 1 ms).
          uint64_t now = platform::monotonic_us();
          uint64_t mark = layout_->state.woken.load(kSeq);
          if (wake_in_flight(mark, now)) return;
          if (!layout_->state.woken.compare_exchange_strong(mark, woken_mark(now + kWokenUs, i), kSeq)) continue;
          wake_slot(i);
          if (!is_mine(i)) {
            uint64_t owner = layout_->slots[i].owner.load(kSeq);
            bool alive = owner != 0;
            now /= 1000;
            if (alive && now >= next_liveness_look_ms_) {
              next_liveness_look_ms_ = now + 1;
              alive = owner_alive(i, owner);
            }
            if (!alive) wake_flagged(slot_flag::kWantRead | slot_flag::kWantWrite);
          }
        } else {
          wake_flagged(slot_flag::kWantRead);  // a run of readers (a writer may have left meanwhile)
          if (next < 0) continue;
        }
        return;
      }
      if (!layout_->state.word.compare_exchange_weak(s, s & ~(kWritersWaiting | kReadersWaiting), kSeq)) continue;
      wake_flagged(slot_flag::kWantRead | slot_flag::kWantWrite);
      return;
    }
    if (s & kReadersWaiting) {
      if (!layout_->state.word.compare_exchange_weak(s, s & ~kReadersWaiting, kSeq)) continue;
      wake_flagged(slot_flag::kWantRead | slot_flag::kWantWrite);
    }
    return;
  }
}

// Never ourselves (we are looking at the lock now), never a second wake-up while one is in flight.
void RwLockSegment::wake_oldest_starving() {
  int64_t next = oldest_flagged(slot_flag::kWantRead | slot_flag::kWantWrite, true);
  if (next < 0 || is_mine(static_cast<uint32_t>(next))) return;
  uint32_t i = static_cast<uint32_t>(next);
  if (!(layout_->slots[i].flags.load(kSeq) & slot_flag::kWantWrite)) {
    wake_slot(i);
    return;
  }
  uint64_t now = platform::monotonic_us();
  uint64_t mark = layout_->state.woken.load(kSeq);
  if (wake_in_flight(mark, now)) return;
  if (layout_->state.woken.compare_exchange_strong(mark, woken_mark(now + kWokenUs, i), kSeq)) wake_slot(i);
}

int64_t RwLockSegment::oldest_flagged(uint32_t flags, bool starving_only) const {
  int64_t best = -1;
  uint64_t best_since = 0;
  for (uint32_t i = 0; i < slot_count_; ++i) {
    uint32_t f = layout_->slots[i].flags.load(kSeq);
    if (!(f & flags) || (starving_only && !(f & slot_flag::kStarving))) continue;
    uint64_t since = layout_->slots[i].wait_since_us.load(kSeq);
    if (best < 0 || since < best_since) {
      best = i;
      best_since = since;
    }
  }
  return best;
}

// kStarving comes down only here, when no slot is flagged starving; the rescan after the clear
// puts it back for a waiter that flagged itself meanwhile (it raises the bit after its flag).
bool RwLockSegment::settle_starving() {
  for (;;) {
    uint32_t s = layout_->state.word.load(kSeq);
    if (!(s & kStarving)) return false;
    if (oldest_flagged(slot_flag::kWantRead | slot_flag::kWantWrite, true) >= 0) return false;
    if (!layout_->state.word.compare_exchange_weak(s, s & ~kStarving, kSeq)) continue;
    if (oldest_flagged(slot_flag::kWantRead | slot_flag::kWantWrite, true) >= 0) {
      layout_->state.word.fetch_or(kStarving, kSeq);
      continue;
    }
    return true;
  }
}

bool RwLockSegment::any_flagged(uint32_t flags) const {
  for (uint32_t i = 0; i < slot_count_; ++i) {
    if (layout_->slots[i].flags.load(kSeq) & flags) return true;
  }
  return false;
}

void RwLockSegment::wake_flagged(uint32_t flags) {
  for (uint32_t i = 0; i < slot_count_; ++i) {
    if (layout_->slots[i].flags.load(kSeq) & flags) wake_slot(i);
  }
}

void RwLockSegment::wake_slot(uint32_t index) {
  if (index >= slot_count_) return;  // only a corrupt segment names such a slot
  if (!events_[index]) {
    events_[index] =
        platform::ParkEvent::open(park_prefix_ + std::to_string(index), &layout_->slots[index].park, scope_);
  }
  // An owner whose event loops listen on its doorbell serves the grant from the loop itself: one
  // wake-up (the loop) instead of two (its waiter thread, then the loop). Only for a waiting writer:
  // the writers-waiting bit it keeps up stops anyone from taking the lock before its loop runs. A
  // waiting reader holds nothing back, so a writer looping on the fast path could take the lock
  // every time before the reader's loop got there: its waiter thread is woken too, and takes the
  // read at once. A ring that cannot be delivered (the owner is gone, or in another network
  // namespace) falls back to the park event.
  Slot& slot = layout_->slots[index];
  if (slot.bell.load(kSeq) != 0) {
    bool rung = platform::ring_process_bell(slot.owner.load(kSeq));
    if (rung && (slot.flags.load(kSeq) & slot_flag::kWantWrite)) return;
  }
  events_[index]->set();
}

// ---- parking ----------------------------------------------------------------------------------

void RwLockSegment::reset_park() {
  events_[slot_]->reset();
}
void RwLockSegment::park(uint32_t timeout_ms) {
  events_[slot_]->wait(timeout_ms);
}
void RwLockSegment::wake_self() {
  events_[slot_]->set();
}

bool RwLockSegment::publish_wait(bool write, uint64_t since_us, bool starving) {
  Slot& mine = layout_->slots[slot_];
  mine.wait_since_us.store(since_us, kSeq);  // before the flag: a waker that sees the flag sees the age
  uint32_t flags = (write ? slot_flag::kWantWrite : slot_flag::kWantRead) | (starving ? slot_flag::kStarving : 0);
  uint32_t was = mine.flags.exchange(flags, kSeq);
  // No longer a waiting writer (its write went away, a read is next): a wake-up meant for us
  // goes on to the next waiter.
  if ((was & slot_flag::kStarving) && !starving && settle_starving()) {
    settle();  // waiters that only kStarving kept out
  } else if (!write && (was & slot_flag::kWantWrite)) {
    settle();
  }
  const uint32_t bits = (write ? kWritersWaiting : kReadersWaiting) | (starving ? kStarving : 0);
  uint32_t s = layout_->state.word.load(kSeq);
  for (;;) {
    if (admits(s, write, starving)) return false;
    if ((s & bits) == bits) break;
    if (layout_->state.word.compare_exchange_weak(s, s | bits, kSeq)) break;
  }
  platform::crash_point("wait-published");
  // Free, and only starving waiters may go in (a turn of ours just ended, say): nobody else may
  // be about to release, so wake the one whose turn it is now.
  if (writer_slot_plus_one(s) == 0 && (s & kStarving) && turn_holder() < 0) wake_oldest_starving();
  return true;
}

uint64_t RwLockSegment::woken_mark(uint64_t until_us, uint32_t slot) {
  return until_us << kWokenSlotBits | (slot + 1);
}

// Whether a release may leave the waking to a waiter woken before: only while the mark is young
// and its slot still waits to write. That waiter looks at the lock after the mark was made (it was
// rung after, or looks at the mark's time by itself): a release it missed, its look sees. A mark
// whose waiter left (it took the lock another way, or gave up) holds back nobody.
bool RwLockSegment::wake_in_flight(uint64_t mark, uint64_t now_us) const {
  if (mark == 0 || now_us >= mark >> kWokenSlotBits) return false;
  uint32_t slot = static_cast<uint32_t>(mark & kWokenSlotMask) - 1;
  return slot < slot_count_ && (layout_->slots[slot].flags.load(kSeq) & slot_flag::kWantWrite);
}

void RwLockSegment::note_awake() {
  // Only our own mark, and only a write when there is one: a look costs no store on the line.
  uint64_t mark = layout_->state.woken.load(kSeq);
  if (mark != 0 && (mark & kWokenSlotMask) == slot_ + 1) layout_->state.woken.compare_exchange_strong(mark, 0, kSeq);
}

void RwLockSegment::clear_wait() {
  uint32_t old = layout_->slots[slot_].flags.exchange(0, kSeq);
  if (old & slot_flag::kWantWrite) note_awake();  // a wake-up on its way to us goes on (settle below)
  if (old & slot_flag::kStarving) settle_starving();
  // A wake-up meant for us (a writer woken alone, or a starving waiter that kept others out) goes
  // on to the next waiter.
  if (old & (slot_flag::kWantWrite | slot_flag::kStarving)) settle();
}

void RwLockSegment::set_waiting_counts(uint32_t reads, uint32_t writes) {
  layout_->slots[slot_].waiting_reads.store(reads, std::memory_order_relaxed);
  layout_->slots[slot_].waiting_writes.store(writes, std::memory_order_relaxed);
}

// ---- recovery ---------------------------------------------------------------------------------

uint32_t RwLockSegment::recover_dead() {
  const uint64_t me = platform::current_process_key();
  uint32_t recovered = 0;
  for (uint32_t i = 0; i < slot_count_; ++i) {
    // Our own slot by index, never by key: another process (another pid namespace) may share our
    // key, and its slot must be recovered when it dies.
    if (is_mine(i)) continue;
    uint64_t owner = layout_->slots[i].owner.load(kSeq);
    if (owner == 0 || owner_alive(i, owner)) continue;
    // Hold the slot while cleaning it: no other recoverer or claimer touches it meanwhile, and if
    // we die half way the kernel drops our hold and the next recoverer starts again.
    if (!segment_->try_hold(i)) continue;
    if (layout_->slots[i].owner.compare_exchange_strong(owner, me, kSeq)) {
      platform::crash_point("recovery-claimed");
      bool abandoned = clean_dead_slot(i);
      if (recovered_.size() < 1024) recovered_.push_back({platform::pid_of_key(owner), abandoned});
      layout_->slots[i].bell.store(0, kSeq);
      layout_->slots[i].owner.store(0, kSeq);
      ++recovered;
    }
    segment_->release_hold(i);
  }
  drop_writer_if_stray();
  // Backstop: a free lock whose waiting bits nobody acted on (a waker that died between its state
  // change and its wake-ups) gets its waiters woken now.
  settle_starving();
  settle();
  return recovered;
}

std::vector<RwLockSegment::DeadHolder> RwLockSegment::take_recovered() {
  std::vector<DeadHolder> taken;
  taken.swap(recovered_);
  return taken;
}

// After a try that failed: were we turned away by a process that is gone (a dead writer, a dead
// waiting writer, a dead reader when we want to write), by a writer field or waiting bit nobody
// stands behind? Then recover, and the caller tries once more. A try-only process has no waiter
// thread whose slices would ever do this for it. Liveness checks may be system calls: the caller
// rate-limits this.
bool RwLockSegment::recover_blockers(bool write) {
  uint32_t s = layout_->state.word.load(kSeq);
  bool stale = false;
  auto gone = [&](uint32_t i) {
    if (i >= slot_count_) return true;
    if (is_mine(i)) return false;
    uint64_t owner = layout_->slots[i].owner.load(kSeq);
    return owner == 0 || !owner_alive(i, owner);
  };
  if (uint32_t w = writer_slot_plus_one(s)) stale |= gone(w - 1);
  if (s & kWritersWaiting) {
    bool waiting_writer = false;
    for (uint32_t i = 0; i < slot_count_ && !stale; ++i) {
      if (!(layout_->slots[i].flags.load(kSeq) & slot_flag::kWantWrite)) continue;
      waiting_writer = true;
      stale |= gone(i);
    }
    // Raised by a writer that is no longer waiting, and never settled (its settle ran before our
    // look, or it died between): nobody stands behind the bit.
    stale |= !waiting_writer && writer_slot_plus_one(s) == 0;
  }
  if ((s & kStarving) && !stale) {
    bool starving_waiter = false;
    for (uint32_t i = 0; i < slot_count_ && !stale; ++i) {
      if (!(layout_->slots[i].flags.load(kSeq) & slot_flag::kStarving)) continue;
      starving_waiter = true;
      stale |= gone(i);
    }
    stale |= !starving_waiter;  // raised by a waiter that left, and never brought down
  }
  if (write && !stale) {
    for (uint32_t word = 0; word < words_for(slot_count_) && !stale; ++word) {
      uint64_t bits = layout_->readers.words[word].load(kSeq);
      for (uint32_t b = 0; bits != 0 && b < 64 && !stale; ++b) {
        if (bits >> b & 1) stale |= gone(word * 64 + b);
      }
    }
  }
  if (!stale) return false;
  recover_dead();
  return true;
}

// The kernel's slot hold is the authority where the system has one (immune to pid reuse and pid
// namespaces); otherwise the owner key's pid and start time.
bool RwLockSegment::owner_alive(uint32_t index, uint64_t owner) const {
  switch (segment_->hold_state(index)) {
    case platform::Segment::Hold::kHeld:
      return true;
    case platform::Segment::Hold::kFree:
      return false;
    case platform::Segment::Hold::kUnsupported:
      break;
  }
  return platform::process_liveness(owner) != platform::Liveness::kDead;
}

// A corrupt segment (or a crash no recovery saw) can leave the writer field naming a slot that does
// not exist or has no owner, or reader bits of unowned slots: take those back too.
void RwLockSegment::drop_writer_if_stray() {
  uint32_t s = layout_->state.word.load(kSeq);
  uint32_t w = writer_slot_plus_one(s);
  // Safe on the exact word: a process that claims the slot later cannot also own the writer field
  // while it names that slot, and any change of the word (a phase, a bit) fails the exchange.
  while (w != 0 && (w > slot_count_ || layout_->slots[w - 1].owner.load(kSeq) == 0)) {
    uint32_t next = ((s & ~(kWriterMask | kActive)) + kPhaseUnit) | ((s & kActive) ? kPoisoned : 0);
    if (layout_->state.word.compare_exchange_weak(s, next, kSeq)) break;
    w = writer_slot_plus_one(s);
  }
  for (uint32_t word = 0; word < kMaxSlots / 64; ++word) {
    uint64_t bits = layout_->readers.words[word].load(kSeq);
    for (uint32_t b = 0; bits != 0 && b < 64; ++b) {
      uint32_t i = word * 64 + b;
      if (!(bits >> b & 1)) continue;
      if (i >= slot_count_) {  // no process can own such a slot
        layout_->readers.words[word].fetch_and(~(uint64_t{1} << b), kSeq);
      } else if (layout_->slots[i].owner.load(kSeq) == 0) {
        clear_stray_reader(i);
      }
    }
  }
  wake_draining_writer();
}

// A reader bit whose slot looked unowned. The slot may be claimed by a new reader at any moment,
// whose bit must survive: own the slot first (its hold, then its owner word, as a joiner claims
// it), and only then look at the bit again. While we own it nobody else can set that bit.
void RwLockSegment::clear_stray_reader(uint32_t i) {
  Slot& slot = layout_->slots[i];
  if (!segment_->try_hold(i)) return;  // a live process holds it: the bit may be its own
  uint64_t expected = 0;
  if (slot.owner.compare_exchange_strong(expected, platform::current_process_key(), kSeq)) {
    platform::crash_point("stray-claimed");
    layout_->readers.words[i / 64].fetch_and(~(uint64_t{1} << (i % 64)), kSeq);
    slot.read_count.store(0, std::memory_order_relaxed);
    slot.owner.store(0, kSeq);
  }
  segment_->release_hold(i);
}

std::vector<uint64_t> RwLockSegment::blockers(bool draining) const {
  std::vector<uint64_t> keys;
  auto add = [&](uint32_t i) {
    if (i >= slot_count_ || is_mine(i)) return;
    uint64_t owner = layout_->slots[i].owner.load(kSeq);
    if (owner != 0) keys.push_back(owner);
  };
  uint32_t s = layout_->state.word.load(kSeq);
  if (uint32_t w = writer_slot_plus_one(s)) add(w - 1);
  for (uint32_t i = 0; i < slot_count_; ++i) {
    bool reader = layout_->readers.words[i / 64].load(kSeq) >> (i % 64) & 1;
    bool waiting_writer = layout_->slots[i].flags.load(kSeq) & slot_flag::kWantWrite;
    if ((draining && reader) || (!draining && waiting_writer && (s & kWritersWaiting))) add(i);
  }
  return keys;
}

bool RwLockSegment::clean_dead_slot(uint32_t i) {
  bool abandoned = false;
  Slot& slot = layout_->slots[i];
  slot.flags.store(0, kSeq);
  slot.waiting_reads.store(0, std::memory_order_relaxed);
  slot.waiting_writes.store(0, std::memory_order_relaxed);
  // Never free a slot the state word still names as writer.
  uint32_t s = layout_->state.word.load(kSeq);
  while (writer_slot_plus_one(s) == i + 1) {
    uint32_t next = ((s & ~(kWriterMask | kActive)) + kPhaseUnit) | ((s & kActive) ? kPoisoned : 0);
    if (layout_->state.word.compare_exchange_weak(s, next, kSeq)) {
      layout_->state.writer_since_ms.store(0, std::memory_order_relaxed);
      abandoned = (s & kActive) != 0;
      break;
    }
  }
  slot.read_count.store(0, std::memory_order_relaxed);
  layout_->readers.words[i / 64].fetch_and(~(uint64_t{1} << (i % 64)), kSeq);
  slot.park.store(0, std::memory_order_relaxed);
  platform::crash_point("recovery-cleaned");
  wake_draining_writer();
  settle_starving();  // a dead starving waiter keeps nobody out
  settle();
  return abandoned;
}

LockSnapshot RwLockSegment::inspect() const {
  LockSnapshot snap;
  snap.slot_count = slot_count_;
  uint32_t s = layout_->state.word.load(kSeq);
  snap.poisoned = s & kPoisoned;
  for (uint32_t i = 0; i < slot_count_; ++i) {
    const Slot& slot = layout_->slots[i];
    uint64_t owner = slot.owner.load(kSeq);
    if (owner == 0) continue;
    ++snap.attached;
    bool alive = is_mine(i) || owner_alive(i, owner);
    if (alive) ++snap.attached_alive;
    uint32_t pid = platform::pid_of_key(owner);
    if (writer_slot_plus_one(s) == i + 1) {
      snap.has_writer = true;
      snap.writer_active = s & kActive;
      snap.writer = {pid, 1, layout_->state.writer_since_ms.load(std::memory_order_relaxed), alive};
    }
    uint32_t reads = slot.read_count.load(std::memory_order_relaxed);
    if (reads > 0) snap.readers.push_back({pid, reads, slot.read_since_ms.load(std::memory_order_relaxed), alive});
    uint32_t waiting_reads = slot.waiting_reads.load(std::memory_order_relaxed);
    uint32_t waiting_writes = slot.waiting_writes.load(std::memory_order_relaxed);
    if (alive) {  // a dead process's queue is nobody's wait (it goes with its slot's recovery)
      snap.waiting_reads += waiting_reads;
      snap.waiting_writes += waiting_writes;
    }
    if (waiting_reads + waiting_writes > 0) snap.waiters.push_back({pid, waiting_reads, waiting_writes, alive});
  }
  return snap;
}

}  // namespace interlock
