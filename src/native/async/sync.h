// What the async layer uses to run concurrently, in one place: the per-lock mutex and the start of a
// waiter thread. The model checker (test/native/model/) replaces both, so that it drives the real
// process_lock.cc with its own scheduler, as lock_layout.h lets it replace the shared atomics.
#pragma once

#ifdef INTERLOCK_MODEL_CHECK
#include "model_sync.h"
#else
#include <mutex>
#include <thread>
#include <utility>

namespace interlock {

using LockMutex = std::mutex;

// Starts fn on a new detached thread. Throws std::system_error when no thread can be started.
template <class Fn>
void start_waiter_thread(Fn&& fn) {
  std::thread(std::forward<Fn>(fn)).detach();
}

}  // namespace interlock
#endif
