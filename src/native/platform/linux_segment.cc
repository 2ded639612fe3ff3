// Named segments on Linux: POSIX shared memory (shm_open + mmap), a file in /dev/shm.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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
  LinuxSegment(uint8_t* data, size_t size, bool created, int fd)
      : data_(data), size_(size), created_(created), fd_(fd) {}
  ~LinuxSegment() override {
    ::munmap(data_, size_);
    ::close(fd_);  // drops every hold of this open file description
  }
  uint8_t* data() const override { return data_; }
  size_t size() const override { return size_; }
  bool created() const override { return created_; }

  bool try_hold(uint32_t index) override { return ofd_lock(fd_, F_WRLCK, F_OFD_SETLK, index); }
  void release_hold(uint32_t index) override { ofd_lock(fd_, F_UNLCK, F_OFD_SETLK, index); }
  Hold hold_state(uint32_t index) const override {
    short found = F_UNLCK;
    if (!ofd_lock(fd_, F_WRLCK, F_OFD_GETLK, index, &found)) return Hold::kUnsupported;
    return found == F_UNLCK ? Hold::kFree : Hold::kHeld;
  }

 private:
  uint8_t* data_;
  size_t size_;
  bool created_;
  int fd_;  // kept open: it carries the slot holds
};

std::string shm_name(const std::string& os_name) {
  return "/" + os_name;
}

// A creator sets the size right after shm_open; an opener that finds size 0 waits a little for it,
// and if the creator died in between, sets the size itself (any size > 0 it was asked for).
off_t settled_size(int fd, size_t wanted, const std::string& os_name) {
  struct stat st;
  for (int attempt = 0;; ++attempt) {
    if (::fstat(fd, &st) != 0) throw_errno("fstat", "cannot read the size of '" + os_name + "'");
    if (st.st_size > 0 || attempt >= 50) break;
    sleep_ms(2);
  }
  if (st.st_size == 0 && wanted > 0) {
    if (::ftruncate(fd, static_cast<off_t>(wanted)) != 0) throw_errno("ftruncate", "cannot size '" + os_name + "'");
    return static_cast<off_t>(wanted);
  }
  return st.st_size;
}

}  // namespace

std::unique_ptr<Segment> Segment::open(const SegmentOptions& o) {
  const std::string name = shm_name(o.os_name);
  if (o.create != CreateMode::kOpenOnly && o.size == 0 && o.create == CreateMode::kExclusive) {
    throw Error(ErrorCode::kInvalidArg, "size is required to create '" + o.os_name + "'");
  }
  int fd = -1;
  bool created = false;
  if (o.create != CreateMode::kOpenOnly && o.size > 0) {
    fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(o.mode));
    if (fd >= 0) {
      created = true;
      crash_point("segment-created");  // before the size is set
    } else if (errno != EEXIST) {
      throw_errno("shm_open", "cannot create '" + o.os_name + "'");
    } else if (o.create == CreateMode::kExclusive) {
      throw Error(ErrorCode::kExists, "'" + o.os_name + "' already exists", EEXIST, "shm_open");
    }
  }
  if (fd < 0) {
    fd = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) {
      if (errno == ENOENT) {
        throw Error(ErrorCode::kNotFound,
                    "'" + o.os_name + "' does not exist" +
                        (o.size == 0 && o.create != CreateMode::kOpenOnly ? " (give a size to create it)" : ""),
                    ENOENT, "shm_open");
      }
      throw_errno("shm_open", "cannot open '" + o.os_name + "'");
    }
  }
  FileDescriptor guard(fd);
  off_t size;
  if (created) {
    // umask may have narrowed the mode: apply exactly what was asked.
    if (::fchmod(fd, static_cast<mode_t>(o.mode)) != 0 || ::ftruncate(fd, static_cast<off_t>(o.size)) != 0) {
      int e = errno;
      ::shm_unlink(name.c_str());
      errno = e;
      throw_errno("ftruncate", "cannot size '" + o.os_name + "'");
    }
    size = static_cast<off_t>(o.size);
  } else {
    size = settled_size(fd, o.size, o.os_name);
    if (size == 0) throw Error(ErrorCode::kIncompatible, "'" + o.os_name + "' exists but is empty");
    if (o.exact_size && static_cast<size_t>(size) != o.size) {
      throw Error(ErrorCode::kIncompatible, "'" + o.os_name + "' exists with a size (" + std::to_string(size) +
                                                " bytes) that no interlock object of this kind has");
    }
    if (static_cast<size_t>(size) < o.size) {
      throw Error(ErrorCode::kSizeMismatch, "'" + o.os_name + "' exists with " + std::to_string(size) +
                                                " bytes, fewer than the " + std::to_string(o.size) + " asked for");
    }
  }
  void* p = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw_errno("mmap", "cannot map '" + o.os_name + "'");
  return std::make_unique<LinuxSegment>(static_cast<uint8_t*>(p), static_cast<size_t>(size), created, guard.release());
}

bool Segment::unlink(const std::string& os_name, Scope) {
  if (::shm_unlink(shm_name(os_name).c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_errno("shm_unlink", "cannot unlink '" + os_name + "'");
}

}  // namespace interlock::platform
