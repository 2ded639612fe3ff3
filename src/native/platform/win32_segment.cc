// Named segments on Windows: pagefile-backed file mappings (CreateFileMappingW / OpenFileMappingW +
// MapViewOfFile) in the Local\ or Global\ namespace. A mapping lives while any process has it open.
#include <string>

#include "platform/platform.h"
#include "platform/win32_util.h"

namespace interlock::platform {
namespace {

using win32::Handle;

// The exact size of a section, from ntdll (VirtualQuery only knows whole pages).
struct SectionBasicInformation {
  PVOID base_address;
  ULONG allocation_attributes;
  LARGE_INTEGER maximum_size;
};
using NtQuerySectionFn = LONG(NTAPI*)(HANDLE, int, PVOID, ULONG, PULONG);

size_t section_size(HANDLE mapping, void* view) {
  static NtQuerySectionFn query = reinterpret_cast<NtQuerySectionFn>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQuerySection")));
  if (query) {
    SectionBasicInformation info{};
    if (query(mapping, 0, &info, sizeof info, nullptr) == 0) return static_cast<size_t>(info.maximum_size.QuadPart);
  }
  MEMORY_BASIC_INFORMATION mbi{};
  VirtualQuery(view, &mbi, sizeof mbi);
  return mbi.RegionSize;
}

class Win32Segment final : public Segment {
 public:
  Win32Segment(Handle mapping, uint8_t* data, size_t size, bool created)
      : mapping_(std::move(mapping)), data_(data), size_(size), created_(created) {}
  ~Win32Segment() override { UnmapViewOfFile(data_); }
  uint8_t* data() const override { return data_; }
  size_t size() const override { return size_; }
  bool created() const override { return created_; }

 private:
  Handle mapping_;
  uint8_t* data_;
  size_t size_;
  bool created_;
};

}  // namespace

std::unique_ptr<Segment> Segment::open(const SegmentOptions& o) {
  const std::wstring name = win32::kernel_name(o.os_name, o.scope);
  const std::string what = "'" + o.os_name + "'";
  if (o.size == 0 && o.create == CreateMode::kExclusive) {
    throw Error(ErrorCode::kInvalidArg, "size is required to create " + what);
  }
  Handle mapping;
  bool created = false;
  // A pagefile-backed section commits its whole size when it is created (SEC_COMMIT): no room is
  // a creation error (kNoSpace), never a fault on first touch.
  if (o.create != CreateMode::kOpenOnly && o.size > 0 && !o.read_only) {
    uint64_t size = o.size;
    HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, static_cast<DWORD>(size >> 32),
                                  static_cast<DWORD>(size), name.c_str());
    DWORD err = GetLastError();
    if (h == nullptr) win32::throw_last_error("CreateFileMappingW", "cannot create " + what, o.scope);
    mapping.reset(h);
    created = err != ERROR_ALREADY_EXISTS;
    if (!created && o.create == CreateMode::kExclusive) {
      throw Error(ErrorCode::kExists, what + " already exists", ERROR_ALREADY_EXISTS, "CreateFileMappingW");
    }
  } else {
    HANDLE h = OpenFileMappingW(o.read_only ? FILE_MAP_READ : FILE_MAP_ALL_ACCESS, FALSE, name.c_str());
    if (h == nullptr) {
      if (GetLastError() == ERROR_FILE_NOT_FOUND) {
        throw Error(ErrorCode::kNotFound,
                    what + " does not exist" +
                        (o.size == 0 && o.create != CreateMode::kOpenOnly ? " (give a size to create it)" : ""),
                    ERROR_FILE_NOT_FOUND, "OpenFileMappingW");
      }
      win32::throw_last_error("OpenFileMappingW", "cannot open " + what, o.scope);
    }
    mapping.reset(h);
  }
  void* view = MapViewOfFile(mapping.get(), o.read_only ? FILE_MAP_READ : FILE_MAP_ALL_ACCESS, 0, 0, 0);
  if (view == nullptr) win32::throw_last_error("MapViewOfFile", "cannot map " + what, o.scope);
  size_t size = created ? o.size : section_size(mapping.get(), view);
  auto segment = std::make_unique<Win32Segment>(std::move(mapping), static_cast<uint8_t*>(view), size, created);
  if (!created) {
    if (o.exact_size && size != o.size) {
      throw Error(ErrorCode::kIncompatible, what + " exists with a size (" + std::to_string(size) +
                                                " bytes) that no interlocked object of this kind has");
    }
    if (size < o.size) {
      throw Error(ErrorCode::kSizeMismatch, what + " exists with " + std::to_string(size) + " bytes, fewer than the " +
                                                std::to_string(o.size) + " asked for");
    }
  }
  return segment;
}

// Windows removes a named mapping when its last handle closes; there is no name to remove.
bool Segment::unlink(const std::string&, Scope) {
  return false;
}

// ---- park events: named manual-reset events, reset only by their owner -------------------------

namespace {

class Win32ParkEvent final : public ParkEvent {
 public:
  explicit Win32ParkEvent(Handle event) : event_(std::move(event)) {}
  void set() override { SetEvent(event_.get()); }
  void reset() override { ResetEvent(event_.get()); }
  void wait(uint32_t timeout_ms) override { WaitForSingleObject(event_.get(), timeout_ms); }

 private:
  Handle event_;
};

}  // namespace

std::unique_ptr<ParkEvent> ParkEvent::open(const std::string& name, std::atomic<uint32_t>*, Scope scope) {
  HANDLE h = CreateEventW(nullptr, TRUE, FALSE, win32::kernel_name(name, scope).c_str());
  if (h == nullptr) win32::throw_last_error("CreateEventW", "cannot open park event '" + name + "'", scope);
  return std::make_unique<Win32ParkEvent>(Handle(h));
}

}  // namespace interlock::platform
