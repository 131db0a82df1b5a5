#include "server/wire.h"

#include "core/utf8.h"
#include "core/pieces.h"
#include "server/textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void au_wire_header_write(uint8_t out[AU_WIRE_HEADER_BYTES],
                          const au_wire_header *h)
{
    memcpy(out, "AUR1", 4);
    put_u32(out + 4, h->seq);
    put_u64(out + 8, (uint64_t)h->pos);
    put_u32(out + 16, h->frames);
    put_u16(out + 20, h->codec);
    put_u16(out + 22, h->channels);
}

int au_wire_header_read(const uint8_t *in, size_t len, au_wire_header *h)
{
    if (len < AU_WIRE_HEADER_BYTES || memcmp(in, "AUR1", 4) != 0) return -1;
    h->seq = (uint32_t)get_le(in + 4, 4);
    h->pos = (int64_t)get_le(in + 8, 8);
    h->frames = (uint32_t)get_le(in + 16, 4);
    h->codec = (uint16_t)get_le(in + 20, 2);
    h->channels = (uint16_t)get_le(in + 22, 2);
    return 0;
}


int au_wire_escape(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char tmp[8];
        const char *piece = tmp;
        size_t plen;
        if (*c == '"' || *c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)*c;
            plen = 2;
        } else if (*c < 0x20 || *c == 0x7f) {
            snprintf(tmp, sizeof tmp, "\\u%04x", *c);
            plen = 6;
        } else if (*c >= 0x80) {
            /* whole characters only: a malformed byte becomes '?', so what
             * is sent is valid UTF-8 whatever the message quoted */
            size_t k = au_utf8_seq(c, strnlen((const char *)c, 4));
            if (!k) {
                tmp[0] = '?';
                plen = 1;
            } else {
                piece = (const char *)c;
                plen = k;
                c += k - 1;
            }
        } else {
            tmp[0] = (char)*c;
            plen = 1;
        }
        if (n + plen >= len) {
            if (len) buf[0] = '\0';
            return -1;
        }
        memcpy(buf + n, piece, plen);
        n += plen;
    }
    if (n >= len) return -1;
    buf[n] = '\0';
    return (int)n;
}

static void params_body(au_text *o, const au_params *p)
{
    if (p->seed < (1ull << 53))
        au_textf(o, "{\"seed\":%llu", (unsigned long long)p->seed);
    else
        au_textf(o, "{\"seed\":\"%llu\"", (unsigned long long)p->seed);
    au_textf(o, ",\"piece\":\"%s\"", au_piece_name(p->piece));
    au_textf(o,
         ",\"key\":\"%s\",\"mode\":\"%s\",\"bpm\":%.10g,\"intensity\":%.10g,"
         "\"wander\":%s,\"layers\":{",
         au_key_name(p->key), au_mode_name(p->mode), p->bpm, p->intensity,
         p->wander ? "true" : "false");
    for (int i = 0; i < AU_LAYER_COUNT; i++)
        au_textf(o, "%s\"%s\":%s", i ? "," : "", au_layer_name(i),
             p->layers[i] ? "true" : "false");
    au_textf(o, "},\"volumes\":{");
    for (int i = 0; i < AU_LAYER_COUNT; i++)
        au_textf(o, "%s\"%s\":%.17g", i ? "," : "", au_layer_name(i),
                 p->volume[i]);
    au_textf(o, "}}");
}

int au_wire_params_json(const au_params *p, char *buf, size_t len)
{
    au_text o = {buf, len, 0, 0};
    params_body(&o, p);
    return au_text_finish(&o);
}

int au_wire_state_json(const au_params *p, int64_t applies_at, char *buf,
                       size_t len)
{
    au_text o = {buf, len, 0, 0};
    au_textf(&o, "{\"type\":\"state\",\"params\":");
    params_body(&o, p);
    au_textf(&o, ",\"applies_at\":%lld}", (long long)applies_at);
    return au_text_finish(&o);
}

int au_wire_state_change_json(const au_params *p, int64_t applies_at,
                              const char *change, char *buf, size_t len)
{
    au_text o = {buf, len, 0, 0};
    au_textf(&o, "{\"type\":\"state\",\"params\":");
    params_body(&o, p);
    au_textf(&o, ",\"applies_at\":%lld", (long long)applies_at);
    /* the change text is names, numbers and ':' ',' '=' only: no escaping */
    if (change && *change) au_textf(&o, ",\"change\":\"%s\"", change);
    au_textf(&o, "}");
    return au_text_finish(&o);
}

/* A name from a fixed-size event field (maybe not NUL-terminated), escaped
 * for JSON; empty if it does not fit. */
static void escape_fixed(const char *field, size_t n, char *out, size_t outlen)
{
    char raw[64];
    if (n >= sizeof raw) n = sizeof raw - 1;
    memcpy(raw, field, n);
    raw[n] = '\0';
    if (au_wire_escape(raw, out, outlen) < 0) out[0] = '\0';
}

int au_wire_event_json(const au_event *ev, char *buf, size_t len)
{
    au_text o = {buf, len, 0, 0};
    char name[40];
    switch (ev->type) {
    case AU_EV_CHORD: {
        escape_fixed(ev->u.chord.name, sizeof ev->u.chord.name, name,
                     sizeof name);
        au_textf(&o,
             "{\"type\":\"event\",\"event\":\"chord\",\"position\":%lld,"
             "\"name\":\"%s\",\"degree\":%u,\"root\":\"%s\",\"tones\":[",
             (long long)ev->pos, name, (unsigned)ev->u.chord.degree,
             au_key_name(ev->u.chord.root % 12));
        int nt = ev->u.chord.ntones;
        if (nt > AU_CHORD_MAX_TONES) nt = AU_CHORD_MAX_TONES;
        for (int i = 0; i < nt; i++)
            au_textf(&o, "%s%u", i ? "," : "", (unsigned)ev->u.chord.tones[i]);
        au_textf(&o, "]}");
        break;
    }
    case AU_EV_SECTION: {
        escape_fixed(ev->u.section.name, sizeof ev->u.section.name, name,
                     sizeof name);
        au_textf(&o,
             "{\"type\":\"event\",\"event\":\"section\",\"position\":%lld,"
             "\"index\":%u,\"name\":\"%s\"}",
             (long long)ev->pos, (unsigned)ev->u.section.index, name);
        break;
    }
    case AU_EV_KEY:
        au_textf(&o,
             "{\"type\":\"event\",\"event\":\"key\",\"position\":%lld,"
             "\"key\":\"%s\",\"mode\":\"%s\"}",
             (long long)ev->pos, au_key_name(ev->u.key.key % 12),
             au_mode_name(ev->u.key.mode));
        break;
    case AU_EV_NOTE_ON:
    case AU_EV_NOTE_OFF:
        au_textf(&o,
             "{\"type\":\"event\",\"event\":\"%s\",\"position\":%lld,"
             "\"note\":%u,\"velocity\":%u,\"layer\":\"%s\"}",
             ev->type == AU_EV_NOTE_ON ? "note_on" : "note_off",
             (long long)ev->pos, (unsigned)ev->note,
             ev->type == AU_EV_NOTE_ON ? (unsigned)ev->vel : 0u,
             au_layer_name(ev->layer));
        break;
    default:
        if (len) buf[0] = '\0';
        return 0;
    }
    return au_text_finish(&o);
}

int au_wire_error_json(const char *code, const char *message, char *buf,
                       size_t len)
{
    char esc[600];
    if (au_wire_escape(message ? message : "", esc, sizeof esc) < 0)
        snprintf(esc, sizeof esc, "message too long");
    au_text o = {buf, len, 0, 0};
    au_textf(&o, "{\"type\":\"error\",\"code\":\"%s\",\"message\":\"%s\"}", code,
         esc);
    return au_text_finish(&o);
}
