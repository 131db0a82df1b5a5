#include "audiofile.h"

#include <errno.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/au.h"
#include "io/ogg_opus.h"
#include "io/opus_packets.h"
#include "io/pcm.h"

#define MAX_BLOCK 8192 /* frames converted at a time */
#define OPUS_PAGE_PACKETS 25 /* 0.5 s per Ogg page in files */
#define OPUS_PAGE_CAP (70 * 1024) /* one flush: at most 255 x 255 + header */

struct au_audio_writer {
    au_audio_format fmt;
    int fd;
    SNDFILE *sf;
    /* Opus: the streaming encoder and Ogg writer, so a file's packets are
     * those of a stream with the same bitrate */
    bool opus;
    au_opus_enc enc;
    au_ogg_opus ogg;
    int64_t total;  /* frames written by the caller */
    int pend;       /* frames waiting in fr for a full 20 ms packet */
    int queued;     /* packets added since the last page flush */
    float fr[AU_OPUS_FRAME * 2];
    unsigned char pkt[AU_OPUS_MAX_PACKET];
    unsigned char *page; /* OPUS_PAGE_CAP bytes */
    au_dither dither;
    int failed;
    int16_t pcm[MAX_BLOCK * 2];
};

int au_audio_format_from_ext(const char *ext, bool float_wav, au_audio_format *f)
{
    if (!strcmp(ext, "wav")) *f = float_wav ? AU_FMT_WAV_FLOAT : AU_FMT_WAV16;
    else if (!strcmp(ext, "flac")) *f = AU_FMT_FLAC24;
    else if (!strcmp(ext, "opus")) *f = AU_FMT_OPUS;
    else if (!strcmp(ext, "raw") || !strcmp(ext, "pcm")) *f = AU_FMT_RAW16;
    else return -1;
    return 0;
}

const char *au_audio_format_name(au_audio_format f)
{
    switch (f) {
    case AU_FMT_WAV16: return "WAV 16-bit";
    case AU_FMT_WAV_FLOAT: return "WAV 32-bit float";
    case AU_FMT_FLAC24: return "FLAC 24-bit";
    case AU_FMT_OPUS: return "Opus";
    case AU_FMT_RAW16: return "raw pcm16le";
    }
    return "?";
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int opus_flush(au_audio_writer *w)
{
    int n = au_ogg_opus_flush(&w->ogg, w->page, OPUS_PAGE_CAP);
    w->queued = 0;
    if (n < 0 || write_all(w->fd, w->page, (size_t)n)) w->failed = 1;
    return w->failed ? AU_EIO : 0;
}

/* Encodes fr (pend frames, zero-padded to 20 ms) as one packet. */
static int opus_packet(au_audio_writer *w, bool eos, int64_t end_granule)
{
    for (int i = w->pend * 2; i < AU_OPUS_FRAME * 2; i++)
        w->fr[i] = 0.0f;
    w->pend = 0;
    int n = au_opus_enc_packet(&w->enc, w->fr, w->pkt, sizeof w->pkt);
    if (n < 0 || au_ogg_opus_add(&w->ogg, w->pkt, (size_t)n, AU_OPUS_FRAME,
                                 eos, end_granule)) {
        w->failed = 1;
        return AU_EIO;
    }
    if (++w->queued >= OPUS_PAGE_PACKETS || eos) return opus_flush(w);
    return 0;
}

static int opus_open(au_audio_writer *w, const au_params *p, const char *title,
                     const char *comment, char *err, size_t errlen)
{
    au_opus_config oc = au_opus_config_default();
    oc.bitrate = AU_OPUS_BITRATE_FILE;
    w->page = malloc(OPUS_PAGE_CAP);
    if (!w->page) return AU_ENOMEM;
    if (au_opus_enc_init(&w->enc, &oc)) {
        snprintf(err, errlen, "cannot start the Opus encoder");
        return AU_EIO;
    }
    char t_title[128], t_enc[64];
    /* the comment carries the change timeline: as long as it needs */
    size_t clen = strlen(comment) + 16;
    char *t_comment = malloc(clen);
    if (!t_comment) {
        au_opus_enc_deinit(&w->enc);
        return AU_ENOMEM;
    }
    snprintf(t_title, sizeof t_title, "TITLE=%s", title);
    snprintf(t_comment, clen, "COMMENT=%s", comment);
    snprintf(t_enc, sizeof t_enc, "ENCODER=auralis " AU_VERSION);
    const char *tags[] = {t_title, "ARTIST=Auralis", t_comment, t_enc, NULL};
    /* serial from the seed: the same render gives the same bytes */
    int r = au_ogg_opus_init(&w->ogg, (uint32_t)(p->seed ^ (p->seed >> 32)),
                             w->enc.preskip, AU_OPUS_RATE, tags);
    free(t_comment);
    if (r) {
        au_opus_enc_deinit(&w->enc);
        snprintf(err, errlen, "cannot start the Ogg writer");
        return r;
    }
    w->opus = true;
    size_t hl;
    const unsigned char *h = au_ogg_opus_headers(&w->ogg, &hl);
    if (write_all(w->fd, h, hl)) w->failed = 1;
    return 0;
}

int au_audio_writer_set_opus_bitrate(au_audio_writer *w, int bps)
{
    if (!w->opus || w->total > 0) return AU_ESTATE;
    if (au_opus_check_bitrate(bps, NULL, 0)) return AU_EINVAL;
    au_opus_config oc = au_opus_config_default();
    oc.bitrate = bps;
    /* a fresh encoder: exactly the state a stream's encoder starts in */
    au_opus_enc_deinit(&w->enc);
    return au_opus_enc_init(&w->enc, &oc);
}

int au_audio_writer_open(au_audio_writer **out, int fd, au_audio_format f,
                         int rate, const au_params *p, const char *comment,
                         char *err, size_t errlen)
{
    au_audio_writer *w = calloc(1, sizeof *w);
    if (!w) return AU_ENOMEM;
    w->fmt = f;
    w->fd = fd;
    au_dither_init(&w->dither, p->seed);
    char title[96];
    snprintf(title, sizeof title, "Auralis seed %llu", (unsigned long long)p->seed);

    if (f == AU_FMT_OPUS) {
        if (rate != 48000) {
            snprintf(err, errlen, "Opus output needs --rate 48000 (got %d)", rate);
            free(w);
            return AU_EINVAL;
        }
        int r = opus_open(w, p, title, comment, err, errlen);
        if (r) {
            free(w->page);
            free(w);
            return r;
        }
    } else if (f != AU_FMT_RAW16) {
        SF_INFO info;
        memset(&info, 0, sizeof info);
        info.samplerate = rate;
        info.channels = 2;
        info.format = f == AU_FMT_FLAC24 ? (SF_FORMAT_FLAC | SF_FORMAT_PCM_24)
                      : f == AU_FMT_WAV_FLOAT ? (SF_FORMAT_WAV | SF_FORMAT_FLOAT)
                                              : (SF_FORMAT_WAV | SF_FORMAT_PCM_16);
        w->sf = sf_open_fd(fd, SFM_WRITE, &info, 0);
        if (!w->sf) {
            snprintf(err, errlen, "cannot start the %s writer: %s",
                     au_audio_format_name(f), sf_strerror(NULL));
            free(w);
            return AU_EIO;
        }
        sf_set_string(w->sf, SF_STR_TITLE, title);
        sf_set_string(w->sf, SF_STR_ARTIST, "Auralis");
        sf_set_string(w->sf, SF_STR_COMMENT, comment);
        sf_set_string(w->sf, SF_STR_SOFTWARE, "auralis " AU_VERSION);
        /* float input is -1..1; clip rather than wrap if anything overshoots */
        sf_command(w->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    }
    *out = w;
    return 0;
}

int au_audio_writer_write(au_audio_writer *w, const float *x, int frames)
{
    if (w->failed) return AU_EIO;
    while (frames > 0) {
        int n = frames < MAX_BLOCK ? frames : MAX_BLOCK;
        switch (w->fmt) {
        case AU_FMT_WAV16:
            au_pcm16_convert(&w->dither, x, w->pcm, (size_t)n * 2);
            if (sf_writef_short(w->sf, w->pcm, n) != n) w->failed = 1;
            break;
        case AU_FMT_RAW16:
            au_pcm16_convert_le(&w->dither, x, (uint8_t *)w->pcm, (size_t)n * 2);
            if (write_all(w->fd, w->pcm, (size_t)n * 4)) w->failed = 1;
            break;
        case AU_FMT_WAV_FLOAT:
        case AU_FMT_FLAC24:
            if (sf_writef_float(w->sf, x, n) != n) w->failed = 1;
            break;
        case AU_FMT_OPUS:
            for (int i = 0; i < n && !w->failed;) {
                int take = AU_OPUS_FRAME - w->pend;
                if (take > n - i) take = n - i;
                memcpy(w->fr + w->pend * 2, x + (size_t)i * 2,
                       (size_t)take * 2 * sizeof(float));
                w->pend += take;
                i += take;
                if (w->pend == AU_OPUS_FRAME) opus_packet(w, false, -1);
            }
            w->total += n;
            break;
        }
        if (w->failed) return AU_EIO;
        x += (size_t)n * 2;
        frames -= n;
    }
    return 0;
}

int au_audio_writer_close(au_audio_writer *w)
{
    if (!w) return 0;
    int failed = w->failed;
    if (w->opus) {
        /* encode past the end by the pre-skip so every sample decodes, and
         * trim the decoded length to exactly the frames written */
        int64_t need = w->total + w->enc.preskip;
        while (!w->failed) {
            bool last = w->enc.done + AU_OPUS_FRAME >= need;
            opus_packet(w, last, need);
            if (last) break;
        }
        au_ogg_opus_deinit(&w->ogg);
        au_opus_enc_deinit(&w->enc);
        free(w->page);
        failed |= w->failed;
    }
    if (w->sf) {
        sf_write_sync(w->sf);
        if (sf_close(w->sf) != 0) failed = 1;
    }
    free(w);
    return failed ? AU_EIO : 0;
}
