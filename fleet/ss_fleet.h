/*  ss_fleet: one fleet file (ZPL, read with zconfig) into one struct.

    Every model key starts at its default from ss_model; a fleet file names
    only what differs. `--set PATH=VALUE` overrides are applied to the
    zconfig tree before it is read, so they obey the same checks. Any error
    (missing file, syntax, unknown key, bad value) yields NULL and one line
    in err: "FILE: KEY: what is wrong".
*/
#ifndef SS_FLEET_H
#define SS_FLEET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ss_model.h"
#include "ss_graph.h"

#define SS_FLEET_MAX_AGENTS 100000

typedef enum { SS_INIT_UNIFORM, SS_INIT_BOX, SS_INIT_FILE } ss_init_t;

typedef struct {
    char host [256];        //  host this agent runs on
    int port;               //  port it binds
    double x0 [SS_MAX_DIM]; //  initial position (resolved)
} ss_agent_spec_t;

typedef struct {
    char path [PATH_MAX];   //  the fleet file as given
    char dir [PATH_MAX];    //  its directory (relative paths resolve here)
    char name [64];
    int64_t rounds;         //  0: until stopped
    uint64_t seed;
    ss_model_t model;
    ss_mixture_t target;
    ss_graph_kind_t graph_kind;
    int graph_degree;       //  ring
    double graph_radius;    //  geometric
    int n_edges;            //  edges: pairs in edges[2*n_edges]
    int *edges;
    int count;              //  N
    ss_init_t init;
    double box_lo, box_hi;  //  init = box: uniform on [box_lo, box_hi]^d
    char init_file [PATH_MAX];  //  init = file: a CSV like initial.csv
    char host [256];
    int base_port;
    ss_agent_spec_t *agents;    //  count entries
    char coordinator [256];     //  endpoint
    int report_every;
    bool curve;
    char keys [PATH_MAX];   //  resolved certificate directory
    char state_dir [PATH_MAX];  //  agents' checkpoints ["state", resolved]
    //  faults (not hashed into ss_fleet_id: tuning may differ per run)
    int heartbeat_ms;       //  [250] heartbeat period to neighbours
    int round_timeout_ms;   //  [2000] longest wait for a live neighbour
    int lost_after_ms;      //  [5000] silence after which a neighbour is lost
    int checkpoint_every;   //  [50] rounds between checkpoints
    int settle_rounds;      //  [20] rounds without motion after an epoch change
} ss_fleet_t;

//  Load a fleet file with overrides ("PATH=VALUE", PATH relative to the
//  fleet section, e.g. "agents/count=200"). NULL and a line in err on error.
ss_fleet_t *ss_fleet_load (const char *path, const char *const *sets, int n_sets,
                           char *err, size_t err_size);
void ss_fleet_destroy (ss_fleet_t **self_p);

//  Build the communication graph (geometric uses the initial positions).
//  NULL and a line in err if the graph is invalid or not connected.
ss_graph_t *ss_fleet_graph (const ss_fleet_t *self, char *err, size_t err_size);

//  Initial positions of all agents into x (count x dim)
void ss_fleet_positions (const ss_fleet_t *self, double *x);

//  64-bit identity of the fleet: name, count, model and graph. Agents with
//  different configurations refuse each other's messages.
uint64_t ss_fleet_id (const ss_fleet_t *self);

//  Read a target mixture from a ZPL file with a `target` section (the
//  format of the fleet file's). NULL-free: 0 or -1 and a line in err.
int ss_fleet_load_target (const char *path, const ss_model_t *model,
                          ss_mixture_t *target, char *err, size_t err_size);

#endif
