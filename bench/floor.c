// The floor: a process-shared pthread_rwlock in a /dev/shm segment, driven by the same workloads
// as the Node contenders (W1 uncontended, W2 two writers on a counter, W2-real writers around file
// work, W3 handoff latency, W6 reader scalability). No event loop, no thread hop: what a lock across
// processes costs in C.
//
//   floor w1 <ms>                 -> {"write":ns,"read":ns,"tryWrite":ns,"tryRead":ns}
//   floor w2 <procs> <ms>         -> {"ops":[...],"counter":n,"seconds":s}
//   floor w2r <procs> <ms> <wait|tryFirst> <file>
//                                 -> {"ops":[...],"seconds":s,"waits":{"buckets":[[i,n],..],"count":n,"max":ns}}
//   floor w3 <iterations>         -> {"latencies_ns":[...]}
//   floor w6 <readers> <ms>       -> {"ops":[...],"seconds":s}
//
// Built by bench/lib/floor.mjs with `cc -O2 -pthread`.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 64

typedef struct {
  pthread_rwlock_t lock;
  volatile uint64_t counter;  // plain (non-atomic) read-modify-write under the lock
  _Atomic uint32_t ready;
  _Atomic uint32_t go;
  _Atomic uint32_t phase;  // W3: handshake between holder and waiter
  _Atomic int64_t released_at;
  int64_t latencies[];     // W3 results
} shared_t;

static uint64_t ops_out[MAX_PROCS];

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char* what) {
  perror(what);
  exit(2);
}

static shared_t* map_shared(size_t extra) {
  char name[64];
  snprintf(name, sizeof name, "/interlock-bench-floor-%d", (int)getpid());
  int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) die("shm_open");
  shm_unlink(name);  // the mapping keeps it alive; nothing left behind
  size_t size = sizeof(shared_t) + extra;
  if (ftruncate(fd, (off_t)size) != 0) die("ftruncate");
  shared_t* s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (s == MAP_FAILED) die("mmap");
  close(fd);
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (pthread_rwlock_init(&s->lock, &attr) != 0) die("pthread_rwlock_init");
  pthread_rwlockattr_destroy(&attr);
  return s;
}

static double per_op_ns(shared_t* s, int mode, int64_t ms) {
  // mode: 0 write, 1 read, 2 tryWrite, 3 tryRead. Batches of 1024 until the time is up.
  int64_t end = now_ns() + ms * 1000000, start = now_ns();
  uint64_t n = 0;
  do {
    for (int i = 0; i < 1024; i++) {
      switch (mode) {
        case 0: pthread_rwlock_wrlock(&s->lock); break;
        case 1: pthread_rwlock_rdlock(&s->lock); break;
        case 2: if (pthread_rwlock_trywrlock(&s->lock) != 0) die("trywrlock"); break;
        default: if (pthread_rwlock_tryrdlock(&s->lock) != 0) die("tryrdlock"); break;
      }
      pthread_rwlock_unlock(&s->lock);
    }
    n += 1024;
  } while (now_ns() < end);
  return (double)(now_ns() - start) / (double)n;
}

static int w1(int64_t ms) {
  shared_t* s = map_shared(0);
  double r[4];
  for (int m = 0; m < 4; m++) r[m] = per_op_ns(s, m, ms);
  printf("{\"write\":%.2f,\"read\":%.2f,\"tryWrite\":%.2f,\"tryRead\":%.2f}\n", r[0], r[1], r[2],
         r[3]);
  return 0;
}

// Forks `procs` children running `body(s, index, deadline)`; each writes its op count into the
// shared latencies area (reused as a results array). Returns the measured wall time in seconds.
static double run_children(shared_t* s, int procs, int64_t ms, uint64_t (*body)(shared_t*, int64_t)) {
  pid_t pids[MAX_PROCS];
  for (int i = 0; i < procs; i++) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      s->ready++;
      while (!s->go) sched_yield();
      int64_t deadline = now_ns() + ms * 1000000;
      s->latencies[i] = (int64_t)body(s, deadline);
      _exit(0);
    }
    pids[i] = pid;
  }
  while (s->ready < (uint32_t)procs) sched_yield();
  int64_t start = now_ns();
  s->go = 1;
  for (int i = 0; i < procs; i++) waitpid(pids[i], NULL, 0);
  double seconds = (double)(now_ns() - start) / 1e9;
  for (int i = 0; i < procs; i++) ops_out[i] = (uint64_t)s->latencies[i];
  return seconds;
}

static uint64_t writer_body(shared_t* s, int64_t deadline) {
  uint64_t n = 0;
  while (now_ns() < deadline) {
    pthread_rwlock_wrlock(&s->lock);
    uint64_t v = s->counter;
    s->counter = v + 1;
    pthread_rwlock_unlock(&s->lock);
    n++;
  }
  return n;
}

static uint64_t reader_body(shared_t* s, int64_t deadline) {
  uint64_t n = 0;
  while (now_ns() < deadline) {
    for (int i = 0; i < 64; i++) {
      pthread_rwlock_rdlock(&s->lock);
      pthread_rwlock_unlock(&s->lock);
    }
    n += 64;
  }
  return n;
}

// W2-real: the write lock around the same file work as the Node agents (bench/lib/agent.mjs): pread
// 16 bytes at offset 0, then pwrite 8 bytes three times (the counter at 0 plus one, the writer's
// pid at 8, its operation count at 16), on a file each child opens once. Every acquisition's wait
// goes into a histogram with the buckets of bench/lib/histogram.mjs (32 per power of two of ns),
// summed into shared memory when the child ends. The driver reads the counter from the file.
#define H_SUB_BITS 5
#define H_BUCKETS ((32 - H_SUB_BITS + 1) << H_SUB_BITS)

static const char* w2r_file;
static int w2r_try_first;

static int bucket_of(int64_t ns) {
  uint32_t v = ns < (int64_t)UINT32_MAX ? (uint32_t)ns : UINT32_MAX;
  if (v < (1u << H_SUB_BITS)) return (int)v;
  int e = 31 - __builtin_clz(v);
  return ((e - H_SUB_BITS + 1) << H_SUB_BITS) + (int)((v >> (e - H_SUB_BITS)) & ((1u << H_SUB_BITS) - 1));
}

// The merged histogram and max wait live after the per-process results in the shared mapping.
static uint64_t* shared_waits(shared_t* s) { return (uint64_t*)&s->latencies[MAX_PROCS]; }

static uint64_t real_writer_body(shared_t* s, int64_t deadline) {
  int fd = open(w2r_file, O_RDWR);
  if (fd < 0) die("open");
  static uint64_t local[H_BUCKETS];
  int64_t max = 0;
  uint64_t n = 0, pid = (uint64_t)getpid();
  unsigned char current[16];
  for (;;) {
    int64_t asked = now_ns();
    if (asked >= deadline) break;
    if (!w2r_try_first || pthread_rwlock_trywrlock(&s->lock) != 0) pthread_rwlock_wrlock(&s->lock);
    int64_t waited = now_ns() - asked;
    local[bucket_of(waited)]++;
    if (waited > max) max = waited;
    if (pread(fd, current, 16, 0) != 16) die("pread");
    uint64_t value;
    memcpy(&value, current, 8);  // little-endian host, as the file's format
    value++;
    uint64_t count = n + 1;
    if (pwrite(fd, &value, 8, 0) != 8 || pwrite(fd, &pid, 8, 8) != 8 || pwrite(fd, &count, 8, 16) != 8)
      die("pwrite");
    pthread_rwlock_unlock(&s->lock);
    n++;
  }
  close(fd);
  uint64_t* waits = shared_waits(s);
  for (int i = 0; i < H_BUCKETS; i++)
    if (local[i]) __atomic_fetch_add(&waits[i], local[i], __ATOMIC_RELAXED);
  uint64_t seen = __atomic_load_n(&waits[H_BUCKETS], __ATOMIC_RELAXED);
  while (seen < (uint64_t)max && !__atomic_compare_exchange_n(&waits[H_BUCKETS], &seen, (uint64_t)max, 0,
                                                              __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
  return n;
}

static void print_ops(int procs, double seconds, int with_counter, uint64_t counter) {
  printf("{\"ops\":[");
  for (int i = 0; i < procs; i++) printf("%s%llu", i ? "," : "", (unsigned long long)ops_out[i]);
  printf("],\"seconds\":%.4f", seconds);
  if (with_counter) printf(",\"counter\":%llu", (unsigned long long)counter);
  printf("}\n");
}

static int w2(int procs, int64_t ms) {
  shared_t* s = map_shared(sizeof(int64_t) * MAX_PROCS);
  double seconds = run_children(s, procs, ms, writer_body);
  print_ops(procs, seconds, 1, s->counter);
  return 0;
}

static int w2r(int procs, int64_t ms, const char* form, const char* file) {
  w2r_file = file;
  w2r_try_first = strcmp(form, "tryFirst") == 0;
  if (!w2r_try_first && strcmp(form, "wait") != 0) die("w2r form");
  shared_t* s = map_shared(sizeof(int64_t) * MAX_PROCS + sizeof(uint64_t) * (H_BUCKETS + 1));
  double seconds = run_children(s, procs, ms, real_writer_body);
  uint64_t* waits = shared_waits(s);
  uint64_t count = 0;
  printf("{\"ops\":[");
  for (int i = 0; i < procs; i++) printf("%s%llu", i ? "," : "", (unsigned long long)ops_out[i]);
  printf("],\"seconds\":%.4f,\"waits\":{\"buckets\":[", seconds);
  for (int i = 0, first = 1; i < H_BUCKETS; i++) {
    if (!waits[i]) continue;
    printf("%s[%d,%llu]", first ? "" : ",", i, (unsigned long long)waits[i]);
    first = 0;
    count += waits[i];
  }
  printf("],\"count\":%llu,\"max\":%llu}}\n", (unsigned long long)count, (unsigned long long)waits[H_BUCKETS]);
  return 0;
}

static int w6(int procs, int64_t ms) {
  shared_t* s = map_shared(sizeof(int64_t) * MAX_PROCS);
  double seconds = run_children(s, procs, ms, reader_body);
  print_ops(procs, seconds, 0, 0);
  return 0;
}

// W3: the holder takes the write lock and tells the waiter, which announces it is about to block
// in wrlock; the holder gives it 2 ms to get there, stamps and unlocks; the waiter stamps on grant.
// Like the Node agents, the holder then sleeps (2 ms) instead of spinning, so the waiter is woken
// the same way: a blocked process on a CPU that may be idle.
static int w3(int iterations) {
  shared_t* s = map_shared(sizeof(int64_t) * (size_t)iterations);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {  // waiter
    for (int i = 0; i < iterations; i++) {
      while (s->phase != 1) sched_yield();
      s->phase = 2;
      pthread_rwlock_wrlock(&s->lock);
      int64_t granted = now_ns();
      s->latencies[i] = granted - s->released_at;
      pthread_rwlock_unlock(&s->lock);
      s->phase = 3;
    }
    _exit(0);
  }
  struct timespec pause = {0, 2000000};
  for (int i = 0; i < iterations; i++) {
    pthread_rwlock_wrlock(&s->lock);
    s->phase = 1;
    while (s->phase != 2) sched_yield();
    nanosleep(&pause, NULL);
    s->released_at = now_ns();
    pthread_rwlock_unlock(&s->lock);
    nanosleep(&pause, NULL);
    while (s->phase != 3) sched_yield();
    s->phase = 0;
  }
  waitpid(pid, NULL, 0);
  printf("{\"latencies_ns\":[");
  for (int i = 0; i < iterations; i++) printf("%s%lld", i ? "," : "", (long long)s->latencies[i]);
  printf("]}\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "w1") == 0) return w1(atoll(argv[2]));
  if (argc >= 4 && strcmp(argv[1], "w2") == 0) return w2(atoi(argv[2]), atoll(argv[3]));
  if (argc >= 6 && strcmp(argv[1], "w2r") == 0) return w2r(atoi(argv[2]), atoll(argv[3]), argv[4], argv[5]);
  if (argc >= 3 && strcmp(argv[1], "w3") == 0) return w3(atoi(argv[2]));
  if (argc >= 4 && strcmp(argv[1], "w6") == 0) return w6(atoi(argv[2]), atoll(argv[3]));
  fprintf(stderr,
          "usage: floor w1 <ms> | w2 <procs> <ms> | w2r <procs> <ms> <wait|tryFirst> <file> | w3 <iterations> | "
          "w6 <readers> <ms>\n");
  return 64;
}
