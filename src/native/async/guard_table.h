// The guards one process holds on one lock, by id. A slab with a generation per entry: insert, find
// and erase are O(1) and allocate nothing once warm (this sits on the uncontended fast path), and an
// id that was released never matches again, even after its entry is reused.
#pragma once

#include <cstdint>
#include <vector>

namespace interlock {

template <class Record>
class GuardTable {
 public:
  // id = generation << kIndexBits | index: below 2^52, so ids travel to JavaScript as exact doubles.
  static constexpr unsigned kIndexBits = 20;
  static constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;

  static constexpr size_t kCapacity = size_t{1} << kIndexBits;

  // How many more guards fit (callers check before they take a lock on the segment).
  size_t available() const { return kCapacity - (entries_.size() - free_.size()); }

  // Never returns 0. Only with available() > 0.
  uint64_t insert(const Record& record) {
    uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<uint32_t>(entries_.size());
      entries_.emplace_back();
    }
    Entry& e = entries_[index];
    e.generation = e.generation == UINT32_MAX ? 1 : e.generation + 1;
    e.id = (uint64_t{e.generation} << kIndexBits) | index;
    e.record = record;
    return e.id;
  }

  Record* find(uint64_t id) {
    uint64_t index = id & kIndexMask;
    if (id == 0 || index >= entries_.size() || entries_[index].id != id) return nullptr;
    return &entries_[index].record;
  }

  // Removes the guard and returns its record through `out`; false if no such guard is held.
  bool erase(uint64_t id, Record* out) {
    Record* r = find(id);
    if (r == nullptr) return false;
    if (out != nullptr) *out = *r;
    free_entry(static_cast<uint32_t>(id & kIndexMask));
    return true;
  }

  // Calls fn(record) for every guard held; removes those for which it returns true.
  template <class Fn>
  void erase_if(Fn fn) {
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].id != 0 && fn(entries_[i].record)) free_entry(i);
    }
  }

 private:
  struct Entry {
    uint64_t id = 0;  // 0: free
    uint32_t generation = 0;
    Record record{};
  };

  void free_entry(uint32_t index) {
    entries_[index].id = 0;
    free_.push_back(index);
  }

  std::vector<Entry> entries_;
  std::vector<uint32_t> free_;
};

}  // namespace interlock
