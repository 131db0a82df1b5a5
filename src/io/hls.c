#include "io/hls.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>

#include "core/au.h"

/* Files the HLS muxer has open: each is a growing memory buffer
 * (avio_open_dyn_buf), handed to on_file when the muxer closes it. */
#define MAX_OPEN 8

struct au_hls_muxer {
    au_hls_muxer_config cfg;
    char token[33];
    AVFormatContext *oc;
    AVCodecContext *enc;
    AVFrame *frame;
    AVPacket *pkt;
    AVAudioFifo *fifo;
    float *planes[2];
    int64_t pts; /* samples sent to the encoder */
    bool header_written;
    struct {
        AVIOContext *pb;
        char name[96];
    } open[MAX_OPEN];
};

au_hls_muxer_config au_hls_muxer_config_default(void)
{
    au_hls_muxer_config c;
    memset(&c, 0, sizeof c);
    c.rate = 48000;
    c.bitrate = 128000;
    c.segment_ms = 4000;
    c.list_size = 6;
    c.token = "s";
    return c;
}

/* Only the file's base name matters: every name the muxer builds starts
 * from the playlist URL, which we give without a directory. */
static const char *base_name(const char *url)
{
    const char *s = strrchr(url, '/');
    s = s ? s + 1 : url;
    const char *c = strchr(s, ':');
    return c ? c + 1 : s;
}

static int mem_open(AVFormatContext *s, AVIOContext **pb, const char *url,
                    int flags, AVDictionary **options)
{
    (void)options;
    au_hls_muxer *m = s->opaque;
    if (!(flags & AVIO_FLAG_WRITE)) return AVERROR(EPERM);
    for (int i = 0; i < MAX_OPEN; i++) {
        if (m->open[i].pb) continue;
        int r = avio_open_dyn_buf(pb);
        if (r < 0) return r;
        m->open[i].pb = *pb;
        snprintf(m->open[i].name, sizeof m->open[i].name, "%s", base_name(url));
        return 0;
    }
    return AVERROR(EMFILE);
}

static int mem_close(AVFormatContext *s, AVIOContext *pb)
{
    au_hls_muxer *m = s->opaque;
    if (!pb) return 0;
    for (int i = 0; i < MAX_OPEN; i++) {
        if (m->open[i].pb != pb) continue;
        uint8_t *buf = NULL;
        int n = avio_close_dyn_buf(pb, &buf);
        m->open[i].pb = NULL;
        /* the muxer writes the playlist as NAME.tmp when it believes it is
         * on a file system; what counts is the final name */
        char name[96];
        snprintf(name, sizeof name, "%s", m->open[i].name);
        size_t nl = strlen(name);
        if (nl > 4 && !strcmp(name + nl - 4, ".tmp")) name[nl - 4] = '\0';
        if (n >= 0 && buf && m->cfg.on_file)
            m->cfg.on_file(m->cfg.arg, name, buf, (size_t)n);
        av_free(buf);
        return 0;
    }
    return 0;
}

static bool token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 1 || n > 32) return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

int au_hls_muxer_create(au_hls_muxer **out, const au_hls_muxer_config *cfg,
                        char *err, size_t errlen)
{
    *out = NULL;
    if ((cfg->rate != 48000 && cfg->rate != 44100) || cfg->bitrate < 32000 ||
        cfg->bitrate > 320000 || cfg->segment_ms < 2000 ||
        cfg->segment_ms > 6000 || cfg->list_size < 3 || cfg->list_size > 20 ||
        !cfg->token || !token_ok(cfg->token)) {
        snprintf(err, errlen,
                 "hls: rate 48000|44100, bitrate 32000..320000, segments "
                 "2000..6000 ms, list 3..20, token [A-Za-z0-9_-]{1,32}");
        return AU_EINVAL;
    }
    au_hls_muxer *m = calloc(1, sizeof *m);
    if (!m) return AU_ENOMEM;
    m->cfg = *cfg;
    snprintf(m->token, sizeof m->token, "%s", cfg->token);
    m->cfg.token = m->token;
    int r = AU_ENOMEM;
    char opt[160];

    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!codec) {
        snprintf(err, errlen, "hls: this libavcodec has no AAC encoder");
        r = AU_EFORMAT;
        goto fail;
    }
    m->enc = avcodec_alloc_context3(codec);
    if (!m->enc) goto fail;
    m->enc->sample_rate = cfg->rate;
    m->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    m->enc->bit_rate = cfg->bitrate;
    m->enc->time_base = (AVRational){1, cfg->rate};
    m->enc->profile = FF_PROFILE_AAC_LOW;
    av_channel_layout_default(&m->enc->ch_layout, 2);
    /* fMP4 keeps the decoder config in the init segment (esds) */
    m->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(m->enc, codec, NULL) < 0) {
        snprintf(err, errlen, "hls: cannot open the AAC encoder");
        r = AU_EFORMAT;
        goto fail;
    }

    /* "mem:" is no protocol libavformat knows, so the muxer does not write
     * the playlist as a temporary file and rename() it on disk */
    if (avformat_alloc_output_context2(&m->oc, NULL, "hls",
                                       "mem:" AU_HLS_PLAYLIST) < 0 ||
        !m->oc) {
        snprintf(err, errlen, "hls: this libavformat has no HLS muxer");
        r = AU_EFORMAT;
        goto fail;
    }
    m->oc->opaque = m;
    m->oc->io_open = mem_open;
    m->oc->io_close2 = mem_close;
    AVStream *st = avformat_new_stream(m->oc, NULL);
    if (!st) goto fail;
    st->time_base = m->enc->time_base;
    if (avcodec_parameters_from_context(st->codecpar, m->enc) < 0) goto fail;

    AVDictionary *o = NULL;
    snprintf(opt, sizeof opt, "%.3f", cfg->segment_ms / 1000.0);
    av_dict_set(&o, "hls_time", opt, 0);
    av_dict_set_int(&o, "hls_list_size", cfg->list_size, 0);
    av_dict_set(&o, "hls_segment_type", "fmp4", 0);
    snprintf(opt, sizeof opt, "%s-init.mp4", m->token);
    av_dict_set(&o, "hls_fmp4_init_filename", opt, 0);
    snprintf(opt, sizeof opt, "%s-%%d.m4s", m->token);
    av_dict_set(&o, "hls_segment_filename", opt, 0);
    /* live: no deletion (we keep segments in memory), every segment starts
     * with a sync sample (AAC frames all are) */
    av_dict_set(&o, "hls_flags", "independent_segments+omit_endlist", 0);
    int wr = avformat_write_header(m->oc, &o);
    av_dict_free(&o);
    m->header_written = wr >= 0;
    if (wr < 0) {
        snprintf(err, errlen, "hls: the HLS muxer refused its options");
        r = AU_EFORMAT;
        goto fail;
    }

    m->frame = av_frame_alloc();
    m->pkt = av_packet_alloc();
    m->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, 2, cfg->rate);
    m->planes[0] = malloc(sizeof(float) * (size_t)cfg->rate);
    m->planes[1] = malloc(sizeof(float) * (size_t)cfg->rate);
    if (!m->frame || !m->pkt || !m->fifo || !m->planes[0] || !m->planes[1])
        goto fail;
    m->frame->nb_samples = m->enc->frame_size;
    m->frame->format = AV_SAMPLE_FMT_FLTP;
    m->frame->sample_rate = cfg->rate;
    av_channel_layout_copy(&m->frame->ch_layout, &m->enc->ch_layout);
    if (av_frame_get_buffer(m->frame, 0) < 0) goto fail;
    *out = m;
    return 0;
fail:
    if (r == AU_ENOMEM && err[0] == '\0')
        snprintf(err, errlen, "hls: out of memory");
    au_hls_muxer_destroy(m);
    return r;
}

static int drain(au_hls_muxer *m)
{
    for (;;) {
        int r = avcodec_receive_packet(m->enc, m->pkt);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 0;
        if (r < 0) return AU_EIO;
        m->pkt->stream_index = 0;
        av_packet_rescale_ts(m->pkt, m->enc->time_base,
                             m->oc->streams[0]->time_base);
        if (av_interleaved_write_frame(m->oc, m->pkt) < 0) return AU_EIO;
    }
}

int au_hls_muxer_write(au_hls_muxer *m, const int16_t *pcm, int frames)
{
    int done = 0;
    while (done < frames) {
        int n = frames - done;
        if (n > m->cfg.rate) n = m->cfg.rate;
        for (int i = 0; i < n; i++) {
            m->planes[0][i] = pcm[2 * (done + i)] * (1.0f / 32768.0f);
            m->planes[1][i] = pcm[2 * (done + i) + 1] * (1.0f / 32768.0f);
        }
        if (av_audio_fifo_write(m->fifo, (void **)m->planes, n) < n)
            return AU_EIO;
        done += n;
        int fs = m->enc->frame_size;
        while (av_audio_fifo_size(m->fifo) >= fs) {
            if (av_frame_make_writable(m->frame) < 0) return AU_EIO;
            if (av_audio_fifo_read(m->fifo, (void **)m->frame->data, fs) < fs)
                return AU_EIO;
            m->frame->pts = m->pts;
            m->pts += fs;
            if (avcodec_send_frame(m->enc, m->frame) < 0) return AU_EIO;
            if (drain(m)) return AU_EIO;
        }
    }
    return 0;
}

void au_hls_muxer_destroy(au_hls_muxer *m)
{
    if (!m) return;
    if (m->oc) {
        /* nothing is reported after destroy begins; the trailer closes the
         * muxer's own buffers (freeing the context alone leaks them) */
        m->cfg.on_file = NULL;
        if (m->header_written) av_write_trailer(m->oc);
        for (int i = 0; i < MAX_OPEN; i++)
            if (m->open[i].pb) mem_close(m->oc, m->open[i].pb);
        avformat_free_context(m->oc);
    }
    avcodec_free_context(&m->enc);
    av_frame_free(&m->frame);
    av_packet_free(&m->pkt);
    if (m->fifo) av_audio_fifo_free(m->fifo);
    free(m->planes[0]);
    free(m->planes[1]);
    free(m);
}
