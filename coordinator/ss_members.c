/*  ss_members: the coordinator's view of each agent (see ss_members.h). */

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "ss_members.h"

struct ss_members_t {
    int n, d;
    ss_member_t *members;
    double *pos;                //  n x d
    int64_t lost_after, start_timeout, start;   //  us
    int64_t final;              //  the run's last round, -1 not known
};

ss_members_t *
ss_members_new (int n, int d, const double *x0, int lost_after_ms, int start_timeout_ms,
                int64_t now)
{
    ss_members_t *self = calloc (1, sizeof (ss_members_t));
    if (!self)
        return NULL;
    self->n = n;
    self->d = d;
    self->members = calloc ((size_t) n, sizeof (ss_member_t));
    self->pos = malloc ((size_t) n * d * sizeof (double));
    if (!self->members || !self->pos) {
        ss_members_destroy (&self);
        return NULL;
    }
    memcpy (self->pos, x0, (size_t) n * d * sizeof (double));
    for (int i = 0; i < n; i++)
        self->members [i] = (ss_member_t) { .heard = -1, .hi = -1, .shown = -1,
                                            .pos_round = -1, .target_resent = -1 };
    self->lost_after = (int64_t) lost_after_ms * 1000;
    self->start_timeout = (int64_t) start_timeout_ms * 1000;
    self->start = now;
    self->final = -1;
    return self;
}

void
ss_members_destroy (ss_members_t **self_p)
{
    ss_members_t *self = *self_p;
    if (self) {
        free (self->members);
        free (self->pos);
        free (self);
        *self_p = NULL;
    }
}

int
ss_members_size (const ss_members_t *self)
{
    return self->n;
}

ss_member_t *
ss_members_get (ss_members_t *self, int i)
{
    assert (i >= 0 && i < self->n);
    return &self->members [i];
}

const double *
ss_members_positions (const ss_members_t *self)
{
    return self->pos;
}

bool
ss_members_heard (ss_members_t *self, int i, int64_t now, int64_t round, uint64_t epoch)
{
    ss_member_t *m = &self->members [i];
    bool back = m->lost;
    m->lost = false;
    m->heard = now;
    m->epoch = epoch;
    if (round > m->shown)
        m->shown = round;
    return back;
}

void
ss_members_report (ss_members_t *self, int i, int64_t round, const double *x,
                   const uint64_t *counters, int n_counters)
{
    ss_member_t *m = &self->members [i];
    if (round > m->hi)
        m->hi = round;
    if (round > m->shown)
        m->shown = round;
    if (round > m->pos_round) {
        m->pos_round = round;
        memcpy (self->pos + (size_t) i * self->d, x, (size_t) self->d * sizeof (double));
        int nc = n_counters < SS_CTR_COUNT? n_counters: SS_CTR_COUNT;
        memset (m->counters, 0, sizeof m->counters);
        memcpy (m->counters, counters, (size_t) nc * sizeof (uint64_t));
    }
}

//  When agent i goes lost if it stays silent
static int64_t
s_deadline (const ss_members_t *self, const ss_member_t *m)
{
    //  An agent that reported the run's last round has done its part: it
    //  leaves, and its silence then is not loss (the last row may still
    //  wait for one counted lost, and those done went lost meanwhile)
    if (self->final >= 0 && m->hi >= self->final)
        return INT64_MAX;
    return m->heard >= 0? m->heard + self->lost_after: self->start + self->start_timeout;
}

void
ss_members_set_final (ss_members_t *self, int64_t round)
{
    self->final = round;
}

int
ss_members_check (ss_members_t *self, int64_t now, int *lost, int n)
{
    int count = 0;
    for (int i = 0; i < self->n; i++) {
        ss_member_t *m = &self->members [i];
        if (m->lost || now < s_deadline (self, m))
            continue;
        m->lost = true;
        if (count < n)
            lost [count] = i;
        count++;
    }
    return count;
}

int64_t
ss_members_next_check (const ss_members_t *self)
{
    int64_t next = INT64_MAX;
    for (int i = 0; i < self->n; i++)
        if (!self->members [i].lost && s_deadline (self, &self->members [i]) < next)
            next = s_deadline (self, &self->members [i]);
    return next;
}

int
ss_members_live (const ss_members_t *self)
{
    int live = 0;
    for (int i = 0; i < self->n; i++)
        live += !self->members [i].lost;
    return live;
}

int
ss_members_lost_ids (const ss_members_t *self, int *ids)
{
    int count = 0;
    for (int i = 0; i < self->n; i++)
        if (self->members [i].lost)
            ids [count++] = i;
    return count;
}

bool
ss_members_expected (const ss_members_t *self, int i, int64_t k)
{
    const ss_member_t *m = &self->members [i];
    return !m->lost && m->hi < k;
}

bool
ss_members_behind (const ss_members_t *self, int i, int64_t k)
{
    const ss_member_t *m = &self->members [i];
    return !m->lost && m->hi < k && m->shown < k;
}
