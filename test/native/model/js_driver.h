// The JS side of each simulated process: an env (a process's main thread, or a Worker's) with its
// handle on the process's one ProcessLock, its sink, and the requests its JS thread made. Its JS
// thread runs a script of the scenario as the Node-API layer would (js_driver.cc).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "async/process_lock.h"
#include "scenarios.h"

namespace interlock::model {

struct ReqRec {
  Req req;
  bool aborted = false;   // its AbortSignal fired: the JS side forgot it
  bool dequeued = false;  // cancel() said it was still queued: it must never complete
  bool closed = false;    // close_owner() dropped it: it must never complete
  bool done = false;
  int completions = 0;
};

class ModelSink;

// One env (the main thread's, or a Worker's) of a simulated process: its handle and what its JS
// thread waits for.
struct Env {
  int proc = 0;
  std::string name;  // "P0", or "P0.worker"
  std::shared_ptr<ProcessLock> lock;
  uint64_t owner = 0;
  std::shared_ptr<ModelSink> sink;
  bool alive = true;  // false once its teardown ran: its sink refuses completions
  std::map<uint64_t, ReqRec> requests;
  std::deque<Completion> completions;  // delivered, not yet taken by the JS thread
  int slot = -1;                       // the slot its lock claimed last
};

// The envs of the run, in the scenario's order of scripts (run_one() makes them).
extern std::vector<std::unique_ptr<Env>> g_envs;

// Checks each completion (never twice, never after cancel() or close_owner() dropped its request)
// and hands it to the env's JS thread.
class ModelSink : public CompletionSink {
 public:
  explicit ModelSink(int env) : env_(env) {}
  // Called from a waiter thread (or a JS thread serving a ring) with the lock's mutex held.
  bool deliver(const Completion& c) override;

 private:
  int env_;
};

std::string pname(int proc);  // "P0"

// The handle of env `env`: open_process_lock() + attach_owner(), as new RwLockHandle() does.
void open_env(int env, const Scenario& sc);
// The body of env `env`'s JS thread: its script (opening the handle first unless it is open).
void run_env(int env, const Scenario& sc);

}  // namespace interlock::model
