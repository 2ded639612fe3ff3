// async/sync.h for the model-checking build (INTERLOCK_MODEL_CHECK): the per-lock mutex and the
// start of a waiter thread, over the model scheduler, so that the real async/process_lock.cc runs
// inside the explored executions.
//
// LockMutex: lock() and try_lock() are scheduling points; an actor that finds the mutex held
// blocks in the scheduler until it is released. unlock() is not a scheduling point (what follows
// it is, before anything another actor could see). Usable with std::lock_guard and
// std::unique_lock (std::try_to_lock too). Outside a running execution (the setup phase on the
// main thread) it is a plain flag.
//
// start_waiter_thread: a new actor of the current simulated process, runnable from the next
// scheduling point on. Throws std::system_error where the scenario makes thread starts fail.
#pragma once

#include <functional>
#include <mutex>  // std::lock_guard, std::unique_lock, std::try_to_lock, as the real sync.h brings them
#include <utility>

namespace interlock {

namespace model {
void mutex_lock(int* owner, const void* mutex);
bool mutex_try_lock(int* owner, const void* mutex);
void mutex_unlock(int* owner, const void* mutex);
void spawn_actor(std::function<void()> body);
}  // namespace model

class LockMutex {
 public:
  LockMutex() = default;
  LockMutex(const LockMutex&) = delete;
  LockMutex& operator=(const LockMutex&) = delete;

  void lock() { model::mutex_lock(&owner_, this); }
  bool try_lock() { return model::mutex_try_lock(&owner_, this); }
  void unlock() { model::mutex_unlock(&owner_, this); }

 private:
  int owner_ = -1;  // the holding actor (-1: free); touched only under the scheduler's world mutex
};

template <class Fn>
void start_waiter_thread(Fn&& fn) {
  model::spawn_actor(std::function<void()>(std::forward<Fn>(fn)));
}

}  // namespace interlock
