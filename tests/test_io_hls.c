/* The in-memory HLS muxer: the files it reports (init segment, media
 * segments, the rolling playlist), their MP4 boxes, segment durations
 * within the 2-6 s range, and that nothing is reported after destroy. The
 * server test decodes the real stream with ffmpeg and hls.js. */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/au.h"
#include "io/hls.h"

typedef struct {
    int inits, segments, playlists;
    char last_playlist[4096];
    char names[64][64];
    size_t sizes[64];
    int nnames;
    int bad_box;
} seen;

static void on_file(void *arg, const char *name, const unsigned char *d,
                    size_t n)
{
    seen *s = arg;
    if (!strcmp(name, AU_HLS_PLAYLIST)) {
        s->playlists++;
        size_t k =
            n < sizeof s->last_playlist - 1 ? n : sizeof s->last_playlist - 1;
        memcpy(s->last_playlist, d, k);
        s->last_playlist[k] = '\0';
        return;
    }
    if (s->nnames < 64) {
        snprintf(s->names[s->nnames], sizeof s->names[0], "%s", name);
        s->sizes[s->nnames++] = n;
    }
    /* ISO BMFF: [u32 size]['type'] */
    if (strstr(name, "init.mp4")) {
        s->inits++;
        if (n < 16 || memcmp(d + 4, "ftyp", 4) || !memmem(d, n, "moov", 4))
            s->bad_box++;
    } else {
        s->segments++;
        if (n < 16 || !memmem(d, n, "moof", 4) || !memmem(d, n, "mdat", 4))
            s->bad_box++;
    }
}

static void feed(au_hls_muxer *m, int seconds, int rate)
{
    int frames = rate / 10;
    int16_t *pcm = malloc(sizeof(int16_t) * 2 * (size_t)frames);
    int64_t t = 0;
    for (int c = 0; c < seconds * 10; c++) {
        for (int i = 0; i < frames; i++, t++) {
            double v = 0.3 * sin(2 * M_PI * 440.0 * (double)t / rate);
            pcm[2 * i] = pcm[2 * i + 1] = (int16_t)(v * 32767);
        }
        assert_int_equal(au_hls_muxer_write(m, pcm, frames), 0);
    }
    free(pcm);
}

static void test_segments_and_playlist(void **state)
{
    (void)state;
    seen s;
    memset(&s, 0, sizeof s);
    au_hls_muxer_config c = au_hls_muxer_config_default();
    c.token = "t42";
    c.on_file = on_file;
    c.arg = &s;
    au_hls_muxer *m = NULL;
    char err[200] = "";
    assert_int_equal(au_hls_muxer_create(&m, &c, err, sizeof err), 0);
    feed(m, 30, c.rate);
    assert_int_equal(s.inits, 1);
    assert_int_equal(s.bad_box, 0);
    /* 30 s in 4 s segments: 6 or 7 finished, the last still open */
    assert_in_range(s.segments, 6, 7);
    assert_int_equal(s.playlists, s.segments);
    assert_string_equal(s.names[0], "t42-init.mp4");
    assert_string_equal(s.names[1], "t42-0.m4s");
    const char *p = s.last_playlist;
    assert_non_null(strstr(p, "#EXTM3U"));
    assert_non_null(strstr(p, "#EXT-X-TARGETDURATION:4"));
    assert_non_null(strstr(p, "#EXT-X-MAP:URI=\"t42-init.mp4\""));
    assert_null(strstr(p, "#EXT-X-ENDLIST"));
    /* a rolling window of 6: the first segment left the list */
    assert_null(strstr(p, "t42-0.m4s"));
    int n = 0;
    for (const char *q = strstr(p, "#EXTINF:"); q;
         q = strstr(q + 1, "#EXTINF:")) {
        double d = atof(q + 8);
        assert_true(d >= 2.0 && d <= 6.0);
        n++;
    }
    assert_int_equal(n, 6);
    /* 128 kbit/s for ~4 s: about 64 KB a segment */
    assert_in_range(s.sizes[2], 40000, 90000);
    int before = s.segments + s.playlists;
    au_hls_muxer_destroy(m);
    assert_int_equal(s.segments + s.playlists, before);
}

static void test_44k1_and_bad_config(void **state)
{
    (void)state;
    seen s;
    memset(&s, 0, sizeof s);
    au_hls_muxer_config c = au_hls_muxer_config_default();
    c.rate = 44100;
    c.segment_ms = 2000;
    c.on_file = on_file;
    c.arg = &s;
    au_hls_muxer *m = NULL;
    char err[200] = "";
    assert_int_equal(au_hls_muxer_create(&m, &c, err, sizeof err), 0);
    feed(m, 9, c.rate);
    assert_in_range(s.segments, 3, 4);
    assert_non_null(strstr(s.last_playlist, "#EXT-X-TARGETDURATION:2"));
    au_hls_muxer_destroy(m);

    c.token = "../x";
    assert_int_equal(au_hls_muxer_create(&m, &c, err, sizeof err), AU_EINVAL);
    assert_null(m);
    assert_non_null(strstr(err, "token"));
    c = au_hls_muxer_config_default();
    c.segment_ms = 10000;
    assert_int_equal(au_hls_muxer_create(&m, &c, err, sizeof err), AU_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segments_and_playlist),
        cmocka_unit_test(test_44k1_and_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
