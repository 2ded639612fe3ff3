// The explorers that make the scheduler's choices (model.h's Explorer), and the text form of a
// choice path (what a violation prints and `model_check replay` reads).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "model.h"

namespace interlock::model {

// "0,0,0,2,0,1" is "3z,2,1z,1": a run of n zeros (the default choice) is "nz"; the empty path is "-".
std::string encode_path(const std::vector<size_t>& path);
std::vector<size_t> decode_path(const std::string& s);

// Follows a prefix, then takes alternative 0 (no preemption). DFS over the records, bounded by
// preemptions and crashes, as in CHESS.
class DfsExplorer : public Explorer {
 public:
  DfsExplorer(int preemptions, int crashes) : max_p_(preemptions), max_c_(crashes) {}
  void start(std::vector<size_t> prefix) {
    prefix_ = std::move(prefix);
    records_.clear();
  }
  size_t choose(const std::vector<Alt>& alts) override;
  std::vector<size_t> path() const;
  // The next prefix to run, or false when the bounded space is exhausted.
  bool next(std::vector<size_t>& prefix) const;
  bool diverged = false;  // a replayed prefix met different choices (nondeterminism)

 private:
  struct Record {
    std::vector<std::pair<int, int>> costs;  // per alternative: preemptions, crashes
    size_t chosen;
  };
  int max_p_, max_c_;
  std::vector<size_t> prefix_;
  std::vector<Record> records_;
};

// Random schedules: mostly keeps the running thread, sometimes switches (or fires a timer, aborts,
// crashes), within the bounds.
class RandomExplorer : public Explorer {
 public:
  RandomExplorer(uint64_t seed, int preemptions, int crashes, int pct)
      : rng_(seed), max_p_(preemptions), max_c_(crashes), pct_(pct) {}
  void start() {
    path_.clear();
    used_p_ = used_c_ = 0;
  }
  size_t choose(const std::vector<Alt>& alts) override;
  const std::vector<size_t>& path() const { return path_; }

 private:
  std::mt19937_64 rng_;
  int max_p_, max_c_, pct_;
  int used_p_ = 0, used_c_ = 0;
  std::vector<size_t> path_;
};

}  // namespace interlock::model
