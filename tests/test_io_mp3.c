/* The MP3 stream encoder: argument checks, CBR output of whole frames that
 * start with an MPEG-1 Layer III sync word at the asked bitrate. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/au.h"
#include "io/mp3_stream.h"

static void mp3_frames(void **state)
{
    (void)state;
    au_mp3 *m;
    assert_int_equal(au_mp3_create(&m, 22050, 128), AU_EINVAL);
    assert_int_equal(au_mp3_create(&m, 48000, 1000), AU_EINVAL);
    assert_int_equal(au_mp3_create(&m, 48000, 128), 0);
    float x[4800 * 2];
    unsigned char *out = malloc(AU_MP3_CHUNK_MAX(4800));
    assert_int_equal(au_mp3_encode(m, x, 4800, out, 100), AU_EFULL);
    size_t total = 0;
    int first = -1;
    for (int k = 0; k < 20; k++) { /* 2 s */
        for (int i = 0; i < 4800; i++)
            x[2 * i] = x[2 * i + 1] =
                0.3f *
                sinf(2 * 3.14159265f * 440 * (float)(k * 4800 + i) / 48000.0f);
        int n = au_mp3_encode(m, x, 4800, out, AU_MP3_CHUNK_MAX(4800));
        assert_true(n >= 0);
        if (n > 0 && first < 0) {
            first = k;
            /* frame sync, MPEG-1 (11), Layer III (01) */
            assert_int_equal(out[0], 0xff);
            assert_int_equal(out[1] & 0xfe, 0xfa);
            /* bitrate index 9 = 128 kbit/s, sampling index 1 = 48 kHz */
            assert_int_equal(out[2] >> 4, 9);
            assert_int_equal((out[2] >> 2) & 3, 1);
        }
        total += (size_t)n;
    }
    assert_true(first >= 0 && first < 3);
    /* CBR 128 kbit/s = 16000 B/s; LAME holds back under a frame or two */
    assert_true(total > 28000 && total <= 32000);
    au_mp3_destroy(m);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(mp3_frames)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
