/* Wire protocol v1 (docs/protocol.md): the 24-byte binary audio header and
 * the server's JSON text messages, formatted into caller buffers.
 * Pure functions, no heap, thread-safe (they format with snprintf only, so a
 * render worker may call them). */
#ifndef AU_SERVER_WIRE_H
#define AU_SERVER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "compose/events.h"
#include "core/params.h"

#define AU_PROTOCOL_VERSION 1
#define AU_WIRE_HEADER_BYTES 24
/* Headroom kept in front of every frame we hand to libwebsockets (it writes
 * the WebSocket frame header there); >= LWS_PRE, checked in server.c. */
#define AU_WIRE_PRE 32

enum { AU_CODEC_PCM16 = 0, AU_CODEC_OPUS = 1 };

typedef struct {
    uint32_t seq;    /* chunk number from 0 */
    int64_t pos;     /* sample frame of the chunk's first frame */
    uint32_t frames; /* frames in the chunk */
    uint16_t codec;  /* AU_CODEC_* */
    uint16_t channels;
} au_wire_header;

/* Writes the 24 little-endian bytes: "AUR1" seq pos frames codec channels. */
void au_wire_header_write(uint8_t out[AU_WIRE_HEADER_BYTES],
                          const au_wire_header *h);
/* 0, or -1 if len is short or the magic is wrong. */
int au_wire_header_read(const uint8_t *in, size_t len, au_wire_header *h);

/* The params object {"seed":..,"key":"D",...,"layers":{..}}. Seeds below 2^53
 * are JSON numbers (exact in JavaScript); larger ones are decimal strings.
 * Returns the length written (excluding NUL), or -1 if it did not fit. */
int au_wire_params_json(const au_params *p, char *buf, size_t len);

/* {"type":"state","params":{..},"applies_at":pos} */
int au_wire_state_json(const au_params *p, int64_t applies_at, char *buf,
                       size_t len);

/* The same with "change":"POS:name=value,..." (the timeline entry, see
 * docs/protocol.md); change may be "" (then no field). */
int au_wire_state_change_json(const au_params *p, int64_t applies_at,
                              const char *change, char *buf, size_t len);

/* {"type":"event","event":"chord"|"section"|"key",...,"position":pos}, or
 * 0 (nothing written) for events the protocol does not carry (notes, tempo,
 * controls). -1 if it did not fit. */
int au_wire_event_json(const au_event *ev, char *buf, size_t len);

/* {"type":"error","code":code,"message":message} with message escaped. */
int au_wire_error_json(const char *code, const char *message, char *buf,
                       size_t len);

/* Appends s to buf as a JSON string body (no quotes): escapes quotes,
 * backslashes and control characters. Returns bytes written or -1. */
int au_wire_escape(const char *s, char *buf, size_t len);

#endif
