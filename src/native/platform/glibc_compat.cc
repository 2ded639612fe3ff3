// The glibc floor of the Linux addon: what lets one binary, built on a new glibc (Debian 12: 2.36),
// load on glibc 2.28 and later (RHEL 8, Debian 10, Ubuntu 20.04).
//
// binding.gyp links the C++ runtime in (-static-libstdc++ -static-libgcc) and redirects the calls
// below, from every object including the runtime's, to the __wrap_ functions here (-Wl,--wrap=NAME).
// Each binds to the oldest version of its symbol (the architecture's base version), the one every
// glibc has: the functions that moved from libpthread into libc in 2.34 keep their old version there
// as the same function, so nothing changes on a new glibc. What has no old version is done here:
//   - fstat, fstat64 (exported functions only since 2.33): the fstat system call, into the same
//     struct stat (on x86-64 and aarch64 glibc's struct stat is the kernel's).
//   - _dl_find_object (2.35), which the static unwinder calls to find a frame's unwind tables: the
//     same answer from dl_iterate_phdr, the way the unwinder asked before 2.35.
//   - __libc_single_threaded (2.32), which libstdc++ reads to skip atomic operations: a private copy
//     that always says "maybe several threads" (0), which is always correct.
//   - arc4random (2.36), which libstdc++'s std::random_device calls (the addon itself does not use
//     it, but std::runtime_error's object file brings it in): getrandom (2.25) or /dev/urandom, and
//     abort() if the kernel gives neither, as glibc's does.
// (shm_open and random numbers do without libc's newer functions: linux_segment.cc, posix_clock.cc.)
// scripts/package-checks/glibc-floor.mjs checks the result with objdump -T.
//
// Elsewhere (another libc or architecture, where no prebuild is made) each wrapper calls the
// function it wraps, so a build from source links either way.
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__) && defined(__x86_64__)
#define INTERLOCKED_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__GLIBC__) && defined(__aarch64__)
#define INTERLOCKED_GLIBC_BASE "GLIBC_2.17"
#endif

extern "C" {

int __pthread_key_create(pthread_key_t* key, void (*destructor)(void*));

#ifdef INTERLOCKED_GLIBC_BASE
// The call goes to NAME@base version through a local alias that only this file uses.
#define INTERLOCKED_OLD(ret, name, params, args)                                \
  ret interlocked_old_##name params;                                            \
  __asm__(".symver interlocked_old_" #name "," #name "@" INTERLOCKED_GLIBC_BASE); \
  ret __wrap_##name params { return interlocked_old_##name args; }
#else
#define INTERLOCKED_OLD(ret, name, params, args) \
  ret __real_##name params;                      \
  ret __wrap_##name params { return __real_##name args; }
#endif

INTERLOCKED_OLD(int, pthread_create,
                (pthread_t * thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg),
                (thread, attr, start, arg))
INTERLOCKED_OLD(int, pthread_detach, (pthread_t thread), (thread))
INTERLOCKED_OLD(int, pthread_join, (pthread_t thread, void** result), (thread, result))
INTERLOCKED_OLD(int, pthread_once, (pthread_once_t * once, void (*init)(void)), (once, init))
INTERLOCKED_OLD(int, pthread_mutex_trylock, (pthread_mutex_t * mutex), (mutex))
INTERLOCKED_OLD(int, pthread_key_create, (pthread_key_t * key, void (*destructor)(void*)), (key, destructor))
INTERLOCKED_OLD(int, __pthread_key_create, (pthread_key_t * key, void (*destructor)(void*)), (key, destructor))
INTERLOCKED_OLD(int, pthread_key_delete, (pthread_key_t key), (key))
INTERLOCKED_OLD(void*, pthread_getspecific, (pthread_key_t key), (key))
INTERLOCKED_OLD(int, pthread_setspecific, (pthread_key_t key, const void* value), (key, value))

#ifdef INTERLOCKED_GLIBC_BASE
int __wrap_fstat(int fd, struct stat* st) {
  return static_cast<int>(::syscall(SYS_fstat, fd, st));
}
int __wrap_fstat64(int fd, struct stat64* st) {
  return static_cast<int>(::syscall(SYS_fstat, fd, st));
}

__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;

uint32_t __wrap_arc4random(void) {
  uint32_t value;
  auto* buf = reinterpret_cast<unsigned char*>(&value);
  size_t got = 0;
  while (got < sizeof value) {
    ssize_t n = ::getrandom(buf + got, sizeof value - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      break;
    }
  }
  if (got < sizeof value) {
    int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) std::abort();
    for (got = 0; got < sizeof value;) {
      ssize_t n = ::read(fd, buf + got, sizeof value - got);
      if (n > 0) {
        got += static_cast<size_t>(n);
      } else if (n == 0 || errno != EINTR) {
        std::abort();
      }
    }
    ::close(fd);
  }
  return value;
}
#else
int __real_fstat(int fd, struct stat* st);
int __wrap_fstat(int fd, struct stat* st) {
  return __real_fstat(fd, st);
}
int __real_fstat64(int fd, struct stat64* st);
int __wrap_fstat64(int fd, struct stat64* st) {
  return __real_fstat64(fd, st);
}
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 36)
uint32_t __real_arc4random(void);
uint32_t __wrap_arc4random(void) {
  return __real_arc4random();
}
#endif
#endif

}  // extern "C"

// Only where the unwinder was built against a glibc that has it (the same test libgcc makes).
#ifdef DLFO_STRUCT_HAS_EH_DBASE
namespace {

struct Lookup {
  uintptr_t pc;
  struct dl_find_object* result;
};

// For the object whose loaded segments hold pc: its extent and its PT_GNU_EH_FRAME segment.
int find_object(struct dl_phdr_info* info, size_t, void* data) {
  auto* lookup = static_cast<Lookup*>(data);
  bool holds_pc = false;
  uintptr_t start = UINTPTR_MAX;
  uintptr_t end = 0;
  void* eh_frame = nullptr;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD) {
      const uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
      const uintptr_t finish = begin + ph.p_memsz;
      if (lookup->pc >= begin && lookup->pc < finish) holds_pc = true;
      if (begin < start) start = begin;
      if (finish > end) end = finish;
    } else if (ph.p_type == DLFO_EH_SEGMENT_TYPE) {
      eh_frame = reinterpret_cast<void*>(info->dlpi_addr + ph.p_vaddr);
    }
  }
  if (!holds_pc) return 0;
  std::memset(lookup->result, 0, sizeof *lookup->result);
  lookup->result->dlfo_map_start = reinterpret_cast<void*>(start);
  lookup->result->dlfo_map_end = reinterpret_cast<void*>(end);
  lookup->result->dlfo_eh_frame = eh_frame;  // dlfo_link_map stays null: the unwinder does not read it
  return 1;
}

}  // namespace

extern "C" int __wrap__dl_find_object(void* pc, struct dl_find_object* result) {
  Lookup lookup{reinterpret_cast<uintptr_t>(pc), result};
  return ::dl_iterate_phdr(find_object, &lookup) > 0 ? 0 : -1;
}
#endif
