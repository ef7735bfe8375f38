/*  ss_rows: open report rounds and when their rows are due (ss_rows.h). */

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "ss_rows.h"

#define S_PACE_SAMPLES 16

struct ss_rows_t {
    int n, d, K, slots;
    ss_row_t *rows;             //  slots; round -1: free
    int64_t written;            //  last row written, -1
    int64_t lost_after;         //  us
    int64_t last;               //  the run's last round, -1 unknown
    int64_t grace;              //  us its row waits for lost agents
    int64_t last_first;         //  first report of the last row done, -1
    int64_t pace [S_PACE_SAMPLES];
    int n_pace, next_pace;
};

ss_rows_t *
ss_rows_new (int n, int d, int K, int slots, int lost_after_ms)
{
    ss_rows_t *self = calloc (1, sizeof (ss_rows_t));
    if (!self)
        return NULL;
    self->n = n;
    self->d = d;
    self->K = K;
    self->slots = slots;
    self->written = -1;
    self->last_first = -1;
    self->last = -1;
    self->lost_after = (int64_t) lost_after_ms * 1000;
    self->rows = calloc ((size_t) slots, sizeof (ss_row_t));
    if (!self->rows) {
        free (self);
        return NULL;
    }
    for (int r = 0; r < slots; r++) {
        ss_row_t *row = &self->rows [r];
        row->round = -1;
        row->held = -1;
        row->have = calloc ((size_t) n, 1);
        row->x = calloc ((size_t) n * d, sizeof (double));
        row->theta = calloc ((size_t) n * K, sizeof (double));
        row->s = calloc ((size_t) n * K, sizeof (double));
        if (!row->have || !row->x || !row->theta || !row->s) {
            ss_rows_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
ss_rows_destroy (ss_rows_t **self_p)
{
    ss_rows_t *self = *self_p;
    if (!self)
        return;
    for (int r = 0; self->rows && r < self->slots; r++) {
        free (self->rows [r].have);
        free (self->rows [r].x);
        free (self->rows [r].theta);
        free (self->rows [r].s);
    }
    free (self->rows);
    free (self);
    *self_p = NULL;
}

int64_t
ss_rows_written (const ss_rows_t *self)
{
    return self->written;
}

void
ss_rows_set_written (ss_rows_t *self, int64_t round)
{
    self->written = round;
}

void
ss_rows_set_last (ss_rows_t *self, int64_t round, int grace_ms)
{
    self->last = round;
    self->grace = (int64_t) grace_ms * 1000;
}

static ss_row_t *
s_oldest (ss_rows_t *self)
{
    ss_row_t *oldest = NULL;
    for (int r = 0; r < self->slots; r++)
        if (self->rows [r].round >= 0
        && (!oldest || self->rows [r].round < oldest->round))
            oldest = &self->rows [r];
    return oldest;
}

static void
s_clear (ss_rows_t *self, ss_row_t *row)
{
    row->round = -1;
    row->held = -1;
    row->count = 0;
    row->forced = false;
    row->step = 0;
    memset (row->have, 0, (size_t) self->n);
}

ss_rows_add_t
ss_rows_add (ss_rows_t *self, int i, int64_t round, const double *x, const double *theta,
             const double *s, double step, int64_t now)
{
    if (round <= self->written)
        return SS_ROWS_LATE;
    ss_row_t *row = NULL, *free_row = NULL;
    for (int r = 0; r < self->slots; r++) {
        if (self->rows [r].round == round)
            row = &self->rows [r];
        else
        if (self->rows [r].round < 0 && !free_row)
            free_row = &self->rows [r];
    }
    if (!row) {
        if (!free_row) {
            ss_row_t *oldest = s_oldest (self);
            if (oldest->round > round)
                return SS_ROWS_FULL;
            //  The oldest goes out with what it has; this report waits
            //  until it is written (the caller writes due rows, then adds)
            oldest->forced = true;
            return SS_ROWS_FULL;
        }
        row = free_row;
        row->round = round;
        row->first = now;
    }
    if (row->have [i])
        return SS_ROWS_DUPLICATE;
    row->have [i] = 1;
    row->count++;
    size_t d = (size_t) self->d, K = (size_t) self->K;
    memcpy (row->x + (size_t) i * d, x, d * sizeof (double));
    memcpy (row->theta + (size_t) i * K, theta, K * sizeof (double));
    memcpy (row->s + (size_t) i * K, s, K * sizeof (double));
    if (step > row->step)
        row->step = step;
    return SS_ROWS_ADDED;
}

static int
s_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y? -1: x > y;
}

int64_t
ss_rows_pace (const ss_rows_t *self)
{
    if (self->n_pace == 0)
        return -1;
    int64_t sorted [S_PACE_SAMPLES];
    memcpy (sorted, self->pace, (size_t) self->n_pace * sizeof (int64_t));
    qsort (sorted, (size_t) self->n_pace, sizeof (int64_t), s_cmp);
    return sorted [self->n_pace / 2];
}

int64_t
ss_rows_deadline (const ss_rows_t *self)
{
    int64_t pace = ss_rows_pace (self);
    int64_t floor = 2 * self->lost_after;
    return pace > 0 && 8 * pace > floor? 8 * pace: floor;
}

//  Complete: no agent still expected; strict: every live agent reported it
static bool
s_complete (const ss_rows_t *self, const ss_row_t *row, const ss_members_t *members,
            bool strict)
{
    for (int i = 0; i < self->n; i++)
        if (!row->have [i] && (strict? !ss_members_get ((ss_members_t *) members, i)->lost
                                     : ss_members_expected (members, i, row->round)))
            return false;
    return true;
}

//  Does a lost agent miss from the row?
static bool
s_lost_missing (const ss_rows_t *self, const ss_row_t *row, const ss_members_t *members)
{
    for (int i = 0; i < self->n; i++)
        if (!row->have [i] && ss_members_get ((ss_members_t *) members, i)->lost)
            return true;
    return false;
}

ss_row_t *
ss_rows_due (ss_rows_t *self, const ss_members_t *members, int64_t now, bool strict,
             int64_t *wake, bool *complete)
{
    *wake = INT64_MAX;
    ss_row_t *row = s_oldest (self);
    if (!row)
        return NULL;
    *complete = s_complete (self, row, members, strict);
    if (*complete && !row->forced && !strict && row->round == self->last
    &&  self->grace > 0 && s_lost_missing (self, row, members)) {
        //  The last row, complete but for lost agents: they get grace
        if (row->held < 0)
            row->held = now;
        if (now < row->held + self->grace) {
            *wake = row->held + self->grace;
            return NULL;
        }
    }
    if (*complete || row->forced)
        return row;
    for (int i = 0; i < self->n; i++)
        if (!row->have [i] && ss_members_behind (members, i, row->round))
            return NULL;        //  it comes: its report, or its loss, wakes us
    int64_t at = row->first + ss_rows_deadline (self);
    if (now >= at)
        return row;
    *wake = at;
    return NULL;
}

void
ss_rows_done (ss_rows_t *self, ss_row_t *row, bool written)
{
    if (written) {
        if (self->last_first >= 0 && row->first > self->last_first) {
            self->pace [self->next_pace] = row->first - self->last_first;
            self->next_pace = (self->next_pace + 1) % S_PACE_SAMPLES;
            if (self->n_pace < S_PACE_SAMPLES)
                self->n_pace++;
        }
        self->last_first = row->first;
        self->written = row->round;
    }
    s_clear (self, row);
}

int
ss_rows_drop_before (ss_rows_t *self, int64_t round)
{
    int dropped = 0;
    for (int r = 0; r < self->slots; r++)
        if (self->rows [r].round >= 0 && self->rows [r].round < round) {
            s_clear (self, &self->rows [r]);
            dropped++;
        }
    return dropped;
}

int64_t
ss_rows_newest_complete (ss_rows_t *self, const ss_members_t *members)
{
    int64_t newest = -1;
    for (int r = 0; r < self->slots; r++)
        if (self->rows [r].round > newest && s_complete (self, &self->rows [r], members, true))
            newest = self->rows [r].round;
    return newest;
}

bool
ss_rows_holding (const ss_rows_t *self)
{
    for (int r = 0; r < self->slots; r++)
        if (self->rows [r].round >= 0 && self->rows [r].held >= 0)
            return true;
    return false;
}

int
ss_rows_open (const ss_rows_t *self)
{
    int open = 0;
    for (int r = 0; r < self->slots; r++)
        open += self->rows [r].round >= 0;
    return open;
}
