// The registry's API (async/lock_registry.h) for the model, per simulated process: the lock of a
// name, with an open waiting while the lock of that name is being destroyed on another thread, and
// the locks with a waiter thread, which a doorbell ring lets serve their queues.
#include "model_registry.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "async/lock_registry.h"
#include "async/process_lock.h"
#include "coverage.h"
#include "model.h"

namespace interlock {

namespace {

// One simulated process's registry.
struct App {
  std::map<std::string, std::weak_ptr<ProcessLock>> locks;
  std::vector<std::pair<const ProcessLock*, std::weak_ptr<ProcessLock>>> active;
  char registry_changed = 0;  // what an open waits on while the lock of that name is being destroyed
};

std::vector<std::unique_ptr<App>> g_apps;
int g_live_locks = 0;

App& app() {
  return *g_apps[model::current_process()];
}

}  // namespace

namespace model {

void reset_registries(size_t processes) {
  g_apps.clear();
  g_live_locks = 0;
  for (size_t i = 0; i < processes; ++i) g_apps.push_back(std::make_unique<App>());
}

void clear_registries() {
  g_apps.clear();
}

int live_process_locks() {
  return g_live_locks;
}

}  // namespace model

std::shared_ptr<ProcessLock> open_process_lock(const LockOpenOptions& options) {
  App& a = app();
  const int proc = model::current_process();
  for (;;) {
    auto it = a.locks.find(options.name);
    if (it == a.locks.end()) break;
    if (auto existing = it->second.lock()) return existing;
    // Being destroyed right now on another thread: wait for its slot to be given back.
    model::cover(model::kRegistryWait);
    model::wait(&a.registry_changed, model::kNoTimer, false, false, "a lock being destroyed (registry)");
  }
  const std::string name = options.name;
  std::shared_ptr<ProcessLock> created(new ProcessLock(options), [proc, name](ProcessLock* lock) {
    delete lock;  // the slot is given back
    --g_live_locks;
    App& a = *g_apps[proc];
    auto it = a.locks.find(name);
    if (it != a.locks.end() && it->second.expired()) a.locks.erase(it);
    model::notify(&a.registry_changed);
  });
  ++g_live_locks;
  a.locks[name] = created;
  return created;
}

void lock_became_active(const std::shared_ptr<ProcessLock>& lock) {
  app().active.emplace_back(lock.get(), lock);
}

void lock_became_idle(const ProcessLock* lock) {
  auto& active = app().active;
  for (auto it = active.begin(); it != active.end();) {
    it = it->first == lock || it->second.expired() ? active.erase(it) : std::next(it);
  }
}

void serve_active_locks() {
  std::vector<std::shared_ptr<ProcessLock>> locks;
  for (auto& entry : app().active) {
    if (auto p = entry.second.lock()) locks.push_back(std::move(p));
  }
  for (auto& lock : locks) lock->serve_ready();
  model::inert_region([&] { locks.clear(); });
}

}  // namespace interlock
