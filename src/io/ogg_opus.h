/* Ogg Opus (RFC 7845) pages from 20 ms Opus packets, muxed by libogg.
 * The two header pages (OpusHead, OpusTags) are built once at init and
 * kept, so a live stream hands them to every listener that joins; data
 * pages are then the same bytes for every listener (a late joiner sees a
 * jump in page sequence numbers and granule positions, as from Icecast,
 * which players accept).
 * Ownership: the caller owns the struct; init allocates (libogg's buffers
 * and the header bytes). Adding packets and flushing reuse libogg's buffers:
 * no allocation while a page stays under 16 KiB (a 100 ms page of 128 kbit/s
 * Opus is about 1.7 KiB), so the render worker may call them.
 * Thread-safety: one thread at a time per writer. */
#ifndef AU_IO_OGG_OPUS_H
#define AU_IO_OGG_OPUS_H

#include <ogg/ogg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    ogg_stream_state os;
    int64_t granule;     /* 48 kHz frames after the last packet added */
    int64_t packetno;    /* next packet number (0, 1 are the headers) */
    unsigned char *head; /* header pages, owned */
    size_t head_len;
} au_ogg_opus;

/* serial: the Ogg stream serial number (pick it from the seed for
 * reproducible files). preskip: au_opus_enc's. input_rate: informational
 * (OpusHead). tags: "KEY=value" strings, NULL-terminated (may be NULL).
 * 0, AU_EINVAL (tags over 60 KiB) or AU_ENOMEM. */
int au_ogg_opus_init(au_ogg_opus *o, uint32_t serial, int preskip,
                     int input_rate, const char *const *tags);
void au_ogg_opus_deinit(au_ogg_opus *o);

/* The OpusHead and OpusTags pages: what a listener needs before any data
 * page. Valid until deinit. */
const unsigned char *au_ogg_opus_headers(const au_ogg_opus *o, size_t *len);

/* Queues one packet of `frames` 48 kHz frames (960 for 20 ms). eos marks
 * the last packet; end_granule >= 0 then trims the decoded end to that
 * granule position (pre-skip + samples, RFC 7845 section 4), -1 keeps it.
 * 0 or AU_EINVAL. */
int au_ogg_opus_add(au_ogg_opus *o, const unsigned char *packet, size_t len,
                    int frames, bool eos, int64_t end_granule);

/* Writes every queued packet as complete pages into out (a flush: a 100 ms
 * chunk of five packets becomes one page). Bytes written (0 if nothing was
 * queued), or AU_EFULL if cap is too small (the pages are lost then). */
int au_ogg_opus_flush(au_ogg_opus *o, unsigned char *out, size_t cap);

/* Pages someone else built (a station's, the bytes every HTTP listener
 * gets) carried into another logical stream without touching a packet:
 * each page of buf gets this serial and the sequence numbers *seq, *seq+1,
 * ... (*seq ends past the last) and a new CRC, in place. The number of
 * pages, or AU_EINVAL if buf is not a run of whole pages. No allocation. */
int au_ogg_pages_restamp(unsigned char *buf, size_t len, uint32_t serial,
                         uint32_t *seq);
/* The serial, sequence number and granule position of the last page in
 * buf (a run of whole pages): 0 or AU_EINVAL. */
int au_ogg_pages_last(const unsigned char *buf, size_t len, uint32_t *serial,
                      uint32_t *seq, int64_t *granule);
/* The page that ends logical stream serial after page seq - 1 (a chained
 * Ogg stream continues with another's headers): one 1-byte Opus packet (a
 * TOC with no frame) and granule = the last page's, which trims the
 * packet's 20 ms away. 29 bytes written, or AU_EFULL. */
int au_ogg_opus_eos_page(unsigned char *out, size_t cap, uint32_t serial,
                         uint32_t seq, int64_t granule);

#endif
