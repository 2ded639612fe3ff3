// The fake platform: every function of platform/platform.h that the core (rw_lock_segment.cc,
// segment_init.h) and async/process_lock.cc need, over in-memory model objects. Segments are
// buffers in a registry keyed by OS name, with slot holds per descriptor (Linux's OFD locks) or
// none (Windows); park events are model events whose wait(timeout) blocks the actor in the
// scheduler, with a model timer; exit watches fire when the explorer crashes a watched process;
// doorbells wake the JS thread of a live listening process; process keys, liveness and the clock
// come from the model world; crash_point is inert (the explorer crashes processes at every
// scheduling point instead).
#include <cstring>
#include <map>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "core/lock_layout.h"
#include "model.h"
#include "model_atomic.h"
#include "platform/platform.h"

namespace interlock::platform {

namespace {

struct Holder {
  int proc;
  int descriptor;  // the FakeSegment (an open file description: its own holds never conflict)
};

struct Buffer {
  uint8_t* data = nullptr;
  size_t size = 0;
  std::map<uint32_t, Holder> holds;  // hold index (a slot's, or the init hold) -> holder
  ~Buffer() { ::operator delete[](data, std::align_val_t{64}); }
};

std::map<std::string, std::unique_ptr<Buffer>>& buffers() {
  static std::map<std::string, std::unique_ptr<Buffer>> b;
  return b;
}
std::map<std::string, std::unique_ptr<model::ModelEvent>>& events() {
  static std::map<std::string, std::unique_ptr<model::ModelEvent>> e;
  return e;
}
int next_descriptor = 0;

bool proc_alive(int p) {
  auto& procs = model::world().procs;
  return p >= 0 && p < static_cast<int>(procs.size()) && procs[p]->alive;
}

// Slot holds model Linux's OFD locks on the segment's descriptor: taking, dropping and querying one
// are system calls on kernel state shared with the other processes, so each is a scheduling point.
class FakeSegment : public Segment {
 public:
  FakeSegment(Buffer* b, bool created) : b_(b), created_(created), descriptor_(++next_descriptor) {}
  ~FakeSegment() override {  // closing the descriptor drops every hold taken through it
    for (auto it = b_->holds.begin(); it != b_->holds.end();) {
      it = it->second.descriptor == descriptor_ ? b_->holds.erase(it) : std::next(it);
    }
  }
  uint8_t* data() const override { return b_->data; }
  size_t size() const override { return b_->size; }
  bool created() const override { return created_; }
  bool try_hold(uint32_t i) override {
    model::check_point("takes a slot hold");
    if (!model::world().model_holds) return true;
    auto it = b_->holds.find(i);
    if (it != b_->holds.end() && it->second.descriptor != descriptor_ && proc_alive(it->second.proc)) return false;
    b_->holds[i] = Holder{model::current_process(), descriptor_};
    return true;
  }
  void release_hold(uint32_t i) override {
    model::check_point("drops a slot hold");
    if (!model::world().model_holds) return;
    auto it = b_->holds.find(i);
    if (it != b_->holds.end() && it->second.descriptor == descriptor_) b_->holds.erase(it);
  }
  Hold hold_state(uint32_t i) const override {
    model::check_point("queries a slot hold");
    if (!model::world().model_holds) return Hold::kUnsupported;
    auto it = b_->holds.find(i);
    // Like an OFD lock queried through the querier's own descriptor: its own holds do not conflict.
    return it != b_->holds.end() && it->second.descriptor != descriptor_ && proc_alive(it->second.proc) ? Hold::kHeld
                                                                                                          : Hold::kFree;
  }

 private:
  Buffer* b_;
  bool created_;
  int descriptor_;
};

class FakeParkEvent : public ParkEvent {
 public:
  FakeParkEvent(model::ModelEvent* ev, std::string slot) : ev_(ev), slot_(std::move(slot)) {}
  // Setting and resetting are shared-memory operations too (the futex word on Linux).
  void set() override {
    model::check_point(model::g_tracing ? ("sets the event of slot " + slot_).c_str() : "sets an event");
    model::set_event(*ev_);
  }
  void reset() override {
    model::check_point("resets its event");
    model::reset_event(*ev_);
  }
  void wait(uint32_t timeout_ms) override { model::park(*ev_, timeout_ms); }

 private:
  model::ModelEvent* ev_;
  std::string slot_;
};

class FakeExitWatch : public ExitWatch {
 public:
  explicit FakeExitWatch(std::function<void()> on_exit) {
    w_.proc = model::current_process();
    w_.on_exit = std::move(on_exit);
    model::watch_register(&w_);
  }
  ~FakeExitWatch() override { model::watch_unregister(&w_); }
  void watch(const std::vector<uint64_t>& keys) override { model::watch_set(&w_, keys); }

 private:
  model::Watch w_;
};

}  // namespace

std::unique_ptr<Segment> Segment::open(const SegmentOptions& o) {
  auto& b = buffers()[o.os_name];
  bool created = false;
  if (!b) {
    if (o.create == CreateMode::kOpenOnly) throw Error(ErrorCode::kNotFound, "no such model segment");
    b = std::make_unique<Buffer>();
    b->size = o.size;
    b->data = static_cast<uint8_t*>(::operator new[](o.size, std::align_val_t{64}));
    std::memset(b->data, 0, o.size);
    created = true;
  }
  return std::make_unique<FakeSegment>(b.get(), created);
}

bool Segment::unlink(const std::string& os_name, Scope) {
  return buffers().erase(os_name) > 0;
}

std::unique_ptr<ParkEvent> ParkEvent::open(const std::string& name, std::atomic<uint32_t>*, Scope) {
  auto& e = events()[name];
  if (!e) e = std::make_unique<model::ModelEvent>();
  return std::make_unique<FakeParkEvent>(e.get(), name.substr(name.rfind('.') + 1));
}

std::unique_ptr<ExitWatch> ExitWatch::create(std::function<void()> on_exit) {
  return std::make_unique<FakeExitWatch>(std::move(on_exit));
}

uint32_t current_pid() {
  return 1000 + static_cast<uint32_t>(model::current_process());
}
uint64_t current_process_key() {
  int p = model::current_process();
  return p >= 0 ? model::world().procs[p]->key : 0xDEAD0000u;
}
Liveness process_liveness(uint64_t key) {
  return model::key_alive(key) ? Liveness::kAlive : Liveness::kDead;
}
uint64_t monotonic_ms() {
  return model::now_ms();
}
uint64_t monotonic_us() {
  return model::now_ms() * 1000;
}
uint64_t wall_clock_ms() {
  return model::now_ms();
}
uint64_t random_u64() {
  return 0x1DEA5EEDull;
}
void crash_point(const char*) {}
void sleep_ms(uint32_t) {
  model::check_point("sleep");
}

// ---- doorbells (instead of platform/no_bell.cc) ----
// Every simulated process that listens has a bell: a ring to a live one wakes its JS thread's event
// loop, which serves its active locks (serve_active_locks); a ring to a dead process, or to one
// without a bell, is not delivered. A ring is a system call: a scheduling point.
int process_bell_fd() {
  return model::bell_listening() ? 3 : -1;
}
bool ring_process_bell(uint64_t key) {
  model::check_point("rings a doorbell");
  return model::ring_bell(key);
}
int drain_process_bell(int) {
  return 0;
}
void bell_listeners_changed(int) {}
bool bell_has_listeners() {
  return model::bell_listening();
}

}  // namespace interlock::platform

namespace interlock::model {

namespace {
LockLayout* the_layout() {
  auto& b = platform::buffers();
  return b.empty() ? nullptr : reinterpret_cast<LockLayout*>(b.begin()->second->data);
}
template <class T>
T peek(const SharedAtomic<T>& a) {
  return static_cast<const std::atomic<T>&>(a).load();
}
}  // namespace

void reset_platform() {
  platform::events().clear();
  platform::buffers().clear();
}

void drop_holds(int proc) {
  for (auto& [name, b] : platform::buffers()) {
    for (auto it = b->holds.begin(); it != b->holds.end();) {
      it = it->second.proc == proc ? b->holds.erase(it) : std::next(it);
    }
  }
}

uint64_t state_hash() {
  LockLayout* l = the_layout();
  if (!l) return 0;
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  mix(peek(l->state.word));
  mix(peek(l->readers.words[0]));
  for (uint32_t i = 0; i < l->header.slot_count && i < 8; ++i) {
    mix(peek(l->slots[i].owner));
    mix(peek(l->slots[i].flags));
  }
  for (auto& [n, e] : platform::events()) mix(e->set);
  for (auto& a : world().actors) mix(static_cast<uint64_t>(a->state));
  for (auto& p : world().procs) mix(p->inside_read * 4 + p->inside_write * 2 + p->bell_pending);
  return h;
}

bool inert_address(const void* address) {
  LockLayout* l = the_layout();
  if (!l || l->header.slot_count > 64) return false;
  auto p = reinterpret_cast<uintptr_t>(address);
  return p >= reinterpret_cast<uintptr_t>(&l->readers.words[1]) &&
         p < reinterpret_cast<uintptr_t>(&l->readers.words[kMaxSlots / 64]);
}

SharedView view() {
  SharedView v;
  if (LockLayout* l = the_layout()) {
    v.state = peek(l->state.word);
    v.readers = peek(l->readers.words[0]);
    for (uint32_t i = 0; i < l->header.slot_count && i < 64; ++i) {
      v.flags.push_back(peek(l->slots[i].flags));
      v.owners.push_back(peek(l->slots[i].owner));
    }
  }
  return v;
}

std::string describe_address(const void* address) {
  LockLayout* l = the_layout();
  if (!l) return "?";
  auto p = reinterpret_cast<uintptr_t>(address), base = reinterpret_cast<uintptr_t>(l);
  if (p < base || p >= base + sizeof(LockLayout)) return "?";
  auto off = p - base;
  if (p == reinterpret_cast<uintptr_t>(&l->state.word)) return "state.word";
  if (off < offsetof(LockLayout, state)) return "header";
  if (off < offsetof(LockLayout, readers)) return "state.writer_since_ms";
  if (off < offsetof(LockLayout, slots))
    return "readers.words[" + std::to_string((off - offsetof(LockLayout, readers)) / 8) + "]";
  size_t slot = (off - offsetof(LockLayout, slots)) / sizeof(Slot);
  size_t in = (off - offsetof(LockLayout, slots)) % sizeof(Slot);
  const char* field = in == offsetof(Slot, owner)   ? "owner"
                      : in == offsetof(Slot, flags) ? "flags"
                      : in == offsetof(Slot, park)  ? "park"
                      : in == offsetof(Slot, bell)  ? "bell"
                                                    : "stats";
  return "slots[" + std::to_string(slot) + "]." + field;
}

std::string describe_world() {
  std::ostringstream o;
  LockLayout* l = the_layout();
  if (l) {
    uint32_t s = peek(l->state.word);
    o << "  state word: writer=" << (s & state::kWriterMask) << (s & state::kActive ? " ACTIVE" : "")
      << (s & state::kWritersWaiting ? " WRITERS_WAITING" : "")
      << (s & state::kReadersWaiting ? " READERS_WAITING" : "") << (s & state::kPoisoned ? " POISONED" : "")
      << " phase=" << (s >> 16) << "\n";
    o << "  reader bits: 0x" << std::hex << peek(l->readers.words[0]) << std::dec << "\n";
    for (uint32_t i = 0; i < l->header.slot_count && i < 8; ++i) {
      o << "  slot " << i << ": owner=0x" << std::hex << peek(l->slots[i].owner) << std::dec
        << " flags=" << peek(l->slots[i].flags) << "\n";
    }
  }
  for (auto& [n, e] : platform::events())
    o << "  event " << n.substr(n.rfind('.') + 1) << (e->set ? ": set" : ": clear") << "\n";
  World& w = world();
  o << "  clock: " << w.clock_ms << " ms\n";
  for (auto& p : w.procs) {
    o << "  P" << p->id << (p->alive ? "" : " (DEAD)") << ": key 0x" << std::hex << p->key << std::dec
      << (p->inside_write ? ", inside to write" : "") << (p->inside_read ? ", inside to read" : "")
      << (p->bell_pending ? ", a doorbell ring pending" : "") << "\n";
  }
  for (auto& a : w.actors) {
    static const char* names[] = {"runnable", "BLOCKED", "finished", "dead"};
    o << "    " << a->name << ": " << names[static_cast<int>(a->state)];
    if (a->state == ActorState::kBlocked) {
      o << " on " << a->waits_for;
      if (a->timer_at != kNoTimer) o << (a->slice ? ", slice ends at " : ", timer at ") << a->timer_at;
    }
    o << "\n";
  }
  return o.str();
}

}  // namespace interlock::model
