/* Encode cost per stream: CPU time to encode 100 ms chunks of real engine
 * output as Opus (the WebSocket codec-1 packets and Ogg page of a station)
 * and as MP3 (HTTP .mp3), on one thread, as % of one core for one stream
 * in real time. Run: build/codec_bench [seconds=60] [opus_bitrate=128000] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/engine.h"
#include "io/mp3_stream.h"
#include "io/ogg_opus.h"
#include "io/opus_packets.h"

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 60;
    int bitrate = argc > 2 ? atoi(argv[2]) : AU_OPUS_BITRATE_STREAM;
    int chunks = seconds * 10;
    au_params p = au_params_default();
    p.seed = 42;
    au_engine *e;
    if (au_engine_create(&e, &p, 48000)) return 1;
    au_engine_thread_init();
    float *x = malloc(sizeof(float) * 4800 * 2 * (size_t)chunks);
    double t0 = cpu_s();
    for (int k = 0; k < chunks; k++)
        au_engine_render(e, x + (size_t)k * 9600, 4800);
    double render = cpu_s() - t0;

    au_opus_enc enc;
    au_opus_config oc = au_opus_config_default();
    oc.bitrate = bitrate;
    au_ogg_opus ogg;
    if (au_opus_enc_init(&enc, &oc) ||
        au_ogg_opus_init(&ogg, 1, enc.preskip, 48000, NULL))
        return 1;
    unsigned char buf[AU_OPUS_CHUNK_MAX(4800)], page[16384];
    uint16_t lens[5];
    size_t bytes = 0;
    t0 = cpu_s();
    for (int k = 0; k < chunks; k++) {
        int n = au_opus_enc_chunk(&enc, x + (size_t)k * 9600, 4800, buf,
                                  sizeof buf, lens);
        size_t off = 0;
        for (int j = 0; j < 5; j++) {
            au_ogg_opus_add(&ogg, buf + off + 2, lens[j], 960, false, -1);
            off += 2 + lens[j];
        }
        au_ogg_opus_flush(&ogg, page, sizeof page);
        bytes += (size_t)n;
    }
    double opus = cpu_s() - t0;

    au_mp3 *m;
    if (au_mp3_create(&m, 48000, AU_MP3_KBPS_DEFAULT)) return 1;
    unsigned char *mb = malloc(AU_MP3_CHUNK_MAX(4800));
    size_t mbytes = 0;
    t0 = cpu_s();
    for (int k = 0; k < chunks; k++) {
        int n = au_mp3_encode(m, x + (size_t)k * 9600, 4800, mb,
                              AU_MP3_CHUNK_MAX(4800));
        if (n > 0) mbytes += (size_t)n;
    }
    double mp3 = cpu_s() - t0;

    printf("%d s of audio (seed 42, default parameters), one thread:\n",
           seconds);
    printf("  render            %6.2f%% of one core per stream\n",
           100 * render / seconds);
    printf("  Opus %3d kbit/s   %6.2f%% (packets + Ogg page, %.0f B/s "
           "payload, %.0f us per 100 ms chunk)\n",
           bitrate / 1000, 100 * opus / seconds, (double)bytes / seconds,
           1e6 * opus / chunks);
    printf("  MP3 %3d kbit/s    %6.2f%% (LAME q5 CBR, %.0f B/s, %.0f us per "
           "chunk)\n",
           AU_MP3_KBPS_DEFAULT, 100 * mp3 / seconds, (double)mbytes / seconds,
           1e6 * mp3 / chunks);
    au_mp3_destroy(m);
    au_ogg_opus_deinit(&ogg);
    au_opus_enc_deinit(&enc);
    au_engine_destroy(e);
    free(x);
    free(mb);
    return 0;
}
