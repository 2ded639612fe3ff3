// What a run went through, so that each scenario's statistics show its paths are exercised: set by
// the driver and the model registry, read by run_one() and the search's statistics.
#pragma once

namespace interlock::model {

enum Covered : unsigned {
  kFastGrant,
  kQueuedGrant,
  kServedByJs,  // a grant made on a JS thread (serve_ready after a doorbell ring)
  kRing,
  kTimedOut,
  kDequeued,
  kRevoked,
  kAlreadyComplete,
  kClosedQueued,  // close_owner() dropped queued requests
  kSameSlot,      // a re-open claimed the slot it had given back
  kRegistryWait,  // an open waited for the lock of that name being destroyed
  kSpawnFailed,
  kCrash,
  kAbandoned,      // a grant reported the lock abandoned (poisoned)
  kTryRecovered,   // a try-only process got the lock after a crash
  kEnvEnded,       // an env ended inside: its handle closed as abandoned
  kCoveredCount
};
inline const char* const kCoveredNames[kCoveredCount] = {
    "fast-path grant", "queued grant", "grant on a JS thread", "doorbell served", "timed out",
    "abort: dequeued", "abort: grant revoked", "abort: already complete", "close dropped queued",
    "re-open into the same slot", "open waited for a destroy", "no waiter thread", "crash",
    "abandoned grant", "try-only got it after a crash", "env ended inside"};
inline unsigned g_covered = 0;  // bits of this run
inline void cover(Covered c) {
  g_covered |= 1u << c;
}

}  // namespace interlock::model
