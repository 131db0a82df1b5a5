#include "server/pieces_api.h"

#include <pthread.h>
#include <stdio.h>

#include "compose/piece.h"
#include "core/params.h"
#include "core/pieces.h"
#include "server/textbuf.h"

static char doc[8192];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
    au_text o = {doc, sizeof doc, 0, 0};
    au_textf(&o, "{\"pieces\":[");
    for (int i = 0; i < AU_PIECE_COUNT; i++) {
        const au_piece_info *in = au_piece_info_get(i);
        const au_piece *pc = au_piece_get(i);
        /* the strings are ours (no quotes or backslashes to escape) */
        au_textf(&o,
                 "%s{\"name\":\"%s\",\"title\":\"%s\",\"description\":\"%s\","
                 "\"key\":\"%s\",\"mode\":\"%s\",\"bpm\":%g,\"intensity\":%g,"
                 "\"layers\":[",
                 i ? "," : "", in->name, in->title, in->description,
                 au_key_name(in->key), au_mode_name(in->mode), in->bpm,
                 in->intensity);
        int first = 1;
        for (int l = 0; l < AU_LAYER_COUNT; l++)
            if (pc->layer[l].on) {
                au_textf(&o, "%s\"%s\"", first ? "" : ",", au_layer_name(l));
                first = 0;
            }
        au_textf(&o, "],\"default\":%s}", i == AU_PIECE_DRIFT ? "true" : "false");
    }
    au_textf(&o, "]}");
    if (au_text_finish(&o) < 0) snprintf(doc, sizeof doc, "{\"pieces\":[]}");
}

const char *au_pieces_json(void)
{
    pthread_once(&once, build);
    return doc;
}
