/*  ss_targets: targets announced during a run (ss_targets.h). */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ss_targets.h"

struct ss_targets_t {
    ss_model_t model;
    int count;
    ss_target_entry_t *entries;     //  SS_TARGETS_MAX
};

ss_targets_t *
ss_targets_new (const ss_model_t *model)
{
    ss_targets_t *self = calloc (1, sizeof (ss_targets_t));
    if (!self)
        return NULL;
    self->model = *model;
    self->entries = calloc (SS_TARGETS_MAX, sizeof (ss_target_entry_t));
    if (!self->entries) {
        free (self);
        return NULL;
    }
    return self;
}

void
ss_targets_destroy (ss_targets_t **self_p)
{
    ss_targets_t *self = *self_p;
    if (self) {
        free (self->entries);
        free (self);
        *self_p = NULL;
    }
}

int
ss_targets_count (const ss_targets_t *self)
{
    return self->count;
}

const ss_target_entry_t *
ss_targets_get (const ss_targets_t *self, int index)
{
    return index >= 0 && index < self->count? &self->entries [index]: NULL;
}

int64_t
ss_targets_announce (ss_targets_t *self, const ss_mixture_t *mixture, uint64_t requested,
                     int64_t highest, int64_t margin, const char **why)
{
    *why = ss_mixture_check (mixture, &self->model);
    if (*why)
        return -1;
    if (self->count == SS_TARGETS_MAX) {
        *why = "too many targets in one run (64)";
        return -1;
    }
    int64_t at = (highest < 0? 0: highest) + margin;
    if (requested > (uint64_t) at && requested < INT64_MAX / 2)
        at = (int64_t) requested;
    //  Switch rounds only grow: rows switch targets in order
    if (self->count > 0 && (uint64_t) at <= self->entries [self->count - 1].switch_round)
        at = (int64_t) self->entries [self->count - 1].switch_round + 1;
    self->entries [self->count++] = (ss_target_entry_t) {
        .switch_round = (uint64_t) at, .mixture = *mixture
    };
    return at;
}

int
ss_targets_in_force (const ss_targets_t *self, int64_t k)
{
    int n = 0;
    while (n < self->count && (int64_t) self->entries [n].switch_round < k)
        n++;
    return n;
}

char *
ss_targets_text (const ss_targets_t *self, int dim)
{
    size_t size = 1;
    for (int t = 0; t < self->count; t++)
        size += 64 + (size_t) self->entries [t].mixture.count * 26 * (dim + 2)
              + 2 * (size_t) self->entries [t].mixture.cells + 16;
    char *text = calloc (size, 1);
    if (!text)
        return NULL;
    size_t used = 0;
    for (int t = 0; t < self->count; t++) {
        const ss_mixture_t *mix = &self->entries [t].mixture;
        used += (size_t) snprintf (text + used, size - used, "%" PRIu64 " %d",
                                   self->entries [t].switch_round, mix->count);
        for (int c = 0; c < mix->count; c++) {
            used += (size_t) snprintf (text + used, size - used, " %.17g",
                                       mix->comp [c].weight);
            for (int a = 0; a < dim; a++)
                used += (size_t) snprintf (text + used, size - used, " %.17g",
                                           mix->comp [c].mean [a]);
            used += (size_t) snprintf (text + used, size - used, " %.17g", mix->comp [c].std);
        }
        used += (size_t) snprintf (text + used, size - used, " %d%s", mix->cells,
                                   mix->cells? " ": "");
        for (int g = 0; g < mix->cells; g++)
            used += (size_t) snprintf (text + used, size - used, "%02x", mix->level [g]);
        used += (size_t) snprintf (text + used, size - used, "\n");
    }
    return text;
}

int
ss_targets_load (ss_targets_t *self, const char *path, int dim)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    ss_target_entry_t *t = calloc (1, sizeof (ss_target_entry_t));
    char *line = malloc (4 * SS_MAX_GRID);
    while (t && line && self->count < SS_TARGETS_MAX
       &&  fgets (line, 4 * SS_MAX_GRID, file)) {
        memset (t, 0, sizeof *t);
        char *cursor = line, *end;
        t->switch_round = strtoull (cursor, &end, 10);
        if (end == cursor)
            break;
        cursor = end;
        long count = strtol (cursor, &end, 10);
        if (end == cursor || count < 0 || count > SS_MAX_COMPONENTS)
            break;
        cursor = end;
        t->mixture.count = (int) count;
        bool ok = true;
        for (int c = 0; ok && c < t->mixture.count; c++) {
            double *fields [SS_MAX_DIM + 2];
            int n = 0;
            fields [n++] = &t->mixture.comp [c].weight;
            for (int a = 0; a < dim; a++)
                fields [n++] = &t->mixture.comp [c].mean [a];
            fields [n++] = &t->mixture.comp [c].std;
            for (int f = 0; ok && f < n; f++) {
                *fields [f] = strtod (cursor, &end);
                ok = end != cursor;
                cursor = end;
            }
        }
        long cells = strtol (cursor, &end, 10);
        if (ok && end != cursor && cells > 0 && cells <= SS_MAX_GRID) {
            cursor = end;
            while (*cursor == ' ')
                cursor++;
            for (long g = 0; ok && g < cells; g++) {
                unsigned value;
                ok = sscanf (cursor + 2 * g, "%2x", &value) == 1;
                t->mixture.level [g] = (uint8_t) value;
            }
            t->mixture.cells = (int) cells;
        }
        if (!ok || ss_mixture_check (&t->mixture, &self->model))
            break;
        self->entries [self->count++] = *t;
    }
    free (t);
    free (line);
    fclose (file);
    return self->count;
}
