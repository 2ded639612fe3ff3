// The fake platform: every function of platform/platform.h that the core (rw_lock_segment.cc,
// segment_init.h) needs, over in-memory model objects. Segments are buffers in a registry keyed by
// OS name; park events are model events whose wait() blocks the actor in the scheduler; process
// keys, liveness and the clock come from the model world; crash_point is inert (the explorer
// crashes actors at every scheduling point instead).
#include <cstring>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/lock_layout.h"
#include "model.h"
#include "model_atomic.h"
#include "platform/platform.h"

namespace interlock::platform {

namespace {

struct Buffer {
  uint8_t* data = nullptr;
  size_t size = 0;
  std::map<uint32_t, int> holds;  // hold index (a slot's, or the init hold) -> holding actor
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

bool actor_dead(int a) {
  auto& actors = model::world().actors;
  return a >= 0 && a < static_cast<int>(actors.size()) && actors[a]->state == model::ActorState::kDead;
}

class FakeSegment : public Segment {
 public:
  FakeSegment(Buffer* b, bool created) : b_(b), created_(created) {}
  uint8_t* data() const override { return b_->data; }
  size_t size() const override { return b_->size; }
  bool created() const override { return created_; }
  int holder(uint32_t i) const {
    auto it = b_->holds.find(i);
    return it == b_->holds.end() ? -1 : it->second;
  }
  bool try_hold(uint32_t i) override {
    if (!model::world().model_holds) return true;
    int me = model::current_actor();
    int h = holder(i);
    if (h >= 0 && h != me && !actor_dead(h)) return false;
    b_->holds[i] = me;
    return true;
  }
  void release_hold(uint32_t i) override {
    if (!model::world().model_holds) return;
    if (holder(i) == model::current_actor()) b_->holds.erase(i);
  }
  Hold hold_state(uint32_t i) const override {
    if (!model::world().model_holds) return Hold::kUnsupported;
    int h = holder(i);
    // Like an OFD lock queried through the querier's own descriptor: its own holds do not conflict.
    return h >= 0 && h != model::current_actor() && !actor_dead(h) ? Hold::kHeld : Hold::kFree;
  }

 private:
  Buffer* b_;
  bool created_;
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
    ev_->set = false;
  }
  void wait(uint32_t) override { model::park(*ev_); }

 private:
  model::ModelEvent* ev_;
  std::string slot_;
};

class FakeExitWatch : public ExitWatch {
 public:
  explicit FakeExitWatch(std::function<void()> on_exit) : on_exit_(std::move(on_exit)) {}
  void watch(const std::vector<uint64_t>& keys) override { model::watch(keys, on_exit_); }

 private:
  std::function<void()> on_exit_;
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
  return 1000 + static_cast<uint32_t>(model::current_actor());
}
uint64_t current_process_key() {
  int a = model::current_actor();
  return a >= 0 ? model::world().actors[a]->key : 0xDEAD0000u;
}
Liveness process_liveness(uint64_t key) {
  return model::key_alive(key) ? Liveness::kAlive : Liveness::kDead;
}
uint64_t monotonic_ms() {
  return model::world().clock_ms;
}
uint64_t wall_clock_ms() {
  return model::world().clock_ms;
}
uint64_t random_u64() {
  return 0x1DEA5EEDull;
}
void crash_point(const char*) {}
void sleep_ms(uint32_t) {
  model::check_point("sleep");
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

void drop_holds(int actor) {
  for (auto& [name, b] : platform::buffers()) {
    for (auto it = b->holds.begin(); it != b->holds.end();) {
      it = it->second == actor ? b->holds.erase(it) : std::next(it);
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
  for (auto& a : world().actors) mix(static_cast<uint64_t>(a->state) * 16 + a->inside_read * 4 + a->inside_write);
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
    for (uint32_t i = 0; i < l->header.slot_count && i < 64; ++i) v.flags.push_back(peek(l->slots[i].flags));
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
  for (auto& a : world().actors) {
    static const char* names[] = {"runnable", "PARKED", "finished", "DEAD"};
    o << "  P" << a->id << ": " << names[static_cast<int>(a->state)] << (a->inside_write ? " (inside: write)" : "")
      << (a->inside_read ? " (inside: read)" : "") << "\n";
  }
  return o.str();
}

}  // namespace interlock::model
