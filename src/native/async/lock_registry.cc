#include "async/lock_registry.h"

#include <condition_variable>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace interlock {
namespace {

struct Entry {
  std::weak_ptr<ProcessLock> lock;
  bool constructing = false;  // being made by another thread (without the registry mutex)
};

struct Registry {
  std::mutex mu;
  // An entry exists while its lock is being made, and stays while it is being destroyed (on
  // whichever thread dropped the last reference, a waiter thread perhaps): an open of that name
  // waits for either to finish instead of making a second lock beside it (with maxProcesses: 1, a
  // spurious ERR_TOO_MANY_PROCESSES). Making a lock (which may wait for a stalled initialiser of
  // its segment) holds up opens of that name only, not of every other one.
  std::condition_variable changed;
  std::unordered_map<std::string, Entry> locks;
  // Raw pointers only to compare: an entry's lock may be gone (weak), and a strong reference made
  // here could be the last one, whose deleter takes `mu`.
  std::vector<std::pair<const ProcessLock*, std::weak_ptr<ProcessLock>>> active;
};

// Never destroyed: waiter threads may still hold locks while the process exits.
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

std::string key_of(const std::string& name, Scope scope) {
  return (scope == Scope::kGlobal ? "global:" : "local:") + name;
}

// The deleter of every registered lock: destroy first (the slot is given back), then forget.
void forget(ProcessLock* lock) {
  Registry& r = registry();
  const std::string key = key_of(lock->name(), lock->scope());
  delete lock;
  std::lock_guard<std::mutex> lk(r.mu);
  auto it = r.locks.find(key);
  // Only our own entry: expired, not a new one being made (none is while ours exists).
  if (it != r.locks.end() && !it->second.constructing && it->second.lock.expired()) r.locks.erase(it);
  r.changed.notify_all();
}

}  // namespace

std::shared_ptr<ProcessLock> open_process_lock(const LockOpenOptions& options) {
  Registry& r = registry();
  std::unique_lock<std::mutex> lk(r.mu);
  const std::string key = key_of(options.name, options.scope);
  for (;;) {
    auto it = r.locks.find(key);
    if (it == r.locks.end()) break;
    if (!it->second.constructing) {
      if (auto existing = it->second.lock.lock()) return existing;
    }
    // Being made or destroyed by another thread right now: wait for it.
    r.changed.wait(lk);
  }
  r.locks[key] = Entry{{}, true};
  lk.unlock();
  std::shared_ptr<ProcessLock> created;
  try {
    created = std::shared_ptr<ProcessLock>(new ProcessLock(options), forget);
  } catch (...) {
    lk.lock();
    auto it = r.locks.find(key);
    if (it != r.locks.end() && it->second.constructing) r.locks.erase(it);
    r.changed.notify_all();
    throw;
  }
  lk.lock();
  r.locks[key] = Entry{created, false};
  r.changed.notify_all();
  return created;
}

void lock_became_active(const std::shared_ptr<ProcessLock>& lock) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lk(r.mu);
  r.active.emplace_back(lock.get(), lock);
}

void lock_became_idle(const ProcessLock* lock) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lk(r.mu);
  for (auto it = r.active.begin(); it != r.active.end();) {
    if (it->first == lock || it->second.expired()) {
      it = r.active.erase(it);
    } else {
      ++it;
    }
  }
}

void serve_active_locks() {
  std::vector<std::shared_ptr<ProcessLock>> locks;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lk(r.mu);
    locks.reserve(r.active.size());
    for (auto& entry : r.active) {
      if (auto p = entry.second.lock()) locks.push_back(std::move(p));
    }
  }
  for (auto& lock : locks) lock->serve_ready();
}

}  // namespace interlock
