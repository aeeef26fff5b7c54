/*
 * alloc-check native driver: runs the suite's command sequences against the process's malloc
 * (the system one, or whatever LD_PRELOAD interposes), one real pthread per logical thread.
 *
 * stdin holds one or more runs; every run is executed in a child forked from this parent, so each
 * starts from the same allocator state (the parent does not allocate between forks: static buffers,
 * no stdio) and a crash or hang ends only that child. Up to one child a CPU runs at a time
 * ($ALLOC_CHECK_NATIVE_JOBS); results go to stdout in request order, one run after another.
 *
 * Request (one run):                     Result lines of a run (in the child's shared page):
 *   RUN <threads> <timeoutMs> <flags>       a <ptr> <usable> <hdr>   alloc (ptr 0: NULL)
 *   a <t> <size>        alloc                f <ptr>                  free of live[ref] (f - : none)
 *   f <t> <ref>         free live[ref]       w <ptr> / c <ptr> <off> <got> <want>   write / check
 *   w <ref> <seed>      write a canary       x                        thread ended
 *   c <ref>             check a canary       t <ret>  (t - : no malloc_trim in the target)
 *   x <t>               thread exit          b <ptr>  bad free returned (b - : no candidate)
 *   t                   malloc_trim(0)       I <ptr> <off> <want> <got>  a live canary broke
 *   b <t> <k> <ref> <o> bad free d|i|o     J ...  (the same, found before a free or write)
 *                                         then, from the parent:
 *   END                                     N   (if it ended inside the free(NULL) before a free)
 *                                           S DONE|SIGNAL <steps> <n> <name>|EXIT <steps> <n>|HANG <steps>
 *                                           E <child's stderr, newlines as ' | '>
 *                                           END
 * flags: 1 = read the header byte at ptr-1 (hakmem layout), 2 = bad frees end the run.
 * A run's live list is the model's: appended on alloc, removed in place on free, ref taken modulo
 * its length; canary seeds are allocation serials (explicit writes: 0x40000000 + seed), bytes as
 * model/model.ts canaryByte. After every step the main thread re-reads every live canary (its
 * first and last 256 bytes; whole canaries at free, write and check).
 * The first line on stdout is `HELLO <malloc's object> <aslrOff> <trim> <usable>`.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define MAX_CMDS 20000
#define MAX_LIVE 20000
#define GRAVES 16
#define REQ_BYTES (1 << 20)
#define SHM_BYTES (8 << 20)

enum { OP_ALLOC = 'a', OP_FREE = 'f', OP_WRITE = 'w', OP_CHECK = 'c', OP_EXIT = 'x', OP_TRIM = 't', OP_BAD = 'b' };

typedef struct { char op; int t; long a, b, c; char k; } cmd_t;
typedef struct { unsigned char *ptr; size_t size; uint32_t seed; int hasCanary; } block_t;
typedef struct { int op; size_t size; unsigned char *ptr; unsigned char *res; size_t usable; int hdr; uint32_t seed; } job_t;
typedef struct { pthread_t th; sem_t go, done; int alive, quit; job_t job; } worker_t;

static char req[REQ_BYTES];
static size_t reqLen;
static cmd_t cmds[MAX_CMDS];
static int ncmds, nthreads, timeoutMs, flags;
static size_t (*usableFn)(void *);
static int (*trimFn)(size_t);
static void (*fixtureMark)(int);
static char foreignBuf[256] __attribute__((aligned(16)));

/* Shared page: [0..7] steps started, [8..15] result bytes, [16..23] 1 while in free(NULL), then result text. */
static volatile uint64_t *shm;
static char *shmText;

/* --- child side ------------------------------------------------------------------------------ */
static block_t live[MAX_LIVE];
static int nlive;
static unsigned char *graves[GRAVES];
static int ngraves;
static uint32_t serial;
static worker_t workers[MAX_THREADS];

static uint8_t canaryByte(uint32_t seed, uint32_t off) {
  return (uint8_t)(((seed + 1u) * 0x9e3779b1u + (off + 1u) * 0x85ebca6bu + (off >> 3)) >> 24);
}

static void out(const char *s) {
  size_t n = strlen(s), at = (size_t)shm[1];
  if (at + n + 64 >= SHM_BYTES) return;
  memcpy(shmText + at, s, n);
  shm[1] = at + n;
}

static void outp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void outp(const char *fmt, ...) {
  char line[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  out(line);
}

/* 'I': found by the scan after a step; 'J': found before a free or write (the step's own line). */
static void outBroken(char kind, const block_t *b, long off) {
  outp("%c %lx %ld %d %d\n", kind, (unsigned long)(uintptr_t)b->ptr, off, canaryByte(b->seed, (uint32_t)off), b->ptr[off]);
}

static void fillCanary(unsigned char *p, size_t size, uint32_t seed) {
  for (size_t i = 0; i < size; i++) p[i] = canaryByte(seed, (uint32_t)i);
}

static long mismatchIn(const block_t *b, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) if (b->ptr[i] != canaryByte(b->seed, (uint32_t)i)) return (long)i;
  return -1;
}

/* The whole canary (at free, write and check). */
static long firstMismatch(const block_t *b) {
  return b->hasCanary ? mismatchIn(b, 0, b->size) : -1;
}

/* After every step: the first and last EDGE bytes of every live block (where neighbours and
 * allocator metadata sit); the middle of a large block is read in full at its free/write/check. */
#define EDGE 256
static long edgeMismatch(const block_t *b) {
  if (!b->hasCanary) return -1;
  if (b->size <= 2 * EDGE) return mismatchIn(b, 0, b->size);
  long r = mismatchIn(b, 0, EDGE);
  return r >= 0 ? r : mismatchIn(b, b->size - EDGE, b->size);
}

/* The byte at p, or -2 when p is not readable (an allocator without the hakmem layout may start a
 * block at the first byte of a mapping): read through the kernel, which reports EFAULT instead of
 * faulting. */
static int readByte(const unsigned char *p) {
  unsigned char b;
  struct iovec local = { &b, 1 }, remote = { (void *)p, 1 };
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 1 ? b : -2;
}

static void runJob(job_t *j) {
  if (fixtureMark) fixtureMark(1);
  if (j->op == OP_ALLOC) {
    j->res = malloc(j->size);
    if (fixtureMark) fixtureMark(0);
    if (j->res) {
      j->usable = usableFn ? usableFn(j->res) : (size_t)-1;
      j->hdr = (flags & 1) ? readByte(j->res - 1) : -1;
      if (j->size > 0) fillCanary(j->res, j->size, j->seed);
    }
    return;
  }
  if (j->op == OP_FREE) { /* free(NULL) must be a no-op: the checks after the step judge it */
    shm[2] = 1;
    free(NULL);
    shm[2] = 0;
  }
  free(j->ptr);
  if (fixtureMark) fixtureMark(0);
}

static void *workerMain(void *arg) {
  worker_t *w = arg;
  for (;;) {
    while (sem_wait(&w->go) != 0) {}
    if (w->quit) return NULL;
    runJob(&w->job);
    sem_post(&w->done);
  }
}

static worker_t *workerOf(int t) {
  worker_t *w = &workers[t];
  if (!w->alive) {
    sem_init(&w->go, 0, 0);
    sem_init(&w->done, 0, 0);
    w->quit = 0;
    if (pthread_create(&w->th, NULL, workerMain, w) != 0) _exit(70);
    w->alive = 1;
  }
  return w;
}

static void onThread(int t, job_t *j) {
  worker_t *w = workerOf(t);
  w->job = *j;
  sem_post(&w->go);
  while (sem_wait(&w->done) != 0) {}
  *j = w->job;
}

static void endThread(int t) {
  worker_t *w = &workers[t];
  if (!w->alive) return;
  w->quit = 1;
  sem_post(&w->go);
  pthread_join(w->th, NULL);
  sem_destroy(&w->go);
  sem_destroy(&w->done);
  w->alive = 0;
}

static int refIndex(long ref, int n) { return n == 0 ? -1 : (int)(((ref % n) + n) % n); }

static int isLive(const unsigned char *p) {
  for (int i = 0; i < nlive; i++) if (live[i].ptr == p) return 1;
  return 0;
}

static void removeLive(int i) {
  unsigned char *p = live[i].ptr;
  memmove(&live[i], &live[i + 1], sizeof(block_t) * (size_t)(nlive - i - 1));
  nlive--;
  for (int g = 0; g < ngraves; g++) if (graves[g] == p) { memmove(&graves[g], &graves[g + 1], sizeof(void *) * (size_t)(ngraves - g - 1)); ngraves--; break; }
  if (ngraves == GRAVES) { memmove(&graves[0], &graves[1], sizeof(void *) * (GRAVES - 1)); ngraves--; }
  graves[ngraves++] = p;
}

/* Returns 1 when the run must end after this step. */
static int step(const cmd_t *c) {
  job_t j = { 0 };
  int i;
  switch (c->op) {
  case OP_ALLOC:
    j.op = OP_ALLOC; j.size = (size_t)c->a; j.seed = serial;
    onThread(c->t, &j);
    outp("a %lx %lld %d\n", (unsigned long)(uintptr_t)j.res, j.res && j.usable != (size_t)-1 ? (long long)j.usable : -1LL, j.res ? j.hdr : -1);
    if (j.res && !isLive(j.res) && nlive < MAX_LIVE) {
      live[nlive++] = (block_t){ j.res, j.size, serial, j.size > 0 };
      serial++;
    }
    return j.res == NULL || nlive >= MAX_LIVE;
  case OP_FREE:
    i = refIndex(c->a, nlive);
    if (i < 0) { out("f -\n"); return 0; }
    j.op = OP_FREE; j.ptr = live[i].ptr;
    { long bad = firstMismatch(&live[i]);
      if (bad >= 0) { outBroken('J', &live[i], bad); return 1; } }
    removeLive(i);
    onThread(c->t, &j);
    outp("f %lx\n", (unsigned long)(uintptr_t)j.ptr);
    return 0;
  case OP_WRITE:
  case OP_CHECK:
    i = refIndex(c->a, nlive);
    if (i < 0) { out(c->op == OP_WRITE ? "w -\n" : "c -\n"); return 0; }
    if (c->op == OP_WRITE) {
      long bad = firstMismatch(&live[i]);
      if (bad >= 0) { outBroken('J', &live[i], bad); return 1; }
      live[i].seed = 0x40000000u + (uint32_t)c->b;
      fillCanary(live[i].ptr, live[i].size, live[i].seed);
      outp("w %lx\n", (unsigned long)(uintptr_t)live[i].ptr);
    } else {
      long bad = firstMismatch(&live[i]);
      outp("c %lx %ld %d %d\n", (unsigned long)(uintptr_t)live[i].ptr, bad, bad >= 0 ? live[i].ptr[bad] : -1, bad >= 0 ? canaryByte(live[i].seed, (uint32_t)bad) : -1);
    }
    return 0;
  case OP_EXIT:
    endThread(c->t);
    out("x\n");
    return 0;
  case OP_TRIM:
    if (!trimFn) { out("t -\n"); return 0; }
    outp("t %d\n", trimFn(0));
    return 0;
  case OP_BAD: {
    unsigned char *p = NULL;
    if (c->k == 'd') {
      int n = 0;
      unsigned char *cand[GRAVES];
      for (int g = 0; g < ngraves; g++) if (!isLive(graves[g])) cand[n++] = graves[g];
      if (n > 0) p = cand[refIndex(c->b, n)];
    } else if (c->k == 'i') {
      i = refIndex(c->b, nlive);
      if (i >= 0 && live[i].size >= 2) p = live[i].ptr + 1 + (size_t)c->c % (live[i].size - 1);
    } else {
      p = (unsigned char *)foreignBuf + 16 * ((size_t)c->c % 8) + ((size_t)c->c / 8) % 16;
    }
    if (!p) { out("b -\n"); return 0; }
    j.op = OP_BAD; j.ptr = p;
    onThread(c->t, &j);
    outp("b %lx\n", (unsigned long)(uintptr_t)p);
    return 1; /* a bad free that returns ends the run: what follows is undefined behaviour */
  }
  }
  return 1;
}

static int integrityScan(void) {
  for (int i = 0; i < nlive; i++) {
    long bad = edgeMismatch(&live[i]);
    if (bad >= 0) {
      outBroken('I', &live[i], bad);
      return 1;
    }
  }
  return 0;
}

static void childMain(void) {
  for (int k = 0; k < ncmds; k++) {
    shm[0] = (uint64_t)k + 1;
    int stop = step(&cmds[k]);
    if (integrityScan() || stop) break;
  }
  _exit(0); /* no atexit handlers, no thread teardown: the run is over */
}

/* --- parent side ----------------------------------------------------------------------------- */
static void writeAll(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0) { if (errno == EINTR) continue; _exit(3); }
    s += w; n -= (size_t)w;
  }
}
static void say(const char *s) { writeAll(1, s, strlen(s)); }

/* Reads stdin up to the next "END\n" line into req; 0 at end of input. */
static int readRun(void) {
  static char inbuf[1 << 16];
  static size_t inLen, inPos;
  reqLen = 0;
  for (;;) {
    while (inPos < inLen) {
      char ch = inbuf[inPos++];
      if (reqLen + 1 >= REQ_BYTES) _exit(4);
      req[reqLen++] = ch;
      if (ch == '\n' && reqLen >= 4 && memcmp(req + reqLen - 4, "END\n", 4) == 0 && (reqLen == 4 || req[reqLen - 5] == '\n')) { req[reqLen] = 0; return 1; }
    }
    ssize_t n = read(0, inbuf, sizeof inbuf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    inLen = (size_t)n; inPos = 0;
  }
}

static int parseRun(void) {
  char *save = NULL, *line = strtok_r(req, "\n", &save);
  if (!line || sscanf(line, "RUN %d %d %d", &nthreads, &timeoutMs, &flags) != 3) return 0;
  if (nthreads < 1 || nthreads > MAX_THREADS) return 0;
  ncmds = 0;
  while ((line = strtok_r(NULL, "\n", &save)) != NULL && strcmp(line, "END") != 0) {
    if (ncmds >= MAX_CMDS) return 0;
    cmd_t *c = &cmds[ncmds];
    memset(c, 0, sizeof *c);
    c->op = line[0];
    int ok = 0;
    switch (c->op) {
    case OP_ALLOC: ok = sscanf(line, "a %d %ld", &c->t, &c->a) == 2; break;
    case OP_FREE: ok = sscanf(line, "f %d %ld", &c->t, &c->a) == 2; break;
    case OP_WRITE: ok = sscanf(line, "w %ld %ld", &c->a, &c->b) == 2; break;
    case OP_CHECK: ok = sscanf(line, "c %ld", &c->a) == 1; break;
    case OP_EXIT: ok = sscanf(line, "x %d", &c->t) == 1; break;
    case OP_TRIM: ok = 1; break;
    case OP_BAD: ok = sscanf(line, "b %d %c %ld %ld", &c->t, &c->k, &c->b, &c->c) == 4; break;
    }
    if (!ok || c->t < 0 || c->t >= nthreads) return 0;
    ncmds++;
  }
  return 1;
}

static void sayNum(const char *pre, long long v) {
  char b[64];
  snprintf(b, sizeof b, "%s%lld", pre, v);
  say(b);
}

/* Runs in flight: children run side by side (up to `jobs`, one a CPU by default, or
 * $ALLOC_CHECK_NATIVE_JOBS), each with its own shared page; their reports are written in order. */
#define MAX_JOBS 8
typedef struct { pid_t pid; int errFd; struct timespec deadline; volatile uint64_t *shm; char *text; } slot_t;
static slot_t slots[MAX_JOBS];
static int jobs = 1, head, inflight;

static void startRun(void) {
  slot_t *sl = &slots[(head + inflight) % jobs];
  int errPipe[2];
  if (pipe2(errPipe, O_CLOEXEC) != 0) _exit(5);
  shm = sl->shm; /* the child writes here */
  shmText = sl->text;
  shm[0] = 0; shm[1] = 0; shm[2] = 0;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pid_t pid = fork();
  if (pid < 0) _exit(6);
  if (pid == 0) {
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    dup2(errPipe[1], 2);
    close(errPipe[0]);
    childMain();
  }
  close(errPipe[1]);
  sl->pid = pid;
  sl->errFd = errPipe[0];
  clock_gettime(CLOCK_MONOTONIC, &sl->deadline);
  sl->deadline.tv_sec += timeoutMs / 1000;
  sl->deadline.tv_nsec += (long)(timeoutMs % 1000) * 1000000L;
  if (sl->deadline.tv_nsec >= 1000000000L) { sl->deadline.tv_sec++; sl->deadline.tv_nsec -= 1000000000L; }
  inflight++;
}

/* Waits for the oldest run in flight (killing it at its deadline: a hang) and writes its report. */
static void finishOldest(void) {
  slot_t *sl = &slots[head];
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  struct timespec now, left;
  int status = 0, hung = 0;
  for (;;) {
    pid_t r = waitpid(sl->pid, &status, WNOHANG);
    if (r == sl->pid) break;
    clock_gettime(CLOCK_MONOTONIC, &now);
    left.tv_sec = sl->deadline.tv_sec - now.tv_sec;
    left.tv_nsec = sl->deadline.tv_nsec - now.tv_nsec;
    if (left.tv_nsec < 0) { left.tv_sec--; left.tv_nsec += 1000000000L; }
    if (left.tv_sec < 0) { hung = 1; kill(sl->pid, SIGKILL); waitpid(sl->pid, &status, 0); break; }
    sigtimedwait(&chld, NULL, &left);
  }
  volatile uint64_t *sh = sl->shm;
  writeAll(1, sl->text, (size_t)sh[1]);
  if (sh[2]) say("N\n"); /* it ended inside free(NULL) */
  if (hung) sayNum("S HANG ", (long long)sh[0]);
  else if (WIFSIGNALED(status)) {
    sayNum("S SIGNAL ", (long long)sh[0]);
    sayNum(" ", WTERMSIG(status));
    say(" SIG");
    say(sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
  } else if (WEXITSTATUS(status) != 0) {
    sayNum("S EXIT ", (long long)sh[0]);
    sayNum(" ", WEXITSTATUS(status));
  } else sayNum("S DONE ", (long long)sh[0]);
  say("\nE ");
  static char errText[4096];
  int fl = fcntl(sl->errFd, F_GETFL);
  fcntl(sl->errFd, F_SETFL, fl | O_NONBLOCK);
  ssize_t n = read(sl->errFd, errText, sizeof errText - 1);
  close(sl->errFd);
  for (ssize_t i = 0; i < n; i++) {
    if (errText[i] == '\n' && i == n - 1) { n--; break; }
    if (errText[i] == '\n' || errText[i] == '\r') errText[i] = '|';
  }
  if (n > 0) writeAll(1, errText, (size_t)n);
  say("\nEND\n");
  head = (head + 1) % jobs;
  inflight--;
}

/* The shared object a symbol resolves to, as the dynamic linker resolved it for this process. */
static const char *objectOf(const char *sym, void **addr) {
  Dl_info info;
  *addr = dlsym(RTLD_DEFAULT, sym);
  if (*addr == NULL || dladdr(*addr, &info) == 0 || info.dli_fname == NULL) return "?";
  return info.dli_fname;
}

int main(int argc, char **argv, char **envp) {
  (void)argc;
  /* Address randomisation off (as setarch -R does): re-exec once with ADDR_NO_RANDOMIZE. */
  int pers = personality(0xffffffff);
  if (pers != -1 && !(pers & ADDR_NO_RANDOMIZE) && getenv("ALLOC_CHECK_NO_ASLR_TRIED") == NULL) {
    if (personality((unsigned long)pers | ADDR_NO_RANDOMIZE) != -1) {
      setenv("ALLOC_CHECK_NO_ASLR_TRIED", "1", 1);
      execv("/proc/self/exe", argv);
    }
  }
  (void)envp;
  pers = personality(0xffffffff);
  void *mallocAddr, *usableAddr, *trimAddr;
  const char *mallocObj = objectOf("malloc", &mallocAddr);
  const char *usableObj = objectOf("malloc_usable_size", &usableAddr);
  const char *trimObj = objectOf("malloc_trim", &trimAddr);
  /* Only the target's own functions: another object's malloc_usable_size on the target's blocks is undefined. */
  if (usableAddr && strcmp(usableObj, mallocObj) == 0) usableFn = (size_t (*)(void *))usableAddr;
  if (trimAddr && strcmp(trimObj, mallocObj) == 0) trimFn = (int (*)(size_t))trimAddr;
  fixtureMark = (void (*)(int))dlsym(RTLD_DEFAULT, "alloc_check_fixture_mark");
  const char *jobsEnv = getenv("ALLOC_CHECK_NATIVE_JOBS");
  jobs = jobsEnv != NULL ? atoi(jobsEnv) : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (jobs < 1) jobs = 1;
  if (jobs > MAX_JOBS) jobs = MAX_JOBS;
  for (int k = 0; k < jobs; k++) {
    void *page = mmap(NULL, SHM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return 7;
    slots[k].shm = page;
    slots[k].text = (char *)page + 24;
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  say("HELLO ");
  say(mallocObj);
  say(pers != -1 && (pers & ADDR_NO_RANDOMIZE) ? " 1" : " 0");
  say(trimFn ? " 1" : " 0");
  say(usableFn ? " 1\n" : " 0\n");
  while (readRun()) {
    if (!parseRun()) {
      while (inflight > 0) finishOldest();
      say("S BADREQUEST 0\nE \nEND\n");
      continue;
    }
    if (inflight == jobs) finishOldest();
    startRun();
  }
  while (inflight > 0) finishOldest();
  return 0;
}
