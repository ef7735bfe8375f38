/*  ss_graph: undirected graphs as sorted adjacency rows. Generators build
    an edge list, then one builder sorts, merges duplicates and packs it.
*/

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ss_graph.h"

static int
s_cmp_int (const void *a, const void *b)
{
    int x = *(const int *) a, y = *(const int *) b;
    return (x > y) - (x < y);
}

//  Build from pairs (both directions added here); NULL on a bad pair
static ss_graph_t *
s_graph_build (int n, const int *pairs, long n_edges)
{
    if (n < 1)
        return NULL;
    for (long e = 0; e < n_edges; e++) {
        int i = pairs [2 * e], j = pairs [2 * e + 1];
        if (i < 0 || j < 0 || i >= n || j >= n || i == j)
            return NULL;
    }
    ss_graph_t *self = calloc (1, sizeof (ss_graph_t));
    int *count = calloc ((size_t) n + 1, sizeof (int));
    int *fill = calloc ((size_t) n + 1, sizeof (int));
    int *adj = malloc ((size_t) (2 * n_edges + 1) * sizeof (int));
    if (!self || !count || !fill || !adj) {
        free (self); free (count); free (fill); free (adj);
        return NULL;
    }
    for (long e = 0; e < n_edges; e++) {
        count [pairs [2 * e] + 1]++;
        count [pairs [2 * e + 1] + 1]++;
    }
    for (int i = 0; i < n; i++)
        count [i + 1] += count [i];
    for (long e = 0; e < n_edges; e++) {
        int i = pairs [2 * e], j = pairs [2 * e + 1];
        adj [count [i] + fill [i]++] = j;
        adj [count [j] + fill [j]++] = i;
    }
    //  Sort each row, drop duplicates, compact
    self->n = n;
    self->offset = calloc ((size_t) n + 1, sizeof (int));
    self->adj = adj;
    if (!self->offset) {
        free (count); free (fill);
        ss_graph_destroy (&self);
        return NULL;
    }
    int out = 0;
    for (int i = 0; i < n; i++) {
        int *row = adj + count [i];
        int len = count [i + 1] - count [i];
        qsort (row, (size_t) len, sizeof (int), s_cmp_int);
        self->offset [i] = out;
        for (int r = 0; r < len; r++)
            if (r == 0 || row [r] != row [r - 1])
                adj [out++] = row [r];
    }
    self->offset [n] = out;
    free (count);
    free (fill);
    return self;
}

ss_graph_t *
ss_graph_ring (int n, int degree)
{
    if (n < 1 || degree < 0 || degree % 2 || (n > 1 && degree >= n))
        return NULL;
    int half = degree / 2;
    int *pairs = malloc ((size_t) (2 * n * half + 1) * sizeof (int));
    if (!pairs)
        return NULL;
    long e = 0;
    for (int i = 0; i < n; i++)
        for (int step = 1; step <= half; step++) {
            pairs [2 * e] = i;
            pairs [2 * e + 1] = (i + step) % n;
            e++;
        }
    ss_graph_t *self = s_graph_build (n, pairs, e);
    free (pairs);
    return self;
}

ss_graph_t *
ss_graph_grid (int n)
{
    if (n < 1)
        return NULL;
    int width = (int) ceil (sqrt ((double) n));
    int *pairs = malloc ((size_t) (4 * n + 1) * sizeof (int));
    if (!pairs)
        return NULL;
    long e = 0;
    for (int i = 0; i < n; i++) {
        if ((i + 1) % width && i + 1 < n) {
            pairs [2 * e] = i; pairs [2 * e + 1] = i + 1; e++;
        }
        if (i + width < n) {
            pairs [2 * e] = i; pairs [2 * e + 1] = i + width; e++;
        }
    }
    ss_graph_t *self = s_graph_build (n, pairs, e);
    free (pairs);
    return self;
}

ss_graph_t *
ss_graph_geometric (int n, const double *x, int dim, double radius)
{
    if (n < 1 || !(radius > 0))
        return NULL;
    long cap = 64, e = 0;
    int *pairs = malloc ((size_t) cap * 2 * sizeof (int));
    if (!pairs)
        return NULL;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double r2 = 0;
            for (int a = 0; a < dim; a++) {
                double dx = x [i * dim + a] - x [j * dim + a];
                r2 += dx * dx;
            }
            if (r2 > radius * radius)
                continue;
            if (e == cap) {
                int *more = realloc (pairs, (size_t) cap * 4 * sizeof (int));
                if (!more) {
                    free (pairs);
                    return NULL;
                }
                pairs = more;
                cap *= 2;
            }
            pairs [2 * e] = i; pairs [2 * e + 1] = j; e++;
        }
    ss_graph_t *self = s_graph_build (n, pairs, e);
    free (pairs);
    return self;
}

ss_graph_t *
ss_graph_complete (int n)
{
    if (n < 1 || n > 20000)
        return NULL;
    long edges = (long) n * (n - 1) / 2, e = 0;
    int *pairs = malloc ((size_t) (2 * edges + 1) * sizeof (int));
    if (!pairs)
        return NULL;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            pairs [2 * e] = i; pairs [2 * e + 1] = j; e++;
        }
    ss_graph_t *self = s_graph_build (n, pairs, e);
    free (pairs);
    return self;
}

ss_graph_t *
ss_graph_edges (int n, const int *pairs, int n_edges)
{
    return n_edges < 0? NULL: s_graph_build (n, pairs, n_edges);
}

void
ss_graph_destroy (ss_graph_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->offset);
        free ((*self_p)->adj);
        free (*self_p);
        *self_p = NULL;
    }
}

int
ss_graph_degree (const ss_graph_t *self, int i)
{
    return self->offset [i + 1] - self->offset [i];
}

const int *
ss_graph_neighbours (const ss_graph_t *self, int i)
{
    return self->adj + self->offset [i];
}

bool
ss_graph_has_edge (const ss_graph_t *self, int i, int j)
{
    const int *row = ss_graph_neighbours (self, i);
    return bsearch (&j, row, (size_t) ss_graph_degree (self, i), sizeof (int),
                    s_cmp_int) != NULL;
}

bool
ss_graph_connected (const ss_graph_t *self)
{
    //  Breadth-first from agent 0
    int *queue = malloc ((size_t) self->n * sizeof (int));
    char *seen = calloc ((size_t) self->n, 1);
    if (!queue || !seen) {
        free (queue); free (seen);
        return false;
    }
    int head = 0, tail = 0, reached = 1;
    queue [tail++] = 0;
    seen [0] = 1;
    while (head < tail) {
        int i = queue [head++];
        const int *row = ss_graph_neighbours (self, i);
        for (int r = 0; r < ss_graph_degree (self, i); r++)
            if (!seen [row [r]]) {
                seen [row [r]] = 1;
                queue [tail++] = row [r];
                reached++;
            }
    }
    free (queue);
    free (seen);
    return reached == self->n;
}

const char *
ss_graph_kind_name (ss_graph_kind_t kind)
{
    static const char *names [] = {
        "ring", "grid", "geometric", "complete", "edges"
    };
    return kind >= 0 && kind <= SS_GRAPH_EDGES? names [kind]: "unknown";
}
