/*  ss_runlog: writes a run's files. JSON is written by hand: the objects
    are flat, the keys fixed, and a non-finite number becomes null so that
    every line stays valid JSON for the plotting tools.
*/

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ss_runlog.h"

struct ss_runlog_t {
    char dir [PATH_MAX];
    FILE *trace;
    ss_file_t *pending;     //  the file s_open_tmp began, s_commit ends
};

//  Cut a trace file back to its last newline (a row half written when its
//  writer was killed). Missing file: nothing to do.
static void
s_trim_partial (const char *path)
{
    FILE *file = fopen (path, "r+");
    if (!file)
        return;
    long keep = 0, at = 0;
    int c;
    while ((c = fgetc (file)) != EOF) {
        at++;
        if (c == '\n')
            keep = at;
    }
    if (keep < at && ftruncate (fileno (file), (off_t) keep) == 0)
        fprintf (stderr, "%s: cut a partial last line (%ld bytes)\n", path, at - keep);
    fclose (file);
}

ss_runlog_t *
ss_runlog_new (const char *dir, bool resume, char *err, size_t err_size)
{
    ss_runlog_t *self = calloc (1, sizeof (ss_runlog_t));
    if (!self) {
        snprintf (err, err_size, "%s: out of memory", dir);
        return NULL;
    }
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/trace.jsonl", dir);
    if (resume)
        s_trim_partial (path);
    if (ss_mkdirs (dir, 0755) || !(self->trace = fopen (path, resume? "a": "w"))) {
        snprintf (err, err_size, "%s: cannot write the run's files (%s)",
                  dir, strerror (errno));
        free (self);
        return NULL;
    }
    return self;
}

void
ss_runlog_destroy (ss_runlog_t **self_p)
{
    if (*self_p) {
        if ((*self_p)->trace)
            fclose ((*self_p)->trace);
        ss_file_destroy (&(*self_p)->pending);
        free (*self_p);
        *self_p = NULL;
    }
}

const char *
ss_runlog_dir (ss_runlog_t *self)
{
    return self->dir;
}

//  Begin NAME in the run directory (ss_file: a temporary beside it);
//  s_commit flushes, fsyncs and renames it. One file at a time.
static FILE *
s_open_tmp (ss_runlog_t *self, const char *name, char *tmp, size_t tmp_size)
{
    assert (!self->pending);
    snprintf (tmp, tmp_size, "%s/%s", self->dir, name);
    self->pending = ss_file_new (tmp, 0644);
    return self->pending? ss_file_stream (self->pending): NULL;
}

static int
s_commit (ss_runlog_t *self, FILE *file, const char *tmp, const char *name)
{
    (void) name;
    (void) tmp;
    (void) file;
    assert (self->pending && ss_file_stream (self->pending) == file);
    return ss_file_commit (&self->pending);
}

int
ss_runlog_positions (ss_runlog_t *self, const char *name, const double *x,
                     int n, int dim)
{
    char tmp [PATH_MAX + 64];
    FILE *file = s_open_tmp (self, name, tmp, sizeof tmp);
    if (!file)
        return -1;
    fprintf (file, "id");
    for (int a = 0; a < dim; a++)
        fprintf (file, ",x%d", a + 1);
    fprintf (file, "\n");
    for (int i = 0; i < n; i++) {
        fprintf (file, "%d", i);
        for (int a = 0; a < dim; a++)
            fprintf (file, ",%.17g", x [(size_t) i * dim + a]);
        fprintf (file, "\n");
    }
    return s_commit (self, file, tmp, name);
}

static void
s_number (FILE *file, const char *key, double value)
{
    if (isfinite (value))
        fprintf (file, ",\"%s\":%.17g", key, value);
    else
        fprintf (file, ",\"%s\":null", key);
}

static void
s_ids (FILE *file, const char *key, const int *ids, int n)
{
    fprintf (file, ",\"%s\":[", key);
    for (int i = 0; i < n; i++)
        fprintf (file, "%s%d", i? ",": "", ids [i]);
    fprintf (file, "]");
}

int
ss_runlog_trace (ss_runlog_t *self, const ss_trace_row_t *row)
{
    FILE *file = self->trace;
    fprintf (file, "{\"round\":%lld,\"agents\":%d", (long long) row->round, row->agents);
    s_number (file, "J", row->J);
    s_number (file, "kl", row->kl);
    s_number (file, "disagreement", row->disagreement);
    s_number (file, "step", row->step);
    s_number (file, "grad", row->grad);
    s_number (file, "bias", row->bias);
    s_number (file, "seconds", row->seconds);
    fprintf (file, ",\"target\":%llu", (unsigned long long) row->target);
    s_ids (file, "lost", row->lost, row->n_lost);
    fprintf (file, "}\n");
    return fflush (file) == 0? 0: -1;
}

int
ss_runlog_text (ss_runlog_t *self, const char *name, const char *text)
{
    char tmp [PATH_MAX + 64];
    FILE *file = s_open_tmp (self, name, tmp, sizeof tmp);
    if (!file)
        return -1;
    fputs (text, file);
    return s_commit (self, file, tmp, name);
}

int
ss_runlog_summary (ss_runlog_t *self, const ss_summary_t *sum)
{
    char tmp [PATH_MAX + 64];
    FILE *file = s_open_tmp (self, "summary.json", tmp, sizeof tmp);
    if (!file)
        return -1;
    fprintf (file, "{\"mode\":\"%s\",\"fleet\":\"", sum->mode);
    for (const char *c = sum->fleet; *c; c++)
        if (*c == '"' || *c == '\\')
            fprintf (file, "\\%c", *c);
        else
        if ((unsigned char) *c >= 0x20)
            fputc (*c, file);
    fprintf (file, "\",\"rounds\":%lld,\"agents\":%d", (long long) sum->rounds, sum->agents);
    s_number (file, "J0", sum->J0);
    s_number (file, "J", sum->J);
    s_number (file, "kl0", sum->kl0);
    s_number (file, "kl", sum->kl);
    s_number (file, "grad0", sum->grad0);
    s_number (file, "grad", sum->grad);
    s_number (file, "disagreement", sum->disagreement);
    s_number (file, "bias", sum->bias);
    s_number (file, "seconds", sum->seconds);
    s_number (file, "rounds_per_second", sum->rounds_per_second);
    s_ids (file, "lost", sum->lost, sum->n_lost);
    fprintf (file, ",\"missed_reports\":%lld", (long long) sum->missed_reports);
    fprintf (file, ",\"late_reports\":%lld}\n", (long long) sum->late_reports);
    return s_commit (self, file, tmp, "summary.json");
}
