// Checks src/native/platform/glibc_compat.cc's replacements against what glibc itself does: its
// __wrap_ functions are called directly and compared with glibc's own. Built as the addon is linked
// (static C++ runtime, -Wl,--wrap=_dl_find_object), so the exception at the end goes through the
// static unwinder and the replacement _dl_find_object. Prints "ok <what>" per check and exits 1 on
// the first difference (test/glibc-compat.test.ts builds and runs it).
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

extern "C" {
int __wrap_pthread_create(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
int __wrap_pthread_join(pthread_t, void**);
int __wrap_pthread_once(pthread_once_t*, void (*)(void));
int __wrap_pthread_mutex_trylock(pthread_mutex_t*);
int __wrap_pthread_key_create(pthread_key_t*, void (*)(void*));
int __wrap_pthread_key_delete(pthread_key_t);
void* __wrap_pthread_getspecific(pthread_key_t);
int __wrap_pthread_setspecific(pthread_key_t, const void*);
int __wrap_fstat(int, struct stat*);
int __wrap_fstat64(int, struct stat64*);
uint32_t __wrap_arc4random(void);
#ifdef DLFO_STRUCT_HAS_EH_DBASE
int __wrap__dl_find_object(void*, struct dl_find_object*);
#endif
}

namespace {

void expect(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok" : "FAIL", what);
  if (!ok) std::exit(1);
}

int once_runs = 0;
void once_body() {
  ++once_runs;
}
void* thread_body(void* arg) {
  return static_cast<char*>(arg) + 1;
}

[[gnu::noinline]] int thrower(int x) {
  if (x > 0) throw std::runtime_error("thrown");
  return x;
}

#ifdef DLFO_STRUCT_HAS_EH_DBASE
// The answer for pc must be glibc's: found or not alike, the same unwind tables, pc inside the extent.
void same_object(void* pc, const char* what) {
  struct dl_find_object ours {};
  struct dl_find_object theirs {};
  int a = __wrap__dl_find_object(pc, &ours);
  // glibc's own, looked up by name: a direct call would be redirected to ours by --wrap.
  using Find = int (*)(void*, struct dl_find_object*);
  static const Find glibc_find = reinterpret_cast<Find>(::dlsym(RTLD_DEFAULT, "_dl_find_object"));
  if (glibc_find == nullptr) expect(false, "glibc's _dl_find_object is there to compare with");
  int b = glibc_find(pc, &theirs);
  bool ok = a == b;
  if (ok && a == 0) {
    ok = ours.dlfo_eh_frame == theirs.dlfo_eh_frame && ours.dlfo_map_start <= pc && pc < ours.dlfo_map_end;
  }
  expect(ok, what);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  // Threads, once, keys, trylock: the old-version bindings are the same functions.
  pthread_t thread;
  char data[2];
  void* result = nullptr;
  expect(__wrap_pthread_create(&thread, nullptr, thread_body, data) == 0 && __wrap_pthread_join(thread, &result) == 0 &&
             result == data + 1,
         "pthread_create + pthread_join");
  pthread_once_t once = PTHREAD_ONCE_INIT;
  __wrap_pthread_once(&once, once_body);
  __wrap_pthread_once(&once, once_body);
  expect(once_runs == 1, "pthread_once runs once");
  pthread_key_t key;
  expect(__wrap_pthread_key_create(&key, nullptr) == 0 && __wrap_pthread_setspecific(key, data) == 0 &&
             __wrap_pthread_getspecific(key) == data && __wrap_pthread_key_delete(key) == 0,
         "pthread keys");
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  expect(__wrap_pthread_mutex_trylock(&mutex) == 0 && __wrap_pthread_mutex_trylock(&mutex) == EBUSY,
         "pthread_mutex_trylock: 0, then EBUSY");

  // fstat: what glibc's fstat says, for a file and for a bad descriptor.
  int fd = ::open(argv[0], O_RDONLY | O_CLOEXEC);
  struct stat want {};
  struct stat got {};
  struct stat64 got64 {};
  expect(fd >= 0 && ::fstat(fd, &want) == 0 && __wrap_fstat(fd, &got) == 0 && __wrap_fstat64(fd, &got64) == 0,
         "fstat of a file");
  expect(got.st_dev == want.st_dev && got.st_ino == want.st_ino && got.st_mode == want.st_mode &&
             got.st_size == want.st_size && got.st_mtim.tv_nsec == want.st_mtim.tv_nsec &&
             got64.st_ino == want.st_ino && got64.st_size == want.st_size && got64.st_nlink == want.st_nlink,
         "fstat, fstat64: the same struct stat as glibc's");
  ::close(fd);
  errno = 0;
  expect(__wrap_fstat(fd, &got) == -1 && errno == EBADF, "fstat of a closed descriptor: -1, EBADF");

  // arc4random: four draws, not all the same.
  uint32_t r[4] = {__wrap_arc4random(), __wrap_arc4random(), __wrap_arc4random(), __wrap_arc4random()};
  expect(!(r[0] == r[1] && r[1] == r[2] && r[2] == r[3]), "arc4random varies");

#ifdef DLFO_STRUCT_HAS_EH_DBASE
  same_object(reinterpret_cast<void*>(&main), "_dl_find_object: the executable");
  same_object(reinterpret_cast<void*>(&::printf), "_dl_find_object: libc");
  same_object(reinterpret_cast<void*>(&::dlopen), "_dl_find_object: another library");
  same_object(reinterpret_cast<void*>(&__wrap_arc4random), "_dl_find_object: the compat code itself");
  same_object(reinterpret_cast<void*>(static_cast<uintptr_t>(4096)), "_dl_find_object: no object");
#else
  std::printf("ok _dl_find_object: not in this glibc (nothing to replace)\n");
#endif
  bool caught = false;
  try {
    thrower(argc);
  } catch (const std::runtime_error&) {
    caught = true;
  }
  expect(caught, "a C++ exception is caught (static unwinder)");
  return 0;
}
