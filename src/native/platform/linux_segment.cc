// Named segments on Linux: POSIX shared memory, a file in /dev/shm (opened as shm_open() does, then
// mmap), created nameless, sized and reserved, then linked in under its name.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "platform/platform.h"

namespace interlock::platform {
namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

[[noreturn]] void throw_errno(const char* syscall, const std::string& what) {
  int e = errno;
  ErrorCode code = (e == EACCES || e == EPERM) ? ErrorCode::kPermission : ErrorCode::kSystem;
  throw Error(code, what + ": " + std::strerror(e), e, syscall);
}

bool ofd_lock(int fd, short type, int cmd, uint32_t index, short* found = nullptr) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(index);
  fl.l_len = 1;
  if (::fcntl(fd, cmd, &fl) != 0) return false;
  if (found) *found = fl.l_type;
  return true;
}

class LinuxSegment final : public Segment {
 public:
  LinuxSegment(uint8_t* data, size_t size, bool created, int fd, bool for_use)
      : data_(data), size_(size), created_(created), fd_(fd) {
    // The users' mark: shared with every other user, gone with this open (or the process).
    if (for_use) ofd_lock(fd_, F_RDLCK, F_OFD_SETLK, kUseHoldIndex);
  }
  ~LinuxSegment() override {
    ::munmap(data_, size_);
    ::close(fd_);  // drops every hold of this open file description
  }
  uint8_t* data() const override { return data_; }
  size_t size() const override { return size_; }
  bool created() const override { return created_; }

  // Where OFD locks are unsupported (EINVAL), a hold always "succeeds" and hold_state() says
  // kUnsupported: callers then decide liveness by process keys, as on systems without holds.
  bool try_hold(uint32_t index) override {
    return ofd_lock(fd_, F_WRLCK, F_OFD_SETLK, index) || (errno != EAGAIN && errno != EACCES);
  }
  void release_hold(uint32_t index) override { ofd_lock(fd_, F_UNLCK, F_OFD_SETLK, index); }
  Hold hold_state(uint32_t index) const override {
    short found = F_UNLCK;
    if (!ofd_lock(fd_, F_WRLCK, F_OFD_GETLK, index, &found)) return Hold::kUnsupported;
    return found == F_UNLCK ? Hold::kFree : Hold::kHeld;
  }
  Hold users() const override { return hold_state(kUseHoldIndex); }

 private:
  uint8_t* data_;
  size_t size_;
  bool created_;
  int fd_;  // kept open: it carries the slot holds
};

// Where shm_open() keeps its objects (glibc and musl alike).
constexpr const char* kShmDir = "/dev/shm";

// The path shm_open("/<os_name>") and shm_unlink() use, or "" (errno EINVAL) for a name they refuse:
// empty, with a '/', or too long. The addon calls open() and unlink() on it itself, exactly as
// glibc does on Linux, instead of shm_open() and shm_unlink(): those moved from librt into libc in
// glibc 2.34 and a binary that calls them needs 2.34 (the prebuilds load on 2.28).
std::string shm_path(const std::string& os_name) {
  if (os_name.empty() || os_name.size() >= NAME_MAX || os_name.find('/') != std::string::npos) {
    errno = EINVAL;
    return {};
  }
  return std::string(kShmDir) + "/" + os_name;
}

// shm_open(name, flags, 0) of an existing object: open() with O_NOFOLLOW and O_CLOEXEC, and a
// directory is an invalid name (EINVAL), as in glibc.
int shm_open_existing(const std::string& os_name, int flags) {
  const std::string path = shm_path(os_name);
  if (path.empty()) return -1;
  int fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EISDIR) errno = EINVAL;
  return fd;
}

// Gives the new, still nameless file its mode and its full size, with every page reserved: tmpfs
// allocates on first touch otherwise, and a full /dev/shm then kills the writer with SIGBUS.
void prepare(int fd, const SegmentOptions& o) {
  // umask may have narrowed the mode: apply exactly what was asked.
  if (::fchmod(fd, static_cast<mode_t>(o.mode)) != 0) throw_errno("fchmod", "cannot set the mode of '" + o.os_name + "'");
  int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(o.size));
  if (rc == 0) return;
  if (rc == ENOSPC || rc == EFBIG || rc == ENOMEM) {  // ENOMEM: tmpfs, past a memory cgroup's limit
    throw Error(ErrorCode::kNoSpace,
                "no room for the " + std::to_string(o.size) + " bytes of '" + o.os_name + "' in " + kShmDir, rc,
                "posix_fallocate");
  }
  if (rc != EOPNOTSUPP && rc != ENOSYS && rc != EINVAL) {
    errno = rc;
    throw_errno("posix_fallocate", "cannot reserve the memory of '" + o.os_name + "'");
  }
  // A file system that cannot reserve (tmpfs always can): size it, pages come on first touch.
  if (::ftruncate(fd, static_cast<off_t>(o.size)) != 0) throw_errno("ftruncate", "cannot size '" + o.os_name + "'");
}

// Creates the segment fully prepared and only then gives it its name, atomically (link() fails if
// the name exists): an opener never sees it empty or growing, and a creator that dies half way
// leaves nothing behind under the name. Returns -1 if the name exists already.
int create_published(const SegmentOptions& o) {
  const std::string path = std::string(kShmDir) + "/" + o.os_name;
  // First choice: an unnamed file (O_TMPFILE), linked in through /proc. Otherwise a temporary name.
  int fd = ::open(kShmDir, O_TMPFILE | O_RDWR | O_CLOEXEC, static_cast<mode_t>(o.mode));
  if (fd >= 0) {
    FileDescriptor guard(fd);
    ofd_lock(fd, F_RDLCK, F_OFD_SETLK, kUseHoldIndex);  // in use from the moment it has a name
    prepare(fd, o);
    crash_point("segment-created");  // prepared, not yet published
    char proc[64];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (::linkat(AT_FDCWD, proc, AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) return guard.release();
    if (errno == EEXIST) return -1;
    if (errno != ENOENT) throw_errno("linkat", "cannot create '" + o.os_name + "'");
    // No /proc: fall through to a temporary name.
  } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT) {
    throw_errno("open", "cannot create '" + o.os_name + "'");
  }
  char temp[96];
  std::snprintf(temp, sizeof temp, "%s/interlock.new.%016llx", kShmDir,
                static_cast<unsigned long long>(random_u64()));
  fd = ::open(temp, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, static_cast<mode_t>(o.mode));
  if (fd < 0) throw_errno("open", "cannot create '" + o.os_name + "'");
  FileDescriptor guard(fd);
  ofd_lock(fd, F_RDLCK, F_OFD_SETLK, kUseHoldIndex);
  try {
    prepare(fd, o);
  } catch (...) {
    ::unlink(temp);
    throw;
  }
  crash_point("segment-created");
  int rc = ::link(temp, path.c_str());
  int e = errno;
  ::unlink(temp);
  if (rc == 0) return guard.release();
  if (e == EEXIST) return -1;
  errno = e;
  throw_errno("link", "cannot create '" + o.os_name + "'");
}

// An existing segment's size. Segments of this version are published whole; an empty one was made
// by something else (or by an older interlock that is still sizing it: give that a moment).
off_t existing_size(int fd, const std::string& os_name) {
  struct stat st;
  for (int attempt = 0;; ++attempt) {
    if (::fstat(fd, &st) != 0) throw_errno("fstat", "cannot read the size of '" + os_name + "'");
    if (st.st_size > 0 || attempt >= 50) break;
    sleep_ms(2);
  }
  if (st.st_size == 0) throw Error(ErrorCode::kIncompatible, "'" + os_name + "' exists but is empty");
  return st.st_size;
}

}  // namespace

std::unique_ptr<Segment> Segment::open(const SegmentOptions& o) {
  if (o.create != CreateMode::kOpenOnly && o.size == 0 && o.create == CreateMode::kExclusive) {
    throw Error(ErrorCode::kInvalidArg, "size is required to create '" + o.os_name + "'");
  }
  const bool may_create = o.create != CreateMode::kOpenOnly && o.size > 0 && !o.read_only;
  int fd = -1;
  bool created = false;
  // Open first: an existing segment costs one open, never a copy made and thrown away. Only a
  // name that does not exist is created (and one made meanwhile by another process is opened).
  for (int attempt = 0; fd < 0; ++attempt) {
    if (o.create != CreateMode::kExclusive) {
      fd = shm_open_existing(o.os_name, o.read_only ? O_RDONLY : O_RDWR);
      if (fd >= 0) break;
      if (errno != ENOENT) throw_errno("open", "cannot open '" + o.os_name + "'");
      if (!may_create) {
        throw Error(ErrorCode::kNotFound,
                    "'" + o.os_name + "' does not exist" +
                        (o.size == 0 && o.create != CreateMode::kOpenOnly ? " (give a size to create it)" : ""),
                    ENOENT, "open");
      }
    }
    fd = create_published(o);
    if (fd >= 0) {
      created = true;
      break;
    }
    if (o.create == CreateMode::kExclusive) {
      throw Error(ErrorCode::kExists, "'" + o.os_name + "' already exists", EEXIST, "link");
    }
    // Created by another process since we looked: open it (a name that is created and removed
    // again and again by others is reported after a few rounds).
    if (attempt >= 3) {
      throw Error(ErrorCode::kSystem, "'" + o.os_name + "' keeps appearing and disappearing", EEXIST, "link");
    }
  }
  FileDescriptor guard(fd);
  off_t size = static_cast<off_t>(o.size);
  if (!created) {
    size = existing_size(fd, o.os_name);
    if (o.exact_size && static_cast<size_t>(size) != o.size) {
      throw Error(ErrorCode::kIncompatible, "'" + o.os_name + "' exists with a size (" + std::to_string(size) +
                                                " bytes) that no interlocked object of this kind has");
    }
    if (static_cast<size_t>(size) < o.size) {
      throw Error(ErrorCode::kSizeMismatch, "'" + o.os_name + "' exists with " + std::to_string(size) +
                                                " bytes, fewer than the " + std::to_string(o.size) + " asked for");
    }
  }
  int prot = o.read_only ? PROT_READ : PROT_READ | PROT_WRITE;
  void* p = ::mmap(nullptr, static_cast<size_t>(size), prot, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw_errno("mmap", "cannot map '" + o.os_name + "'");
  return std::make_unique<LinuxSegment>(static_cast<uint8_t*>(p), static_cast<size_t>(size), created, guard.release(),
                                        !o.read_only);
}

bool Segment::unlink(const std::string& os_name, Scope) {
  // shm_unlink(), as glibc does it: unlink() in the directory, EPERM reported as EACCES.
  const std::string path = shm_path(os_name);
  if (!path.empty() && ::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  if (errno == EPERM) errno = EACCES;
  throw_errno("unlink", "cannot unlink '" + os_name + "'");
}

}  // namespace interlock::platform
