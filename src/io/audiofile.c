#include "audiofile.h"

#include <errno.h>
#include <opus/opusenc.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/au.h"
#include "io/pcm.h"

#define MAX_BLOCK 8192 /* frames converted at a time */

struct au_audio_writer {
    au_audio_format fmt;
    int fd;
    SNDFILE *sf;
    OggOpusEnc *ope;
    OggOpusComments *comments;
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

static int opus_write_cb(void *user, const unsigned char *ptr, opus_int32 len)
{
    au_audio_writer *w = user;
    if (write_all(w->fd, ptr, (size_t)len)) {
        w->failed = 1;
        return 1;
    }
    return 0;
}

static int opus_close_cb(void *user)
{
    (void)user;
    return 0;
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
        w->comments = ope_comments_create();
        if (!w->comments) {
            free(w);
            return AU_ENOMEM;
        }
        ope_comments_add(w->comments, "TITLE", title);
        ope_comments_add(w->comments, "ARTIST", "Auralis");
        ope_comments_add(w->comments, "COMMENT", comment);
        ope_comments_add(w->comments, "ENCODER", "auralis " AU_VERSION);
        OpusEncCallbacks cb = {opus_write_cb, opus_close_cb};
        int e = 0;
        w->ope = ope_encoder_create_callbacks(&cb, w, w->comments, 48000, 2, 0, &e);
        if (!w->ope) {
            snprintf(err, errlen, "cannot start the Opus encoder: %s", ope_strerror(e));
            ope_comments_destroy(w->comments);
            free(w);
            return AU_EIO;
        }
        /* music at a transparent rate for ambient material */
        ope_encoder_ctl(w->ope, OPUS_SET_BITRATE(160000));
        ope_encoder_ctl(w->ope, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC));
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
            if (ope_encoder_write_float(w->ope, x, n) != OPE_OK) w->failed = 1;
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
    if (w->ope) {
        if (ope_encoder_drain(w->ope) != OPE_OK) failed = 1;
        ope_encoder_destroy(w->ope);
        ope_comments_destroy(w->comments);
        failed |= w->failed;
    }
    if (w->sf) {
        sf_write_sync(w->sf);
        if (sf_close(w->sf) != 0) failed = 1;
    }
    free(w);
    return failed ? AU_EIO : 0;
}
