#include "server/admission.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/au.h"
#include "engine/engine.h"

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int au_admission_measure(int workers, int rate, double *x_realtime)
{
    *x_realtime = 0;
    au_params p = au_params_default();
    p.seed = 1;
    p.intensity = 1.0; /* the busiest settings (as `auralis bench` worst) */
    p.bpm = 96;
    au_engine *e = NULL;
    if (au_engine_create(&e, &p, rate)) return 0;
    au_engine_thread_init();
    int chunk = rate / 10;
    float *buf = malloc(sizeof(float) * 2 * (size_t)chunk);
    if (!buf) {
        au_engine_destroy(e);
        return 0;
    }
    for (int i = 0; i < 20; i++) /* past the opening, where few voices play */
        au_engine_render(e, buf, chunk);
    double t0 = thread_cpu_s();
    int chunks = 20; /* 2 s of audio */
    for (int i = 0; i < chunks; i++)
        au_engine_render(e, buf, chunk);
    double cpu = thread_cpu_s() - t0;
    free(buf);
    au_engine_destroy(e);
    if (cpu <= 0) cpu = 1e-6;
    *x_realtime = (double)chunks * 0.1 / cpu;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int usable = workers;
    if (cores > 0 && usable > cores) usable = (int)cores;
    double n = *x_realtime * usable * AU_ADMISSION_HEADROOM;
    return n < 1 ? 1 : n > 100000 ? 100000 : (int)n;
}

int au_admission_init(au_admission *a, int max_streams, int per_address,
                      int max_entries)
{
    a->max_streams = max_streams;
    a->per_address = per_address;
    a->live = 0;
    return au_addrcount_init(&a->by_addr, max_entries);
}

void au_admission_deinit(au_admission *a)
{
    au_addrcount_deinit(&a->by_addr);
}

au_admit au_admission_check(const au_admission *a, uint32_t addr)
{
    if (a->live >= a->max_streams) return AU_ADMIT_CAPACITY;
    if (a->per_address > 0 &&
        au_addrcount_get(&a->by_addr, addr) >= a->per_address)
        return AU_ADMIT_PER_ADDRESS;
    return AU_ADMIT_OK;
}

void au_admission_created(au_admission *a, uint32_t addr)
{
    a->live++;
    au_addrcount_add(&a->by_addr, addr, 1);
}

void au_admission_freed(au_admission *a, uint32_t addr)
{
    if (a->live > 0) a->live--;
    au_addrcount_add(&a->by_addr, addr, -1);
}
