/*  ss_connlimit: live connections per remote address, bounded. */
#include "ss_connlimit.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int fd;
    char address [SS_CONNLIMIT_ADDRESS];
} s_conn_t;

struct ss_connlimit_t {
    int limit;
    s_conn_t *conns;
    int n, cap;
    uint64_t refused;
};

ss_connlimit_t *
ss_connlimit_new (int limit)
{
    ss_connlimit_t *self = calloc (1, sizeof (ss_connlimit_t));
    if (self)
        self->limit = limit < 1? 1: limit;
    return self;
}

void
ss_connlimit_destroy (ss_connlimit_t **self_p)
{
    ss_connlimit_t *self = *self_p;
    if (!self)
        return;
    free (self->conns);
    free (self);
    *self_p = NULL;
}

int
ss_connlimit_bound (int honest)
{
    if (honest < 0)
        honest = 0;
    if (honest > 1 << 24)
        honest = 1 << 24;
    return 2 * honest + 256;
}

int
ss_connlimit_count (ss_connlimit_t *self, const char *address)
{
    int count = 0;
    for (int i = 0; i < self->n; i++)
        count += strncmp (self->conns [i].address, address, SS_CONNLIMIT_ADDRESS) == 0;
    return count;
}

bool
ss_connlimit_accept (ss_connlimit_t *self, int fd, const char *address)
{
    ss_connlimit_close (self, fd);
    if (ss_connlimit_count (self, address) >= self->limit) {
        self->refused++;
        return false;
    }
    if (self->n == self->cap) {
        int cap = self->cap? 2 * self->cap: 64;
        s_conn_t *conns = realloc (self->conns, (size_t) cap * sizeof (s_conn_t));
        if (!conns) {
            self->refused++;        //  no memory to count it: refuse it
            return false;
        }
        self->conns = conns;
        self->cap = cap;
    }
    s_conn_t *conn = &self->conns [self->n++];
    conn->fd = fd;
    strncpy (conn->address, address, SS_CONNLIMIT_ADDRESS - 1);
    conn->address [SS_CONNLIMIT_ADDRESS - 1] = 0;
    return true;
}

void
ss_connlimit_close (ss_connlimit_t *self, int fd)
{
    for (int i = 0; i < self->n; i++)
        if (self->conns [i].fd == fd) {
            self->conns [i] = self->conns [--self->n];
            return;
        }
}

int
ss_connlimit_size (ss_connlimit_t *self)
{
    return self->n;
}

uint64_t
ss_connlimit_refused (ss_connlimit_t *self)
{
    return self->refused;
}
