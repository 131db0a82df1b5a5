/* auralis bench: synthesis speed and memory, printed as figures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "compose/composer.h"
#include "engine/engine.h"

static const char usage[] =
    "usage: auralis bench [--seconds S] [--rate R] [--json]\n"
    "\n"
    "Renders on one thread, in 100 ms chunks, and prints for each case the\n"
    "real-time factor (audio seconds per CPU second), the render time of a\n"
    "chunk at p50, p99 and max, active voices and memory per engine:\n"
    "  default     the default mix (intensity 0.5)\n"
    "  worst       intensity 1, every layer on\n"
    "  tails       every layer switched off: release and reverb tails fading\n"
    "              to near-silence (must be no slower than normal material)\n"
    "and the time to compose 8 hours of events.\n"
    "\n"
    "  --seconds S   audio per case (default 120)\n"
    "  --rate R      48000 (default) or 44100\n"
    "  --json        one JSON object instead of text\n";

typedef struct {
    const char *name;
    double rtf, p50_ms, p99_ms, max_ms, audio_s, cpu_s;
    double voices_mean;
    int voices_max;
    size_t memory;
} bench_result;

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *sorted, int n, double p)
{
    if (n == 0) return 0;
    int i = (int)ceil(p / 100.0 * n) - 1;
    if (i < 0) i = 0;
    if (i >= n) i = n - 1;
    return sorted[i];
}

/* warm_s of audio are rendered first (not measured); with tails, every
 * layer is then switched off so the measured part is the fading tail. */
static int run_case(bench_result *r, const char *name, const au_params *p,
                    int rate, double seconds, double warm_s, int tails)
{
    au_engine *e = NULL;
    if (au_engine_create(&e, p, rate)) return -1;
    int chunk = rate / 10;
    float *buf = malloc(sizeof(float) * 2 * (size_t)chunk);
    int nchunks = (int)(seconds * 10);
    double *ms = malloc(sizeof(double) * (size_t)(nchunks > 0 ? nchunks : 1));
    if (!buf || !ms) {
        free(buf);
        free(ms);
        au_engine_destroy(e);
        return -1;
    }
    for (int i = 0; i < (int)(warm_s * 10); i++) au_engine_render(e, buf, chunk);
    if (tails) {
        au_param_update u;
        memset(&u, 0, sizeof u);
        for (int l = 0; l < AU_LAYER_COUNT; l++) {
            u.mask |= AU_P_LAYER(l);
            u.v.layers[l] = false;
        }
        au_engine_set(e, &u);
    }
    double voices = 0;
    int vmax = 0;
    double c0 = cpu_now();
    for (int i = 0; i < nchunks; i++) {
        double t = cpu_now();
        au_engine_render(e, buf, chunk);
        ms[i] = (cpu_now() - t) * 1000.0;
        int v = au_engine_active_voices(e);
        voices += v;
        if (v > vmax) vmax = v;
    }
    double cpu = cpu_now() - c0;
    qsort(ms, (size_t)nchunks, sizeof *ms, cmp_double);
    r->name = name;
    r->audio_s = nchunks / 10.0;
    r->cpu_s = cpu;
    r->rtf = cpu > 0 ? r->audio_s / cpu : 0;
    r->p50_ms = pct(ms, nchunks, 50);
    r->p99_ms = pct(ms, nchunks, 99);
    r->max_ms = nchunks ? ms[nchunks - 1] : 0;
    r->voices_mean = nchunks ? voices / nchunks : 0;
    r->voices_max = vmax;
    r->memory = au_engine_memory(e);
    free(buf);
    free(ms);
    au_engine_destroy(e);
    return 0;
}

/* Seconds to compose 8 hours of events, and how many there were. */
static double compose_8h(const au_params *p, int rate, long *events)
{
    static au_composer c;
    double t0 = cpu_now();
    au_composer_init(&c, p, rate);
    au_event ev;
    long n = 0;
    int64_t end = (int64_t)8 * 3600 * rate;
    for (int64_t until = rate; until <= end; until += rate)
        while (au_composer_next(&c, until, &ev)) n++;
    *events = n;
    return cpu_now() - t0;
}

int au_cmd_bench(int argc, char **argv)
{
    static au_cli_options o;
    int r = au_cli_parse(argc, argv, AU_OPT_LENGTH | AU_OPT_RATE | AU_OPT_JSON,
                         &o, usage);
    if (r == 1) return 0;
    if (r) return r;
    if (o.minutes > 0 || o.bars > 0) {
        fprintf(stderr, "auralis: bench takes --seconds only\n");
        return 2;
    }
    double seconds = o.seconds > 0 ? o.seconds : 120;
    au_engine_thread_init();

    au_params def = au_params_default();
    def.seed = 1;
    def.intensity = 0.5;
    au_params worst = def;
    worst.intensity = 1.0;
    worst.bpm = 96;

    bench_result res[3];
    if (run_case(&res[0], "default", &def, o.rate, seconds, 5, 0) ||
        run_case(&res[1], "worst", &worst, o.rate, seconds, 5, 0) ||
        run_case(&res[2], "tails", &def, o.rate, seconds < 30 ? seconds : 30, 30, 1)) {
        fprintf(stderr, "auralis: cannot create an engine\n");
        return 1;
    }
    long events = 0;
    double compose_s = compose_8h(&def, o.rate, &events);

    if (o.json) {
        printf("{\"rate\":%d,\"chunk_ms\":100,\"cases\":[", o.rate);
        for (int i = 0; i < 3; i++)
            printf("%s{\"name\":\"%s\",\"audio_s\":%.1f,\"cpu_s\":%.4f,"
                   "\"realtime_factor\":%.1f,\"chunk_p50_ms\":%.4f,"
                   "\"chunk_p99_ms\":%.4f,\"chunk_max_ms\":%.4f,"
                   "\"voices_mean\":%.1f,\"voices_max\":%d,\"memory_bytes\":%zu}",
                   i ? "," : "", res[i].name, res[i].audio_s, res[i].cpu_s,
                   res[i].rtf, res[i].p50_ms, res[i].p99_ms, res[i].max_ms,
                   res[i].voices_mean, res[i].voices_max, res[i].memory);
        printf("],\"compose_8h_s\":%.4f,\"compose_8h_events\":%ld}\n", compose_s, events);
        return 0;
    }
    printf("auralis bench: one thread, %d Hz, 100 ms chunks (%d frames)\n\n", o.rate,
           o.rate / 10);
    printf("%-8s %8s %10s %10s %10s %10s %8s %10s\n", "case", "audio s",
           "x realtime", "p50 ms", "p99 ms", "max ms", "voices", "memory");
    for (int i = 0; i < 3; i++)
        printf("%-8s %8.1f %10.0f %10.3f %10.3f %10.3f %4.1f/%-3d %7.2f MiB\n",
               res[i].name, res[i].audio_s, res[i].rtf, res[i].p50_ms,
               res[i].p99_ms, res[i].max_ms, res[i].voices_mean,
               res[i].voices_max, res[i].memory / 1048576.0);
    printf("\ntails/default chunk time (p50): %.2f\n",
           res[0].p50_ms > 0 ? res[2].p50_ms / res[0].p50_ms : 0);
    printf("compose 8 hours: %.3f s CPU (%ld events)\n", compose_s, events);
    return 0;
}
