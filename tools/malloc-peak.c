/*
 * Peak live heap of a process, for engines that cannot report their own (synfire embedded
 * runs Debian's duk under it): LD_PRELOAD this library; it wraps malloc, calloc, realloc and
 * free, adds up malloc_usable_size of the live blocks, and writes the largest sum seen to
 * stderr at exit as "SYNFIRE_MALLOC_PEAK <bytes> <live bytes at exit>". The process must be
 * single-threaded (duk is). tools/engine-host.ts compiles it with the system C compiler.
 *
 * With SYNFIRE_MALLOC_LIMIT=<bytes> in the environment it also acts as a fixed heap of that
 * size, as a device's allocator is: an allocation that would take the live sum above the
 * limit fails (returns NULL) and is counted (malloc and calloc by the usable size of the block,
 * which the allocator may round above the request; realloc by the bytes it asks for). Duktape answers a failed allocation with an
 * emergency garbage collection and a retry, as it does on a device, so the peak is then what
 * the program needs with the garbage collected when memory runs out (not when Duktape's
 * voluntary collection would get to it). The report then adds the number of refusals.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static size_t live, peak, limit, refused;
static int limit_read;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

/* dlsym itself may calloc before real_calloc is known: serve that from a static pool */
static char pool[65536];
static size_t pool_used;
static int in_pool(void *p) { return (char *)p >= pool && (char *)p < pool + sizeof pool; }

/* would n more bytes pass the limit? (counted as a refusal) */
static int over(size_t n) {
  if (!limit_read) {
    const char *e = getenv("SYNFIRE_MALLOC_LIMIT");
    limit = e ? (size_t)strtoull(e, NULL, 10) : 0;
    limit_read = 1;
  }
  if (limit && live + n > limit) {
    refused++;
    return 1;
  }
  return 0;
}

static void resolve(void) {
  real_malloc = dlsym(RTLD_NEXT, "malloc");
  real_free = dlsym(RTLD_NEXT, "free");
  real_realloc = dlsym(RTLD_NEXT, "realloc");
  real_calloc = dlsym(RTLD_NEXT, "calloc");
}

/* a block allocated where the counter did not see it (inside the C library) may be freed
   here: never let the sum go below zero */
static void uncounted(size_t n) { live = n > live ? 0 : live - n; }

static void counted(void *p) {
  if (!p) return;
  live += malloc_usable_size(p);
  if (live > peak) peak = live;
}

/* a new block, counted; refused (freed, NULL) when its usable size, which may exceed the
   request by the allocator's rounding, would take the sum past the limit */
static void *admitted(void *p) {
  if (p && limit && live + malloc_usable_size(p) > limit) {
    real_free(p);
    refused++;
    return NULL;
  }
  counted(p);
  return p;
}

void *malloc(size_t n) {
  if (!real_malloc) resolve();
  if (over(n)) return NULL;
  return admitted(real_malloc(n));
}

void *calloc(size_t a, size_t b) {
  if (!real_calloc) {
    void *p = pool + pool_used;
    pool_used += (a * b + 15) & ~(size_t)15;
    return p;
  }
  if (over(a * b)) return NULL;
  return admitted(real_calloc(a, b));
}

void free(void *p) {
  if (!p || in_pool(p)) return;
  if (!real_free) resolve();
  uncounted(malloc_usable_size(p));
  real_free(p);
}

void *realloc(void *p, size_t n) {
  if (!real_realloc) resolve();
  if (p && in_pool(p)) return NULL;
  size_t before = p ? malloc_usable_size(p) : 0;
  if (n > before && over(n - before)) return NULL;
  void *q = real_realloc(p, n);
  if (q || n == 0) {
    uncounted(before);
    counted(q);
  }
  return q;
}

__attribute__((destructor)) static void report(void) {
  if (limit) fprintf(stderr, "SYNFIRE_MALLOC_PEAK %zu %zu %zu\n", peak, live, refused);
  else fprintf(stderr, "SYNFIRE_MALLOC_PEAK %zu %zu\n", peak, live);
}
