/*  ss_rundir: reads a run directory back (see the header for the files).
    The trace is JSON, read with jansson; the CSV files are plain numbers
    in fixed columns, read line by line with strtod/strtoll and checked
    field by field.
*/

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ss_rundir.h"

#define MAX_LINE    (16 << 20)      //  longest line of any file (a trace row
                                    //  lists up to 100000 lost ids)
#define MAX_RECORDS 50000000        //  rows of frames.csv
#define MAX_TARGETS 1024            //  lines of targets.txt (the coordinator
                                    //  announces at most 64)

typedef struct {
    char path [PATH_MAX + 32];
    FILE *file;
    char *line;
    size_t cap;
    long number;                    //  of the line last read
    char *err;
    size_t err_size;
} s_reader_t;

static int
s_fail (s_reader_t *r, const char *format, ...)
{
    char what [512];
    va_list args;
    va_start (args, format);
    vsnprintf (what, sizeof what, format, args);
    va_end (args);
    if (r->number > 0)
        snprintf (r->err, r->err_size, "%s: line %ld: %s", r->path, r->number, what);
    else
        snprintf (r->err, r->err_size, "%s: %s", r->path, what);
    return -1;
}

//  Open DIR/NAME; a missing optional file is 1, an error -1, else 0
static int
s_open (s_reader_t *r, const char *dir, const char *name, bool optional,
        const char *missing, char *err, size_t err_size)
{
    memset (r, 0, sizeof *r);
    r->err = err;
    r->err_size = err_size;
    snprintf (r->path, sizeof r->path, "%s/%s", dir, name);
    struct stat st;
    if (stat (r->path, &st) && errno == ENOENT && optional)
        return 1;
    if (stat (r->path, &st) == 0 && !S_ISREG (st.st_mode))
        return s_fail (r, "not a regular file");
    r->file = fopen (r->path, "r");
    if (!r->file) {
        if (errno == ENOENT && missing)
            return s_fail (r, "missing (%s)", missing);
        return s_fail (r, "cannot read (%s)", strerror (errno));
    }
    return 0;
}

static void
s_close (s_reader_t *r)
{
    if (r->file)
        fclose (r->file);
    free (r->line);
    r->file = NULL;
    r->line = NULL;
}

//  Next line without its newline: 1, 0 at the end, -1 on error
static int
s_next (s_reader_t *r)
{
    errno = 0;
    ssize_t got = getline (&r->line, &r->cap, r->file);
    if (got < 0)
        return errno? s_fail (r, "cannot read (%s)", strerror (errno)): 0;
    r->number++;
    if (got > MAX_LINE)
        return s_fail (r, "line longer than %d bytes", MAX_LINE);
    if ((size_t) got != strlen (r->line))
        return s_fail (r, "holds a NUL byte");
    while (got > 0 && (r->line [got - 1] == '\n' || r->line [got - 1] == '\r'))
        r->line [--got] = 0;
    return 1;
}

//  The header a positions file must have: [round,]id,x1..xd
static void
s_header (char *buf, size_t size, bool with_round, int d)
{
    int used = snprintf (buf, size, "%sid", with_round? "round,": "");
    for (int a = 0; a < d; a++)
        used += snprintf (buf + used, size - (size_t) used, ",x%d", a + 1);
}

static int
s_read_header (s_reader_t *r, bool with_round, int d)
{
    char want [64];
    s_header (want, sizeof want, with_round, d);
    int got = s_next (r);
    if (got < 0)
        return -1;
    if (got == 0)
        return s_fail (r, "empty (expected the header '%s')", want);
    if (strcmp (r->line, want))
        return s_fail (r, "header '%.80s' is not '%s' (the fleet's dim is %d)",
                       r->line, want, d);
    return 0;
}

typedef struct {
    int64_t round;
    int id;
    long seq;               //  line number: the later of two equal rows wins
    double x [SS_MAX_DIM];
} s_record_t;

//  One row "[round,]id,x1..xd" into rec, checked against the fleet
static int
s_parse_record (s_reader_t *r, const ss_fleet_t *fleet, bool with_round,
                s_record_t *rec)
{
    const ss_model_t *m = &fleet->model;
    char *at = r->line, *end;
    rec->seq = r->number;
    rec->round = 0;
    if (with_round) {
        errno = 0;
        long long round = strtoll (at, &end, 10);
        if (end == at || *end != ',' || errno || round < 0)
            return s_fail (r, "round: not a round number");
        rec->round = round;
        at = end + 1;
    }
    errno = 0;
    long id = strtol (at, &end, 10);
    if (end == at || *end != ',' || errno)
        return s_fail (r, "id: not an agent id");
    if (id < 0 || id >= fleet->count)
        return s_fail (r, "id %ld: not an agent of the fleet (0..%d)", id, fleet->count - 1);
    rec->id = (int) id;
    at = end + 1;
    double slack = 1e-9 * (m->hi - m->lo);
    for (int a = 0; a < m->dim; a++) {
        errno = 0;
        double v = strtod (at, &end);
        bool last = a == m->dim - 1;
        if (end == at || (last? *end != 0: *end != ',') || !isfinite (v))
            return s_fail (r, "x%d: not a finite number%s", a + 1,
                           last && end != at && *end == ','? " (too many columns)": "");
        if (v < m->lo - slack || v > m->hi + slack)
            return s_fail (r, "x%d = %g is outside the box [%g, %g]", a + 1, v, m->lo, m->hi);
        rec->x [a] = v;
        at = end + 1;
    }
    return 0;
}

static int
s_record_cmp (const void *pa, const void *pb)
{
    const s_record_t *a = pa, *b = pb;
    if (a->round != b->round)
        return a->round < b->round? -1: 1;
    if (a->id != b->id)
        return a->id < b->id? -1: 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

//  Read every record of an open positions file (after its header)
static int
s_read_records (s_reader_t *r, const ss_fleet_t *fleet, bool with_round,
                s_record_t **out, size_t *count)
{
    size_t n = 0, cap = 0;
    s_record_t *recs = NULL;
    int got;
    while ((got = s_next (r)) > 0) {
        if (!*r->line)
            continue;
        if (n == cap) {
            if (cap >= MAX_RECORDS) {
                free (recs);
                return s_fail (r, "more than %d rows", MAX_RECORDS);
            }
            cap = cap? cap * 2: 256;
            s_record_t *grown = realloc (recs, cap * sizeof *recs);
            if (!grown) {
                free (recs);
                return s_fail (r, "out of memory");
            }
            recs = grown;
        }
        if (s_parse_record (r, fleet, with_round, &recs [n])) {
            free (recs);
            return -1;
        }
        n++;
    }
    if (got < 0 || n == 0) {
        free (recs);
        r->number = 0;
        return got < 0? -1: s_fail (r, "no rows after the header");
    }
    qsort (recs, n, sizeof *recs, s_record_cmp);
    *out = recs;
    *count = n;
    return 0;
}

static void
s_frame_free (ss_rundir_frame_t *frame)
{
    free (frame->ids);
    free (frame->x);
    frame->ids = NULL;
    frame->x = NULL;
}

//  Group sorted records [from, to) of one round into frame, the last of
//  equal ids winning
static int
s_fill_frame (const s_record_t *recs, size_t from, size_t to, int d,
              ss_rundir_frame_t *frame)
{
    size_t n = to - from;
    frame->round = recs [from].round;
    frame->ids = malloc (n * sizeof (int));
    frame->x = malloc (n * d * sizeof (double));
    if (!frame->ids || !frame->x)
        return -1;
    frame->n = 0;
    for (size_t i = from; i < to; i++) {
        if (i + 1 < to && recs [i + 1].id == recs [i].id)
            continue;
        frame->ids [frame->n] = recs [i].id;
        memcpy (frame->x + (size_t) frame->n * d, recs [i].x, d * sizeof (double));
        frame->n++;
    }
    return 0;
}

//  initial.csv or positions.csv; an id twice is an error there
static int
s_read_positions (ss_rundir_t *self, const char *name, ss_rundir_frame_t *frame,
                  char *err, size_t err_size)
{
    s_reader_t r;
    if (s_open (&r, self->dir, name, false, "written by sim and launch", err, err_size)) {
        s_close (&r);
        return -1;
    }
    s_record_t *recs = NULL;
    size_t n = 0;
    int rc = s_read_header (&r, false, self->d);
    if (rc == 0)
        rc = s_read_records (&r, self->fleet, false, &recs, &n);
    for (size_t i = 1; rc == 0 && i < n; i++)
        if (recs [i].id == recs [i - 1].id) {
            r.number = recs [i].seq;
            rc = s_fail (&r, "id %d: a second row", recs [i].id);
        }
    if (rc == 0 && s_fill_frame (recs, 0, n, self->d, frame)) {
        r.number = 0;
        rc = s_fail (&r, "out of memory");
    }
    free (recs);
    s_close (&r);
    return rc;
}

static int
s_read_frames (ss_rundir_t *self, bool need, char *err, size_t err_size)
{
    s_reader_t r;
    int rc = s_open (&r, self->dir, "frames.csv", !need,
                     "written by sim and launch; a run made before frames.csv "
                     "existed has no frames", err, err_size);
    if (rc) {
        s_close (&r);
        return rc > 0? 0: -1;
    }
    s_record_t *recs = NULL;
    size_t n = 0;
    rc = s_read_header (&r, true, self->d);
    if (rc == 0)
        rc = s_read_records (&r, self->fleet, true, &recs, &n);
    size_t rounds = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (i == 0 || recs [i].round != recs [i - 1].round)
            rounds++;
    if (rc == 0 && !(self->frames = calloc (rounds, sizeof (ss_rundir_frame_t))))
        rc = s_fail (&r, "out of memory");
    for (size_t from = 0; rc == 0 && from < n; ) {
        size_t to = from + 1;
        while (to < n && recs [to].round == recs [from].round)
            to++;
        if (s_fill_frame (recs, from, to, self->d, &self->frames [self->n_frames++]))
            rc = s_fail (&r, "out of memory");
        from = to;
    }
    free (recs);
    s_close (&r);
    return rc;
}

//  A JSON number, or NaN for null or absent; -1 for anything else
static int
s_json_number (s_reader_t *r, json_t *obj, const char *key, double *out)
{
    json_t *v = json_object_get (obj, key);
    *out = NAN;
    if (!v || json_is_null (v))
        return 0;
    if (!json_is_number (v))
        return s_fail (r, "%s: not a number", key);
    *out = json_number_value (v);
    return 0;
}

static int
s_json_count (s_reader_t *r, json_t *obj, const char *key, bool required,
              json_int_t max, json_int_t *out)
{
    json_t *v = json_object_get (obj, key);
    *out = 0;
    if (!v && !required)
        return 0;
    if (!v)
        return s_fail (r, "%s: missing", key);
    if (!json_is_integer (v) || json_integer_value (v) < 0 || json_integer_value (v) > max)
        return s_fail (r, "%s: not an integer in 0..%lld", key, (long long) max);
    *out = json_integer_value (v);
    return 0;
}

static int
s_int_cmp (const void *pa, const void *pb)
{
    int a = *(const int *) pa, b = *(const int *) pb;
    return (a > b) - (a < b);
}

static int
s_parse_row (s_reader_t *r, const ss_fleet_t *fleet, ss_rundir_row_t *row)
{
    json_error_t jerr;
    json_t *obj = json_loads (r->line, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj)
        return s_fail (r, "not JSON (%s)", jerr.text);
    json_int_t round, agents, target;
    int rc = json_is_object (obj)? 0: s_fail (r, "not a JSON object");
    if (rc == 0)
        rc = s_json_count (r, obj, "round", true, INT64_MAX / 2, &round);
    if (rc == 0)
        rc = s_json_count (r, obj, "agents", false, fleet->count, &agents);
    if (rc == 0)
        rc = s_json_count (r, obj, "target", false, INT64_MAX / 2, &target);
    if (rc == 0) {
        row->round = round;
        row->agents = (int) agents;
        row->target = target;
    }
    struct { const char *key; double *to; } numbers [] = {
        { "J", &row->J }, { "kl", &row->kl }, { "disagreement", &row->disagreement },
        { "step", &row->step }, { "grad", &row->grad }, { "bias", &row->bias },
        { "seconds", &row->seconds }
    };
    for (size_t i = 0; rc == 0 && i < sizeof numbers / sizeof numbers [0]; i++)
        rc = s_json_number (r, obj, numbers [i].key, numbers [i].to);
    json_t *lost = json_object_get (obj, "lost");
    if (rc == 0 && lost && !json_is_array (lost))
        rc = s_fail (r, "lost: not a list of agent ids");
    size_t n_lost = lost? json_array_size (lost): 0;
    if (rc == 0 && n_lost > (size_t) fleet->count)
        rc = s_fail (r, "lost: more ids than agents");
    if (rc == 0 && n_lost && !(row->lost = malloc (n_lost * sizeof (int))))
        rc = s_fail (r, "out of memory");
    for (size_t i = 0; rc == 0 && i < n_lost; i++) {
        json_t *id = json_array_get (lost, i);
        if (!json_is_integer (id) || json_integer_value (id) < 0
        ||  json_integer_value (id) >= fleet->count)
            rc = s_fail (r, "lost: item %zu is not an agent id (0..%d)", i, fleet->count - 1);
        else
            row->lost [row->n_lost++] = (int) json_integer_value (id);
    }
    if (rc == 0 && row->n_lost)
        qsort (row->lost, (size_t) row->n_lost, sizeof (int), s_int_cmp);
    json_decref (obj);
    return rc;
}

typedef struct {
    int64_t round;
    int index;              //  in the file: the last of a round wins
} s_order_t;

static int
s_order_cmp (const void *pa, const void *pb)
{
    const s_order_t *a = pa, *b = pb;
    if (a->round != b->round)
        return a->round < b->round? -1: 1;
    return (a->index > b->index) - (a->index < b->index);
}

//  Sort the rows by round, keeping the last row read of each round
static int
s_sort_rows (ss_rundir_t *self)
{
    int n = self->n_rows;
    s_order_t *order = malloc ((size_t) n * sizeof *order);
    ss_rundir_row_t *rows = malloc ((size_t) n * sizeof *rows);
    if (!order || !rows) {
        free (order);
        free (rows);
        return -1;
    }
    for (int i = 0; i < n; i++)
        order [i] = (s_order_t) { self->rows [i].round, i };
    qsort (order, (size_t) n, sizeof *order, s_order_cmp);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        ss_rundir_row_t *row = &self->rows [order [i].index];
        if (i + 1 < n && order [i + 1].round == order [i].round)
            free (row->lost);
        else
            rows [kept++] = *row;
    }
    free (order);
    free (self->rows);
    self->rows = rows;
    self->n_rows = kept;
    return 0;
}

static int
s_read_trace (ss_rundir_t *self, char *err, size_t err_size)
{
    s_reader_t r;
    if (s_open (&r, self->dir, "trace.jsonl", false, "written by sim and launch",
                err, err_size)) {
        s_close (&r);
        return -1;
    }
    int cap = 0, got, rc = 0;
    while (rc == 0 && (got = s_next (&r)) > 0) {
        if (!*r.line)
            continue;
        if (self->n_rows == cap) {
            if (cap >= INT32_MAX / 4) {
                rc = s_fail (&r, "too many rows");
                break;
            }
            cap = cap? cap * 2: 64;
            ss_rundir_row_t *grown = realloc (self->rows, (size_t) cap * sizeof *grown);
            if (!grown) {
                rc = s_fail (&r, "out of memory");
                break;
            }
            self->rows = grown;
        }
        ss_rundir_row_t *row = &self->rows [self->n_rows];
        memset (row, 0, sizeof *row);
        rc = s_parse_row (&r, self->fleet, row);
        self->n_rows++;
    }
    if (rc == 0 && got < 0)
        rc = -1;
    if (rc == 0 && self->n_rows == 0) {
        r.number = 0;
        rc = s_fail (&r, "no rows");
    }
    if (rc == 0 && s_sort_rows (self)) {
        r.number = 0;
        rc = s_fail (&r, "out of memory");
    }
    s_close (&r);
    return rc;
}

//  The grid after a target's components, if any: "cells HEX", 2 hex
//  digits a level (the coordinator writes " 0" for none; older lines end
//  after the components). *end past it.
static int
s_read_grid (s_reader_t *r, char *at, ss_mixture_t *mixture, char **end)
{
    char *after;
    errno = 0;
    long cells = strtol (at, &after, 10);
    *end = at;
    if (after == at)
        return 0;               //  no cells field
    if (errno || cells < 0 || cells > SS_MAX_GRID)
        return s_fail (r, "grid: expected 0..%d cells, got '%.20s'", SS_MAX_GRID, at);
    at = after;
    while (cells > 0 && (*at == ' ' || *at == '\t'))
        at++;
    for (long g = 0; g < cells; g++) {
        int level = 0;
        for (int digit = 0; digit < 2; digit++) {
            char c = at [2 * g + digit];
            int v = c >= '0' && c <= '9'? c - '0': c >= 'a' && c <= 'f'? c - 'a' + 10:
                    c >= 'A' && c <= 'F'? c - 'A' + 10: -1;
            if (v < 0)
                return s_fail (r, "grid: expected %ld levels as %ld hex digits, cut at "
                               "digit %ld", cells, 2 * cells, 2 * g + digit);
            level = 16 * level + v;
        }
        mixture->level [g] = (uint8_t) level;
    }
    mixture->cells = (int) cells;
    *end = at + 2 * cells;
    return 0;
}

static int
s_read_targets (ss_rundir_t *self, char *err, size_t err_size)
{
    s_reader_t r;
    int rc = s_open (&r, self->dir, "targets.txt", true, NULL, err, err_size);
    if (rc) {
        s_close (&r);
        return rc > 0? 0: -1;
    }
    const ss_model_t *m = &self->fleet->model;
    int cap = 0, got;
    while (rc == 0 && (got = s_next (&r)) > 0) {
        if (!*r.line)
            continue;
        if (self->n_targets == cap) {
            cap = cap? cap * 2: 8;
            if (cap > MAX_TARGETS) {
                rc = s_fail (&r, "too many targets (more than %d)", MAX_TARGETS);
                break;
            }
            ss_rundir_target_t *grown = realloc (self->targets, (size_t) cap * sizeof *grown);
            if (!grown) {
                rc = s_fail (&r, "out of memory");
                break;
            }
            self->targets = grown;
        }
        ss_rundir_target_t *t = &self->targets [self->n_targets];
        memset (t, 0, sizeof *t);
        char *at = r.line, *end;
        errno = 0;
        long long round = strtoll (at, &end, 10);
        long count = end == at? 0: strtol (at = end, &end, 10);
        if (end == at || errno || round < 0 || count < 0 || count > SS_MAX_COMPONENTS) {
            rc = s_fail (&r, "expected 'switch_round count' and count components (0..%d)",
                         SS_MAX_COMPONENTS);
            break;
        }
        t->switch_round = round;
        t->mixture.count = (int) count;
        for (int c = 0; rc == 0 && c < count; c++) {
            ss_component_t *comp = &t->mixture.comp [c];
            double *fields [SS_MAX_DIM + 2];
            int n_fields = 0;
            fields [n_fields++] = &comp->weight;
            for (int a = 0; a < m->dim; a++)
                fields [n_fields++] = &comp->mean [a];
            fields [n_fields++] = &comp->std;
            for (int f = 0; rc == 0 && f < n_fields; f++) {
                *fields [f] = strtod (at = end, &end);
                if (end == at || !isfinite (*fields [f]))
                    rc = s_fail (&r, "component %d: expected weight, %d mean(s) and std",
                                 c + 1, m->dim);
            }
        }
        if (rc == 0)
            rc = s_read_grid (&r, end, &t->mixture, &end);
        while (rc == 0 && (*end == ' ' || *end == '\t'))
            end++;
        if (rc == 0 && *end)
            rc = s_fail (&r, "more numbers than %ld components and a grid hold", count);
        const char *why = rc == 0? ss_mixture_check (&t->mixture, m): NULL;
        if (why)
            rc = s_fail (&r, "%s", why);
        if (rc == 0)
            self->n_targets++;
    }
    if (rc == 0 && got < 0)
        rc = -1;
    s_close (&r);
    return rc;
}

ss_rundir_t *
ss_rundir_new (const char *dir, const char *fleet_path, bool need_frames,
               char *err, size_t err_size)
{
    ss_rundir_t *self = calloc (1, sizeof (ss_rundir_t));
    if (!self) {
        snprintf (err, err_size, "%s: out of memory", dir);
        return NULL;
    }
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    struct stat st;
    if (stat (dir, &st) || !S_ISDIR (st.st_mode)) {
        snprintf (err, err_size, "%s: not a run directory (%s)", dir,
                  errno? strerror (errno): "not a directory");
        ss_rundir_destroy (&self);
        return NULL;
    }
    char path [PATH_MAX + 32];
    if (!fleet_path) {
        snprintf (path, sizeof path, "%s/fleet.zpl", dir);
        if (stat (path, &st) && errno == ENOENT) {
            snprintf (err, err_size, "%s: missing (written by sim and launch; "
                      "for an older run give --fleet FILE)", path);
            ss_rundir_destroy (&self);
            return NULL;
        }
        fleet_path = path;
    }
    self->fleet = ss_fleet_load (fleet_path, NULL, 0, err, err_size);
    if (!self->fleet) {
        ss_rundir_destroy (&self);
        return NULL;
    }
    self->d = self->fleet->model.dim;
    if (s_read_positions (self, "initial.csv", &self->initial, err, err_size)
    ||  s_read_positions (self, "positions.csv", &self->final, err, err_size)
    ||  s_read_trace (self, err, err_size)
    ||  s_read_frames (self, need_frames, err, err_size)
    ||  s_read_targets (self, err, err_size))
        ss_rundir_destroy (&self);
    return self;
}

void
ss_rundir_destroy (ss_rundir_t **self_p)
{
    if (*self_p) {
        ss_rundir_t *self = *self_p;
        ss_fleet_destroy (&self->fleet);
        s_frame_free (&self->initial);
        s_frame_free (&self->final);
        for (int i = 0; i < self->n_rows; i++)
            free (self->rows [i].lost);
        free (self->rows);
        for (int i = 0; i < self->n_frames; i++)
            s_frame_free (&self->frames [i]);
        free (self->frames);
        free (self->targets);
        free (self);
        *self_p = NULL;
    }
}

const ss_mixture_t *
ss_rundir_target (const ss_rundir_t *self, int64_t count)
{
    if (count > 0 && count <= self->n_targets)
        return &self->targets [count - 1].mixture;
    return &self->fleet->target;
}

const ss_rundir_frame_t *
ss_rundir_frame (const ss_rundir_t *self, int64_t round)
{
    int lo = 0, hi = self->n_frames - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (self->frames [mid].round == round)
            return &self->frames [mid];
        if (self->frames [mid].round < round)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}
