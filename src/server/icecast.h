/* Publishing stations to an Icecast server as Ogg Opus mounts, through
 * libshout (`serve --icecast URL`).
 *
 * One publisher thread serves every mount. It encodes nothing: each
 * station is encoded once (its render worker makes the Opus packets and
 * Ogg pages that WebSocket Opus listeners and /stream/NAME.opus get), and
 * the publisher takes those pages from a tap (tap.h: a bounded ring the
 * service thread fills without waiting) and hands them to libshout in
 * non-blocking mode: a mount carries the very bytes /stream/NAME.opus
 * serves, until a metadata change chains a new link (below). The render
 * and fan-out paths never wait on Icecast: a publisher that falls behind
 * loses chunks (counted), an Icecast that is slow to read is disconnected
 * once 2 s of audio are queued, and one that is away or refuses the password
 * is retried with exponential backoff (1 s doubling to 30 s), logged once
 * per outage and counted in the metrics.
 *
 * Metadata: the station's OpusTags carry TITLE ("NAME: D dorian, 60 bpm"),
 * ARTIST and the seed; when the station's key, mode or tempo changes the
 * publisher ends the Ogg stream (an end-of-stream page) and chains a new
 * one with new tags (the way Ogg carries metadata: Icecast passes it on to
 * listeners and relays) whose pages are the station's, restamped with the
 * new link's serial and page numbers (no packet changes). Mounts are
 * PREFIX/NAME.opus.
 *
 * Thread-safety: au_icecast_* are for the server's service thread; the
 * module runs its own thread. */
#ifndef AU_SERVER_ICECAST_H
#define AU_SERVER_ICECAST_H

#include <stdbool.h>
#include <stddef.h>

#include "server/metrics.h"
#include "server/stream.h"

#define AU_ICECAST_PASSWORD_ENV "AURALIS_ICECAST_PASSWORD"
#define AU_ICECAST_MAX_MOUNTS 64

typedef struct {
    char host[256];
    int port;
    char user[64];
    char password[256];
    char prefix[200]; /* mount prefix: "/" or "/path/" */
} au_icecast_target;

/* icecast://[USER[:PASSWORD]@]HOST[:PORT][/PATH/]: USER defaults to
 * "source", PORT to 8000; the password comes from the URL, else from
 * env_password (the AURALIS_ICECAST_PASSWORD variable). 0, or -1 with a
 * one-line message naming what is wrong. Pure; thread-safe. */
int au_icecast_parse_url(const char *url, const char *env_password,
                         au_icecast_target *t, char *err, size_t errlen);

typedef struct au_icecast au_icecast;

typedef struct {
    au_icecast_target target;
    /* stations to publish, "NAME" or "NAME?QUERY" (created at start with
     * those parameters and kept while the server runs); none: every
     * station, while it exists */
    const char *const *stations;
    int nstations;
    int bitrate; /* the stations' Opus bitrate (--opus-bitrate), announced */
    /* service thread: find or create the station for a spec */
    au_stream *(*station)(void *arg, const char *spec);
    void *arg;
    au_metrics *metrics; /* may be NULL */
} au_icecast_config;

/* 0 or AU_E... (starts the publisher thread; connects in the background). */
int au_icecast_start(au_icecast **out, const au_icecast_config *cfg);
/* Disconnects every mount, stops the thread, frees everything. */
void au_icecast_stop(au_icecast *ic);
/* Service thread, each pump: attaches new stations, lets go of gone ones. */
void au_icecast_pump(au_icecast *ic, au_stream *streams);
/* Service thread: where listeners hear station s on Icecast
 * (http://HOST:PORT/PREFIX/NAME.opus) in url: 0 while s is published and
 * its mount is connected, else -1. */
int au_icecast_listen_url(const au_icecast *ic, const au_stream *s,
                          char *url, size_t n);

#endif
