/* The composer: seed + parameters + live changes in, a stream of score events
 * stamped with sample positions out, pulled in blocks of any size.
 * Owns no heap: au_composer is a plain struct, copyable, no I/O. Not
 * thread-safe; one per stream.
 *
 * Determinism: the events depend only on the seed, the initial parameters,
 * the sample rate and the (position, update) timeline, never on how the
 * caller slices its pulls. */
#ifndef AU_COMPOSER_H
#define AU_COMPOSER_H

#include "../core/params.h"
#include "events.h"
#include "composer_state.h" /* defines struct au_composer (internals) */

typedef struct au_composer au_composer;

/* p is validated by the caller (au_parse_* / au_check_*); rate 8000..192000 */
int au_composer_init(au_composer *c, const au_params *p, int sample_rate);

/* Apply a change at the composer's current position (the end of the last
 * pull). Tempo glides over about 2 s, intensity eases over seconds, key and
 * mode move at the next chord boundary through a pivot, layer switches act at
 * once (a switched-off layer releases its notes). */
void au_composer_set(au_composer *c, const au_param_update *u);

/* Next event with pos < until, in position order. Returns 1 and fills *ev,
 * or 0 when none is due before until (then the position advances to until).
 * until must not decrease between calls. */
int au_composer_next(au_composer *c, int64_t until, au_event *ev);

/* A finite piece ending at sample frame `end`: no note starts in the quiet
 * tail (two bars or more, about 10 s, at most a third of the piece) and
 * every sounding note is released where it begins. Returns the tail's
 * start. Call before the first pull; streams never call it. */
int64_t au_composer_set_end(au_composer *c, int64_t end);

/* The orchestration the seed chose, and a replacement (a named piece):
 * call before the first pull. */
const au_orch *au_composer_orch(const au_composer *c);
void au_composer_set_orch(au_composer *c, const au_orch *o);

/* After the last pull: returns 1 and a NOTE_OFF at the current position for
 * each note still sounding (one per call), then 0. For writers that end a
 * piece (MIDI files); the composer can go on afterwards. */
int au_composer_finish(au_composer *c, au_event *ev);

/* Parameters as currently targeted (after set), and the position. */
const au_params *au_composer_params(const au_composer *c);
int64_t au_composer_position(const au_composer *c);

#endif
