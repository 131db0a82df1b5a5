#include "io/ogg_opus.h"

#include <stdlib.h>
#include <string.h>

#include "core/au.h"

#define VENDOR "auralis " AU_VERSION

static void le16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
}

static void le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)((v >> (8 * i)) & 0xff);
}

/* Appends every page libogg has ready (flush) to a growing buffer. Only at
 * init, so the allocation is fine. */
static int take_pages(ogg_stream_state *os, unsigned char **buf, size_t *len)
{
    ogg_page pg;
    while (ogg_stream_flush(os, &pg)) {
        size_t n = (size_t)pg.header_len + (size_t)pg.body_len;
        unsigned char *b = realloc(*buf, *len + n);
        if (!b) return AU_ENOMEM;
        memcpy(b + *len, pg.header, (size_t)pg.header_len);
        memcpy(b + *len + pg.header_len, pg.body, (size_t)pg.body_len);
        *buf = b;
        *len += n;
    }
    return 0;
}

int au_ogg_opus_init(au_ogg_opus *o, uint32_t serial, int preskip,
                     int input_rate, const char *const *tags)
{
    memset(o, 0, sizeof *o);
    if (preskip < 0 || preskip > 65535) return AU_EINVAL;
    if (ogg_stream_init(&o->os, (int)serial)) return AU_ENOMEM;

    /* OpusHead: version 1, stereo, pre-skip, input rate, 0 dB, family 0 */
    unsigned char head[19];
    memcpy(head, "OpusHead", 8);
    head[8] = 1;
    head[9] = 2;
    le16(head + 10, (unsigned)preskip);
    le32(head + 12, (uint32_t)input_rate);
    le16(head + 16, 0);
    head[18] = 0;

    size_t tlen = 8 + 4 + strlen(VENDOR) + 4;
    uint32_t ntags = 0;
    for (const char *const *t = tags; t && *t; t++, ntags++)
        tlen += 4 + strlen(*t);
    if (tlen > 60 * 1024) {
        ogg_stream_clear(&o->os);
        return AU_EINVAL;
    }
    unsigned char *tb = malloc(tlen);
    if (!tb) {
        ogg_stream_clear(&o->os);
        return AU_ENOMEM;
    }
    size_t off = 0;
    memcpy(tb, "OpusTags", 8);
    off = 8;
    le32(tb + off, (uint32_t)strlen(VENDOR));
    memcpy(tb + off + 4, VENDOR, strlen(VENDOR));
    off += 4 + strlen(VENDOR);
    le32(tb + off, ntags);
    off += 4;
    for (const char *const *t = tags; t && *t; t++) {
        size_t n = strlen(*t);
        le32(tb + off, (uint32_t)n);
        memcpy(tb + off + 4, *t, n);
        off += 4 + n;
    }

    /* each header packet ends its own page (RFC 7845 section 3) */
    ogg_packet op = {head, sizeof head, 1, 0, 0, 0};
    int r = ogg_stream_packetin(&o->os, &op) ? AU_ENOMEM : 0;
    if (!r) r = take_pages(&o->os, &o->head, &o->head_len);
    ogg_packet ot = {tb, (long)tlen, 0, 0, 0, 1};
    if (!r) r = ogg_stream_packetin(&o->os, &ot) ? AU_ENOMEM : 0;
    if (!r) r = take_pages(&o->os, &o->head, &o->head_len);
    free(tb);
    if (r) {
        au_ogg_opus_deinit(o);
        return r;
    }
    o->packetno = 2;
    return 0;
}

void au_ogg_opus_deinit(au_ogg_opus *o)
{
    ogg_stream_clear(&o->os);
    free(o->head);
    o->head = NULL;
    o->head_len = 0;
}

const unsigned char *au_ogg_opus_headers(const au_ogg_opus *o, size_t *len)
{
    *len = o->head_len;
    return o->head;
}

int au_ogg_opus_add(au_ogg_opus *o, const unsigned char *packet, size_t len,
                    int frames, bool eos, int64_t end_granule)
{
    if (!packet || len == 0 || len > 65535 || frames <= 0) return AU_EINVAL;
    o->granule += frames;
    int64_t g = o->granule;
    if (eos && end_granule >= 0 && end_granule < g) g = end_granule;
    ogg_packet op;
    op.packet = (unsigned char *)packet;
    op.bytes = (long)len;
    op.b_o_s = 0;
    op.e_o_s = eos ? 1 : 0;
    op.granulepos = g;
    op.packetno = o->packetno++;
    return ogg_stream_packetin(&o->os, &op) ? AU_EINVAL : 0;
}

int au_ogg_opus_flush(au_ogg_opus *o, unsigned char *out, size_t cap)
{
    size_t off = 0;
    bool full = false;
    ogg_page pg;
    while (ogg_stream_flush(&o->os, &pg)) {
        size_t n = (size_t)pg.header_len + (size_t)pg.body_len;
        if (full || off + n > cap) {
            full = true;
            continue;
        }
        memcpy(out + off, pg.header, (size_t)pg.header_len);
        memcpy(out + off + pg.header_len, pg.body, (size_t)pg.body_len);
        off += n;
    }
    return full ? AU_EFULL : (int)off;
}

/* ------------------------------------------------ pages already built */

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Length of the whole page at p (header, lacing, body) within n bytes, or
 * 0 if p does not start a complete page. */
static size_t page_len(const unsigned char *p, size_t n)
{
    if (n < 27 || memcmp(p, "OggS", 4) || p[4] != 0) return 0;
    size_t segs = p[26], hl = 27 + segs;
    if (n < hl) return 0;
    size_t body = 0;
    for (size_t i = 0; i < segs; i++)
        body += p[27 + i];
    return hl + body <= n ? hl + body : 0;
}

static void set_crc(unsigned char *p, size_t len)
{
    size_t hl = 27 + (size_t)p[26];
    ogg_page pg = {p, (long)hl, p + hl, (long)(len - hl)};
    ogg_page_checksum_set(&pg); /* zeroes the field, then sums */
}

int au_ogg_pages_restamp(unsigned char *buf, size_t len, uint32_t serial,
                         uint32_t *seq)
{
    int pages = 0;
    for (size_t off = 0; off < len; pages++) {
        size_t n = page_len(buf + off, len - off);
        if (!n) return AU_EINVAL;
        unsigned char *p = buf + off;
        le32(p + 14, serial);
        le32(p + 18, (*seq)++);
        set_crc(p, n);
        off += n;
    }
    return pages;
}

int au_ogg_pages_last(const unsigned char *buf, size_t len, uint32_t *serial,
                      uint32_t *seq, int64_t *granule)
{
    const unsigned char *last = NULL;
    for (size_t off = 0; off < len;) {
        size_t n = page_len(buf + off, len - off);
        if (!n) return AU_EINVAL;
        last = buf + off;
        off += n;
    }
    if (!last) return AU_EINVAL;
    uint64_t g = (uint64_t)rd32(last + 6) | (uint64_t)rd32(last + 10) << 32;
    *granule = (int64_t)g;
    *serial = rd32(last + 14);
    *seq = rd32(last + 18);
    return 0;
}

int au_ogg_opus_eos_page(unsigned char *out, size_t cap, uint32_t serial,
                         uint32_t seq, int64_t granule)
{
    if (cap < 29 || granule < 0) return AU_EFULL;
    memset(out, 0, 29);
    memcpy(out, "OggS", 4);
    out[5] = 0x04; /* end of stream */
    le32(out + 6, (uint32_t)((uint64_t)granule & 0xffffffffu));
    le32(out + 10, (uint32_t)((uint64_t)granule >> 32));
    le32(out + 14, serial);
    le32(out + 18, seq);
    out[26] = 1;    /* one lacing value: */
    out[27] = 1;    /* a 1-byte packet, */
    out[28] = 0xfc; /* TOC only: CELT 20 ms stereo, no frame data */
    set_crc(out, 29);
    return 29;
}
