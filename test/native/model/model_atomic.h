// SharedAtomic<T> for the model-checking build (INTERLOCK_MODEL_CHECK): every operation on a field of
// the shared lock segment first calls the scheduler's yield point, so the explorer decides which
// simulated process performs the next shared-memory access. The operation itself then runs on the
// underlying std::atomic: the model explores sequentially consistent interleavings of the protocol,
// not weak-memory reorderings (the core uses seq_cst for every protocol access anyway).
//
// Deriving from std::atomic<T> keeps the layout (sizeof, alignment, the static_asserts) and lets the
// platform interface keep taking std::atomic<T>* / std::atomic<T>& (those accesses do not yield).
#pragma once

#include <atomic>

namespace interlock::model {
// Implemented by the scheduler (scheduler.cc). `relaxed` accesses are bookkeeping for inspect()
// (timestamps, counts): the scheduler does not make them scheduling points.
void yield_point(const char* op, const void* address, std::memory_order order);
bool inert_address(const void* address);                       // see model.h
extern bool g_tracing;                                         // a replay with its trace on
void trace_value(const char* what, unsigned long long value);  // appends to the last trace line
}  // namespace interlock::model

namespace interlock {

template <class T>
class SharedAtomic : public std::atomic<T> {
  using Base = std::atomic<T>;
  static constexpr std::memory_order kSeq = std::memory_order_seq_cst;

 public:
  SharedAtomic() = default;
  SharedAtomic(const SharedAtomic&) = delete;
  SharedAtomic& operator=(const SharedAtomic&) = delete;

  T load(std::memory_order o = kSeq) const {
    model::yield_point("load", this, o);
    T v = Base::load(o);
    if (model::g_tracing && o != std::memory_order_relaxed && !model::inert_address(this)) {
      model::trace_value("=", v);
    }
    return v;
  }
  void store(T v, std::memory_order o = kSeq) {
    model::yield_point("store", this, o);
    if (model::g_tracing && o != std::memory_order_relaxed) model::trace_value("<-", v);
    Base::store(v, o);
  }
  T exchange(T v, std::memory_order o = kSeq) {
    model::yield_point("exchange", this, o);
    T old = Base::exchange(v, o);
    if (model::g_tracing) model::trace_value(": was", old), model::trace_value("now", v);
    return old;
  }
  // Weak behaves as strong: spurious failures only add retries the loops already handle.
  bool compare_exchange_weak(T& expected, T desired, std::memory_order o = kSeq) {
    return compare_exchange_strong(expected, desired, o);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order o = kSeq) {
    model::yield_point("cas", this, o);
    T want = expected;
    bool ok = Base::compare_exchange_strong(expected, desired, o);
    if (model::g_tracing) {
      model::trace_value(ok ? ": ok" : ": FAILED, expected", want);
      model::trace_value(ok ? "->" : "found", ok ? desired : expected);
    }
    return ok;
  }
  T fetch_or(T v, std::memory_order o = kSeq) {
    model::yield_point("fetch_or", this, o);
    T old = Base::fetch_or(v, o);
    if (model::g_tracing) model::trace_value(": was", old), model::trace_value("now", Base::load());
    return old;
  }
  T fetch_and(T v, std::memory_order o = kSeq) {
    model::yield_point("fetch_and", this, o);
    T old = Base::fetch_and(v, o);
    if (model::g_tracing) model::trace_value(": was", old), model::trace_value("now", Base::load());
    return old;
  }
  T fetch_add(T v, std::memory_order o = kSeq) {
    model::yield_point("fetch_add", this, o);
    T old = Base::fetch_add(v, o);
    if (model::g_tracing) model::trace_value(": was", old), model::trace_value("now", Base::load());
    return old;
  }
};

}  // namespace interlock
