#include "async/lock_registry.h"

#include <mutex>
#include <string>
#include <unordered_map>

namespace interlock {
namespace {

struct Registry {
  std::mutex mu;
  std::unordered_map<std::string, std::weak_ptr<ProcessLock>> locks;
};

// Never destroyed: waiter threads may still hold locks while the process exits.
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

std::string key_of(const std::string& name, Scope scope) {
  return (scope == Scope::kGlobal ? "global:" : "local:") + name;
}

void forget(ProcessLock* lock) {
  Registry& r = registry();
  {
    std::lock_guard<std::mutex> lk(r.mu);
    auto it = r.locks.find(key_of(lock->name(), lock->scope()));
    if (it != r.locks.end() && it->second.expired()) r.locks.erase(it);
  }
  delete lock;
}

}  // namespace

std::shared_ptr<ProcessLock> open_process_lock(const LockOpenOptions& options) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lk(r.mu);
  const std::string key = key_of(options.name, options.scope);
  auto it = r.locks.find(key);
  if (it != r.locks.end()) {
    if (auto existing = it->second.lock()) return existing;
  }
  std::shared_ptr<ProcessLock> created(new ProcessLock(options), forget);
  r.locks[key] = created;
  return created;
}

}  // namespace interlock
