/*  ss_graph: undirected communication graphs in compressed adjacency form,
    and their generators: ring, grid, geometric, complete, edge list.
*/
#ifndef SS_GRAPH_H
#define SS_GRAPH_H

#include <stdbool.h>

typedef enum {
    SS_GRAPH_RING, SS_GRAPH_GRID, SS_GRAPH_GEOMETRIC, SS_GRAPH_COMPLETE,
    SS_GRAPH_EDGES
} ss_graph_kind_t;

typedef struct {
    int n;
    int *offset;        //  n + 1
    int *adj;           //  offset[n] entries, each row sorted ascending
} ss_graph_t;

//  Ring: i talks to i +- 1 .. i +- degree/2 (degree even, < n)
ss_graph_t *ss_graph_ring (int n, int degree);
//  Grid: agents on rows of width ceil(sqrt n), 4-neighbourhood
ss_graph_t *ss_graph_grid (int n);
//  Geometric: an edge where |x_i - x_j| <= radius (positions n x dim)
ss_graph_t *ss_graph_geometric (int n, const double *x, int dim, double radius);
ss_graph_t *ss_graph_complete (int n);
//  From an edge list (pairs, 2*n_edges ints); duplicates merged, NULL on a
//  self-loop or an id out of range
ss_graph_t *ss_graph_edges (int n, const int *pairs, int n_edges);
void ss_graph_destroy (ss_graph_t **self_p);

int ss_graph_degree (const ss_graph_t *self, int i);
const int *ss_graph_neighbours (const ss_graph_t *self, int i);
bool ss_graph_has_edge (const ss_graph_t *self, int i, int j);
bool ss_graph_connected (const ss_graph_t *self);
const char *ss_graph_kind_name (ss_graph_kind_t kind);

#endif
