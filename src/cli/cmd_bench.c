/* auralis bench: synthesis speed and memory, printed as figures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "compose/composer.h"
#include "compose/piece.h"
#include "core/pieces.h"
#include "synth/sfont.h"
#include "engine/engine.h"

static const char usage[] =
    "usage: auralis bench [--seconds S] [--rate R] [--soundfont PATH] [--json]\n"
    "\n"
    "Renders on one thread, in 100 ms chunks, and prints for each case the\n"
    "real-time factor (audio seconds per CPU second), the render time of a\n"
    "chunk at p50, p99 and max, active voices and memory per engine:\n"
    "  default     the default mix (intensity 0.5)\n"
    "  worst       intensity 1, every layer on\n"
    "  tails       every layer switched off: release and reverb tails fading\n"
    "              to near-silence (must be no slower than normal material)\n"
    "then every piece at its own defaults (seed 1), with the process memory\n"
    "each engine of that piece adds (RSS over 4 engines side by side), the\n"
    "SoundFont's load time and the memory it holds once for every engine,\n"
    "and the time to compose 8 hours of events.\n"
    "\n"
    "  --seconds S   audio per case (default 120)\n"
    "  --rate R      48000 (default) or 44100\n"
    "  --soundfont PATH  SoundFont for the pieces (default\n"
    "                " AU_SFONT_DEFAULT_PATH ")\n"
    "  --json        one JSON object instead of text\n";

typedef struct {
    const char *name;
    double rtf, p50_ms, p99_ms, max_ms, audio_s, cpu_s;
    double voices_mean;
    int voices_max;
    size_t memory;
    size_t rss_per_engine; /* pieces: process memory one more engine adds */
    int soundfont;         /* pieces: engine plays SoundFont layers */
} bench_result;

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long a = 0, b = 0;
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &a, &b) != 2) b = 0;
    fclose(f);
    return (size_t)b * 4096u;
}

/* What one more engine of each piece costs the process: 4 engines per piece
 * created and played for 10 s, RSS growth / 4, every engine kept until all
 * pieces are measured (so no piece reuses memory another freed). The
 * shared wavetables and SoundFont are resident before and not counted. */
static void rss_per_engine(bench_result *pr, int rate)
{
    enum { N = 4 };
    static au_engine *e[AU_PIECE_COUNT][N];
    float *buf = malloc(sizeof(float) * 2 * (size_t)(rate / 10));
    if (!buf) return;
    /* one engine first, so one-time heap set-up is not billed to a piece */
    au_params warm = au_params_default();
    au_engine *w = NULL;
    if (au_engine_create(&w, &warm, rate) == 0)
        for (int k = 0; k < 10; k++) au_engine_render(w, buf, rate / 10);
    for (int pi = 0; pi < AU_PIECE_COUNT; pi++) {
        size_t r0 = rss_bytes();
        for (int i = 0; i < N; i++) {
            au_params q = au_piece_params(pi);
            q.seed = 1 + (uint64_t)i;
            if (au_engine_create(&e[pi][i], &q, rate)) break;
            for (int k = 0; k < 100; k++) au_engine_render(e[pi][i], buf, rate / 10);
        }
        size_t r1 = rss_bytes();
        pr[pi].soundfont = e[pi][0] ? au_engine_uses_soundfont(e[pi][0]) : 0;
        pr[pi].rss_per_engine = r1 > r0 ? (r1 - r0) / N : 0;
    }
    for (int pi = 0; pi < AU_PIECE_COUNT; pi++)
        for (int i = 0; i < N; i++) au_engine_destroy(e[pi][i]);
    au_engine_destroy(w);
    free(buf);
}

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
    int r = au_cli_parse(argc, argv,
                         AU_OPT_LENGTH | AU_OPT_RATE | AU_OPT_JSON | AU_OPT_SOUNDFONT,
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
    /* pieces: memory first (before the timing runs have grown the heap) */
    o.quiet = o.json; /* the note about a missing SoundFont, in text mode */
    if ((r = au_cli_load_soundfont(&o, true))) return r;
    bench_result pr[AU_PIECE_COUNT];
    memset(pr, 0, sizeof pr);
    rss_per_engine(pr, o.rate);
    for (int i = 0; i < AU_PIECE_COUNT; i++) {
        au_params pp = au_piece_params(i);
        pp.seed = 1;
        size_t keep = pr[i].rss_per_engine;
        int sf = pr[i].soundfont;
        if (run_case(&pr[i], au_piece_name(i), &pp, o.rate, seconds, 5, 0)) {
            fprintf(stderr, "auralis: cannot create an engine\n");
            return 1;
        }
        pr[i].rss_per_engine = keep;
        pr[i].soundfont = sf;
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
        printf("],\"pieces\":[");
        for (int i = 0; i < AU_PIECE_COUNT; i++)
            printf("%s{\"name\":\"%s\",\"soundfont\":%s,\"audio_s\":%.1f,"
                   "\"cpu_s\":%.4f,\"realtime_factor\":%.1f,"
                   "\"chunk_p50_ms\":%.4f,\"chunk_p99_ms\":%.4f,"
                   "\"chunk_max_ms\":%.4f,\"voices_mean\":%.1f,"
                   "\"voices_max\":%d,\"engine_bytes\":%zu,"
                   "\"rss_per_engine_bytes\":%zu}",
                   i ? "," : "", pr[i].name, pr[i].soundfont ? "true" : "false",
                   pr[i].audio_s, pr[i].cpu_s, pr[i].rtf, pr[i].p50_ms,
                   pr[i].p99_ms, pr[i].max_ms, pr[i].voices_mean,
                   pr[i].voices_max, pr[i].memory, pr[i].rss_per_engine);
        printf("],\"soundfont\":");
        if (au_sfont_loaded())
            printf("{\"path\":\"%s\",\"load_ms\":%.1f,\"shared_bytes\":%zu}",
                   au_sfont_path(), au_sfont_load_ms(), au_sfont_resident());
        else
            printf("null");
        printf(",\"compose_8h_s\":%.4f,\"compose_8h_events\":%ld}\n", compose_s, events);
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
    printf("\n%-8s %9s %10s %10s %10s %8s %14s\n", "piece", "soundfont",
           "x realtime", "p50 ms", "p99 ms", "voices", "memory/engine");
    for (int i = 0; i < AU_PIECE_COUNT; i++)
        printf("%-8s %9s %10.0f %10.3f %10.3f %4.1f/%-3d %10.2f MiB\n",
               pr[i].name, pr[i].soundfont ? "yes" : "no", pr[i].rtf,
               pr[i].p50_ms, pr[i].p99_ms, pr[i].voices_mean, pr[i].voices_max,
               pr[i].rss_per_engine / 1048576.0);
    if (au_sfont_loaded())
        printf("soundfont %s: loaded in %.0f ms, %.1f MiB held once for all "
               "engines\n",
               au_sfont_path(), au_sfont_load_ms(),
               au_sfont_resident() / 1048576.0);
    else
        printf("soundfont: none (pieces play on Auralis's own instruments)\n");
    return 0;
}
