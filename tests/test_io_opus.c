/* Opus packets and Ogg Opus pages: determinism, wire framing, bitrate
 * range, and a round trip through libogg's reader and libopus's decoder. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ogg/ogg.h>
#include <opus/opus.h>

#include "core/au.h"
#include "io/ogg_opus.h"
#include "io/opus_packets.h"

#define SECONDS 2
#define FRAMES (AU_OPUS_RATE * SECONDS)
#define CHUNK 4800

static float *tone(void)
{
    float *x = malloc(sizeof(float) * FRAMES * 2);
    for (int i = 0; i < FRAMES; i++) {
        x[2 * i] = 0.3f * sinf(2.0f * 3.14159265f * 440.0f * (float)i / 48000);
        x[2 * i + 1] =
            0.3f * sinf(2.0f * 3.14159265f * 660.0f * (float)i / 48000);
    }
    return x;
}

static void test_bitrate_range(void **state)
{
    (void)state;
    char err[128];
    assert_int_equal(au_opus_check_bitrate(128000, err, sizeof err), 0);
    assert_int_equal(au_opus_check_bitrate(31999, err, sizeof err), AU_EINVAL);
    assert_non_null(strstr(err, "32000"));
    assert_non_null(strstr(err, "31999"));
    assert_int_equal(au_opus_check_bitrate(256001, err, sizeof err), AU_EINVAL);
    au_opus_enc e;
    au_opus_config c = au_opus_config_default();
    c.bitrate = 1000;
    assert_int_equal(au_opus_enc_init(&e, &c), AU_EINVAL);
}

/* Two encoders fed the same samples, one in chunks and one packet by
 * packet, give the same bytes; the chunk framing is [u16 len][packet]. */
static void test_deterministic_chunks(void **state)
{
    (void)state;
    float *x = tone();
    au_opus_config c = au_opus_config_default();
    au_opus_enc a, b;
    assert_int_equal(au_opus_enc_init(&a, &c), 0);
    assert_int_equal(au_opus_enc_init(&b, &c), 0);
    assert_true(a.preskip > 0 && a.preskip < 1000);
    unsigned char chunk[AU_OPUS_CHUNK_MAX(CHUNK)], pkt[AU_OPUS_MAX_PACKET];
    size_t total = 0;
    for (int k = 0; k < FRAMES / CHUNK; k++) {
        uint16_t lens[5];
        int n = au_opus_enc_chunk(&a, x + (size_t)k * CHUNK * 2, CHUNK, chunk,
                                  sizeof chunk, lens);
        assert_true(n > 0);
        size_t off = 0;
        for (int j = 0; j < 5; j++) {
            int m = au_opus_enc_packet(
                &b, x + ((size_t)k * CHUNK + (size_t)j * AU_OPUS_FRAME) * 2,
                pkt, sizeof pkt);
            unsigned len = chunk[off] | (unsigned)chunk[off + 1] << 8;
            assert_int_equal(len, m);
            assert_int_equal(lens[j], m);
            assert_memory_equal(chunk + off + 2, pkt, (size_t)m);
            off += 2 + len;
        }
        assert_int_equal(off, n);
        total += (size_t)n;
    }
    /* constrained VBR near the target: 128 kbit/s = 16000 B/s */
    double bps = (double)total * 8 / SECONDS;
    assert_true(bps > 100000 && bps < 150000);
    assert_int_equal(au_opus_enc_chunk(&a, x, 1000, chunk, sizeof chunk, NULL),
                     AU_EINVAL);
    assert_int_equal(au_opus_enc_chunk(&a, x, CHUNK, chunk, 100, NULL),
                     AU_EINVAL);
    au_opus_enc_deinit(&a);
    au_opus_enc_deinit(&b);
    free(x);
}

/* Pages written by au_ogg_opus read back with libogg: OpusHead, OpusTags,
 * then the same packets with RFC 7845 granule positions; the decoded audio
 * after the pre-skip matches the input. */
static void test_ogg_round_trip(void **state)
{
    (void)state;
    float *x = tone();
    au_opus_enc e;
    au_opus_config c = au_opus_config_default();
    assert_int_equal(au_opus_enc_init(&e, &c), 0);
    const char *tags[] = {"TITLE=test", NULL};
    au_ogg_opus o;
    assert_int_equal(au_ogg_opus_init(&o, 1234, e.preskip, 48000, tags), 0);
    size_t cap = 1 << 20, len = 0;
    unsigned char *file = malloc(cap);
    size_t hl;
    const unsigned char *h = au_ogg_opus_headers(&o, &hl);
    memcpy(file, h, hl);
    len = hl;
    int npk = FRAMES / AU_OPUS_FRAME;
    unsigned char **pk = calloc((size_t)npk, sizeof *pk);
    int *pl = calloc((size_t)npk, sizeof *pl);
    for (int i = 0; i < npk; i++) {
        pk[i] = malloc(AU_OPUS_MAX_PACKET);
        pl[i] = au_opus_enc_packet(&e, x + (size_t)i * AU_OPUS_FRAME * 2, pk[i],
                                   AU_OPUS_MAX_PACKET);
        assert_true(pl[i] > 0);
        assert_int_equal(au_ogg_opus_add(&o, pk[i], (size_t)pl[i],
                                         AU_OPUS_FRAME, i == npk - 1,
                                         i == npk - 1 ? FRAMES : -1),
                         0);
        if (i % 5 == 4) {
            int n = au_ogg_opus_flush(&o, file + len, cap - len);
            assert_true(n > 0);
            len += (size_t)n;
        }
    }
    assert_int_equal(au_ogg_opus_flush(&o, file + len, 10), 0); /* empty */

    ogg_sync_state oy;
    ogg_stream_state os;
    ogg_sync_init(&oy);
    char *buf = ogg_sync_buffer(&oy, (long)len);
    memcpy(buf, file, len);
    ogg_sync_wrote(&oy, (long)len);
    ogg_page pg;
    ogg_packet op;
    int pages = 0, packets = 0;
    int64_t last_granule = 0;
    int err;
    OpusDecoder *dec = opus_decoder_create(48000, 2, &err);
    float *pcm = malloc(sizeof(float) * (FRAMES + 4000) * 2);
    int decoded = 0;
    while (ogg_sync_pageout(&oy, &pg) == 1) {
        if (pages == 0) {
            assert_true(ogg_page_bos(&pg));
            assert_int_equal(ogg_page_serialno(&pg), 1234);
            ogg_stream_init(&os, 1234);
        }
        pages++;
        assert_int_equal(ogg_stream_pagein(&os, &pg), 0);
        while (ogg_stream_packetout(&os, &op) == 1) {
            if (packets == 0) {
                assert_int_equal(op.bytes, 19);
                assert_memory_equal(op.packet, "OpusHead", 8);
                assert_int_equal(op.packet[9], 2);
                assert_int_equal(op.packet[10] | op.packet[11] << 8, e.preskip);
            } else if (packets == 1) {
                assert_memory_equal(op.packet, "OpusTags", 8);
            } else {
                int i = packets - 2;
                assert_int_equal(op.bytes, pl[i]);
                assert_memory_equal(op.packet, pk[i], (size_t)pl[i]);
                int n = opus_decode_float(dec, op.packet, (int)op.bytes,
                                          pcm + (size_t)decoded * 2, 960, 0);
                assert_int_equal(n, 960);
                decoded += n;
                if (op.granulepos >= 0) last_granule = op.granulepos;
            }
            packets++;
        }
    }
    assert_int_equal(packets, npk + 2);
    assert_int_equal(pages, 2 + npk / 5);
    assert_int_equal(last_granule, FRAMES); /* trimmed end */
    /* after the pre-skip the decoded tone lines up with the input */
    double num = 0, da = 0, db = 0;
    for (int i = 4800; i < FRAMES - 4800; i++) {
        double a = x[2 * i], b = pcm[2 * (i + e.preskip)];
        num += a * b;
        da += a * a;
        db += b * b;
    }
    assert_true(num / sqrt(da * db) > 0.99);

    opus_decoder_destroy(dec);
    ogg_stream_clear(&os);
    ogg_sync_clear(&oy);
    for (int i = 0; i < npk; i++)
        free(pk[i]);
    free(pk);
    free(pl);
    free(pcm);
    free(file);
    au_ogg_opus_deinit(&o);
    au_opus_enc_deinit(&e);
    free(x);
}

/* A station's data pages carried into another logical stream (Icecast
 * chaining): restamped pages pass libogg's CRC check with the new serial
 * and sequence numbers and carry the very same packets and granules; the
 * end-of-stream page closes a stream; bad input is refused. */
static void test_ogg_restamp(void **state)
{
    (void)state;
    const char *tags[] = {"TITLE=a", NULL};
    au_ogg_opus o;
    assert_int_equal(au_ogg_opus_init(&o, 77, 312, 48000, tags), 0);
    unsigned char pk[3][40], pages[4096], orig[4096];
    for (int i = 0; i < 3; i++)
        memset(pk[i], 0x10 + i, sizeof pk[i]);
    size_t len = 0;
    for (int k = 0; k < 2; k++) { /* two pages of three packets */
        for (int i = 0; i < 3; i++)
            assert_int_equal(au_ogg_opus_add(&o, pk[i], sizeof pk[i], 960,
                                             false, -1),
                             0);
        int n = au_ogg_opus_flush(&o, pages + len, sizeof pages - len);
        assert_true(n > 0);
        len += (size_t)n;
    }
    memcpy(orig, pages, len);
    uint32_t serial, seq;
    int64_t g;
    assert_int_equal(au_ogg_pages_last(pages, len, &serial, &seq, &g), 0);
    assert_int_equal(serial, 77);
    assert_int_equal(seq, 3); /* after the two header pages */
    assert_int_equal(g, 6 * 960);

    seq = 2;
    assert_int_equal(au_ogg_pages_restamp(pages, len, 4242, &seq), 2);
    assert_int_equal(seq, 4);
    unsigned char eos[40];
    assert_int_equal(au_ogg_opus_eos_page(eos, sizeof eos, 4242, seq, 6 * 960),
                     29);
    assert_int_equal(au_ogg_opus_eos_page(eos, 28, 4242, seq, 0), AU_EFULL);

    ogg_sync_state oy;
    ogg_stream_state os;
    ogg_sync_init(&oy);
    ogg_stream_init(&os, 4242);
    char *buf = ogg_sync_buffer(&oy, (long)(len + 29));
    memcpy(buf, pages, len);
    memcpy(buf + len, eos, 29);
    ogg_sync_wrote(&oy, (long)(len + 29));
    ogg_page pg;
    ogg_packet op;
    int np = 0, npk = 0;
    os.pageno = 2; /* the data pages follow two header pages */
    while (ogg_sync_pageout(&oy, &pg) == 1) { /* 1: the CRC matched */
        assert_int_equal(ogg_page_serialno(&pg), 4242);
        assert_int_equal(ogg_page_pageno(&pg), 2 + np);
        assert_int_equal(ogg_page_eos(&pg) != 0, np == 2);
        assert_int_equal(ogg_stream_pagein(&os, &pg), 0);
        while (ogg_stream_packetout(&os, &op) == 1) {
            if (npk < 6) {
                assert_int_equal(op.bytes, 40);
                assert_memory_equal(op.packet, pk[npk % 3], 40);
            } else {
                assert_int_equal(op.bytes, 1);
                assert_int_equal(op.packet[0], 0xfc);
                assert_true(op.e_o_s);
            }
            npk++;
        }
        np++;
    }
    assert_int_equal(np, 3);
    assert_int_equal(npk, 7);
    /* only the serial, sequence and CRC fields changed */
    for (size_t i = 0; i < len; i++)
        if (memcmp(orig + i, "OggS", 4) == 0) {
            assert_memory_equal(orig + i, pages + i, 14);
            assert_memory_equal(orig + i + 26, pages + i + 26, 1);
        }
    assert_memory_equal(orig + 27, pages + 27, 40);

    /* not whole pages: refused, nothing counted */
    seq = 0;
    assert_int_equal(au_ogg_pages_restamp(pages, len - 1, 1, &seq), AU_EINVAL);
    assert_int_equal(au_ogg_pages_last(pages, 10, &serial, &seq, &g),
                     AU_EINVAL);
    pages[0] = 'X';
    assert_int_equal(au_ogg_pages_last(pages, len, &serial, &seq, &g),
                     AU_EINVAL);
    ogg_stream_clear(&os);
    ogg_sync_clear(&oy);
    au_ogg_opus_deinit(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitrate_range),
        cmocka_unit_test(test_deterministic_chunks),
        cmocka_unit_test(test_ogg_round_trip),
        cmocka_unit_test(test_ogg_restamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
