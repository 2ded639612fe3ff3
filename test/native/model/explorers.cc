// The DFS and random explorers, and the choice path's text form.
#include "explorers.h"

#include <sstream>

namespace interlock::model {

std::string encode_path(const std::vector<size_t>& path) {
  std::string out;
  for (size_t i = 0; i < path.size();) {
    if (!out.empty()) out += ',';
    if (path[i] == 0) {
      size_t j = i;
      while (j < path.size() && path[j] == 0) ++j;
      out += std::to_string(j - i) + "z";
      i = j;
    } else {
      out += std::to_string(path[i++]);
    }
  }
  return out.empty() ? "-" : out;
}

std::vector<size_t> decode_path(const std::string& s) {
  std::vector<size_t> path;
  std::stringstream in(s);
  std::string tok;
  while (std::getline(in, tok, ',')) {
    if (tok.empty() || tok == "-") continue;
    if (tok.back() == 'z') {
      path.insert(path.end(), std::stoul(tok.substr(0, tok.size() - 1)), 0);
    } else {
      path.push_back(std::stoul(tok));
    }
  }
  return path;
}

size_t DfsExplorer::choose(const std::vector<Alt>& alts) {
  size_t pos = records_.size();
  size_t k = pos < prefix_.size() ? prefix_[pos] : 0;
  if (k >= alts.size()) {
    diverged = true;
    k = 0;
  }
  Record r{{}, k};
  for (const Alt& a : alts) r.costs.emplace_back(a.preempt_cost, a.crash_cost);
  records_.push_back(std::move(r));
  return k;
}

std::vector<size_t> DfsExplorer::path() const {
  std::vector<size_t> p;
  for (const Record& r : records_) p.push_back(r.chosen);
  return p;
}

bool DfsExplorer::next(std::vector<size_t>& prefix) const {
  std::vector<int> used_p(records_.size() + 1, 0), used_c(records_.size() + 1, 0);
  for (size_t i = 0; i < records_.size(); ++i) {
    used_p[i + 1] = used_p[i] + records_[i].costs[records_[i].chosen].first;
    used_c[i + 1] = used_c[i] + records_[i].costs[records_[i].chosen].second;
  }
  for (size_t i = records_.size(); i-- > 0;) {
    const Record& r = records_[i];
    for (size_t j = r.chosen + 1; j < r.costs.size(); ++j) {
      if (used_p[i] + r.costs[j].first <= max_p_ && used_c[i] + r.costs[j].second <= max_c_) {
        prefix.clear();
        for (size_t x = 0; x < i; ++x) prefix.push_back(records_[x].chosen);
        prefix.push_back(j);
        return true;
      }
    }
  }
  return false;
}

size_t RandomExplorer::choose(const std::vector<Alt>& alts) {
  size_t k = 0;
  if (alts.size() > 1 && std::uniform_int_distribution<int>(0, 99)(rng_) < pct_) {
    std::vector<size_t> ok;
    for (size_t i = 0; i < alts.size(); ++i) {
      if (used_p_ + alts[i].preempt_cost <= max_p_ && used_c_ + alts[i].crash_cost <= max_c_) ok.push_back(i);
    }
    k = ok[std::uniform_int_distribution<size_t>(0, ok.size() - 1)(rng_)];
  }
  used_p_ += alts[k].preempt_cost;
  used_c_ += alts[k].crash_cost;
  path_.push_back(k);
  return k;
}

}  // namespace interlock::model
