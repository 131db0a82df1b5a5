/* Standard MIDI File (type 1) writer for the composer's event stream: a
 * conductor track (tempo map with glides, key signatures, section markers)
 * and one named track per layer with a General MIDI program (percussion on
 * channel 10). Every note-on is matched by a note-off; notes still sounding
 * at the end are closed there.
 * Owns heap buffers (this is file export, not the audio path). Not
 * thread-safe. */
#ifndef AU_MIDI_H
#define AU_MIDI_H

#include <stddef.h>
#include <stdint.h>

#include "compose/events.h"
#include "core/params.h"

#define AU_MIDI_PPQ 480

typedef struct au_midi_writer au_midi_writer;

int au_midi_create(au_midi_writer **out, const au_params *p);
void au_midi_destroy(au_midi_writer *w);

/* Feed events in stream order. Events of layers that have no track are
 * ignored; CONTROL and CHORD events become nothing or text markers. */
int au_midi_add(au_midi_writer *w, const au_event *ev);

/* A layer's volume (0..1, a linear gain) as Channel Volume (CC 7) at beat:
 * 127 * sqrt(v), the value General MIDI maps to the same gain
 * (40 log10(cc / 127) dB). au_midi_create writes the starting volumes that
 * are not 1. */
int au_midi_volume(au_midi_writer *w, int layer, double beat, double volume);

/* The same at a sample position, in clock mode (au_midi_set_clock). */
int au_midi_volume_at(au_midi_writer *w, int layer, int64_t pos, double volume);

/* Beat subtracted from the beat of every event added after this call (an
 * excerpt that starts mid-performance starts at tick 0). */
void au_midi_set_origin(au_midi_writer *w, double beat);

/* Clock mode: events are placed by their sample positions (at rate,
 * origin_pos = the frame of tick 0) through the file's tempo map, so every
 * event plays within half a tick of when it sounded in the audio (ticks
 * from beats drift by milliseconds: the composer's tempo glides are
 * continuous, a file's tempo changes in steps, and notes carry timing
 * nuances). Exports use it; call before the first au_midi_add. */
void au_midi_set_clock(au_midi_writer *w, int rate, int64_t origin_pos);

/* Close sounding notes at end_beat and write the file; 0 or AU_EIO. */
int au_midi_write(au_midi_writer *w, double end_beat, const char *path);

/* The file as bytes (for tests): *len set; the buffer is owned by w and
 * valid until the next call. */
const uint8_t *au_midi_bytes(au_midi_writer *w, double end_beat, size_t *len);

/* Key signature for a key and mode: sharps (>0) or flats (<0), minor flag. */
void au_midi_key_signature(int key, int mode, int *sf, int *minor);

#endif
