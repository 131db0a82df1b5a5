/* The real-time rule on the audio path, checked by counting: after
 * start-up, rendering every piece (SoundFont layers included, with live
 * changes of piece, key and intensity) calls malloc, calloc, realloc, free
 * and pthread_mutex_lock zero times. The counters interpose the C
 * library's functions for the whole process (libfluidsynth and GLib
 * included). Skipped under sanitizers, which interpose malloc themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose/piece.h"
#include "engine/engine.h"
#include "synth/sfont.h"

#if defined(__SANITIZE_ADDRESS__)
#define AU_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AU_SANITIZED 1
#endif
#endif

#ifndef AU_SANITIZED
#include <dlfcn.h>

static volatile int counting;
static volatile long allocs, locks;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *malloc(size_t n)
{
    if (counting) __atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    if (counting) __atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    if (counting) __atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
    return __libc_realloc(p, n);
}
void free(void *p)
{
    if (counting && p) __atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
    __libc_free(p);
}
int pthread_mutex_lock(pthread_mutex_t *m)
{
    static int (*real)(pthread_mutex_t *);
    if (!real) { /* POSIX allows this conversion; ISO C does not */
        void *sym = dlsym(RTLD_NEXT, "pthread_mutex_lock");
        memcpy(&real, &sym, sizeof real);
    }
    if (counting) __atomic_add_fetch(&locks, 1, __ATOMIC_RELAXED);
    return real(m);
}

static void test_render_allocates_nothing(void **st)
{
    (void)st;
    char err[512];
    if (access(AU_SFONT_DEFAULT_PATH, R_OK) != 0) {
        fprintf(stderr, "# skipped: no %s\n", AU_SFONT_DEFAULT_PATH);
        skip();
    }
    assert_int_equal(au_engine_load_soundfont(NULL, err, sizeof err), 0);
    au_engine_thread_init();
    /* the counters see the library's allocations: creating an engine
     * (a FluidSynth synth inside) makes many */
    {
        au_params p = au_piece_params(AU_PIECE_ROOMS);
        au_engine *e;
        allocs = 0;
        counting = 1;
        assert_int_equal(au_engine_create(&e, &p, 48000), 0);
        counting = 0;
        assert_true(allocs > 100);
        au_engine_destroy(e);
    }
    static float buf[2 * 4800];
    for (int pi = 0; pi < AU_PIECE_COUNT; pi++) {
        au_params p = au_piece_params(pi);
        p.seed = 40 + (uint64_t)pi;
        au_engine *e;
        assert_int_equal(au_engine_create(&e, &p, 48000), 0);
        assert_int_equal(au_engine_uses_soundfont(e), 1);
        for (int k = 0; k < 50; k++) au_engine_render(e, buf, 4800); /* 5 s */
        au_param_update u;
        memset(&u, 0, sizeof u);
        allocs = locks = 0;
        counting = 1;
        for (int k = 0; k < 400; k++) { /* 40 s with changes on the way */
            if (k == 100) {
                u.mask = AU_P_INTENSITY | AU_P_KEY;
                u.v.intensity = 0.9;
                u.v.key = (p.key + 5) % 12;
                au_engine_set(e, &u);
            }
            if (k == 250) {
                u.mask = AU_P_PIECE;
                u.v.piece = (pi + 1) % AU_PIECE_COUNT;
                au_engine_set(e, &u);
            }
            au_engine_render(e, buf, 4800);
        }
        counting = 0;
        fprintf(stderr, "# %s: %ld allocations, %ld mutex locks in 40 s\n",
                au_piece_name(pi), allocs, locks);
        assert_int_equal(allocs, 0);
        assert_int_equal(locks, 0);
        au_engine_destroy(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_allocates_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void)
{
    fprintf(stderr, "# skipped under sanitizers (they interpose malloc)\n");
    return 0;
}
#endif
