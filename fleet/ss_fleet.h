/*  ss_fleet: one fleet file (ZPL, read with zconfig) into one struct.

    Every key of the fleet file is one row of one table (ss_fleet_keys,
    in ss_fleet.c, like Redis' static_configs[]): its path, type, default,
    bounds and one line of documentation. Model defaults come from
    ss_model_defaults and ss_mixture_defaults, the one table of model
    numbers; every other default is the row's. The table drives the shape
    check (unknown and duplicate keys), the parsing of every value with its
    bounds, `--set PATH=VALUE` overrides (applied to the zconfig tree before
    it is read, so they obey the same checks), ss_fleet_write and the test
    that deploy/fleets/demo.zpl documents every key with its default.

    Any error (missing file, syntax, unknown key, bad value) yields NULL and
    one line in err: "FILE: KEY: what is wrong". Ports are not checked when
    loading (sim opens no socket): whoever opens one calls
    ss_fleet_check_ports.
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
typedef enum { SS_TRANSPORT_AUTO, SS_TRANSPORT_TCP } ss_transport_t;

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
    ss_mixture_t target;    //  components, and the image's grid if any
    char target_image [PATH_MAX];   //  target/image: a picture, resolved; "": none
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
    char http [256];        //  host:port of the live page and /metrics; "": off
    bool curve;
    char keys [PATH_MAX];   //  resolved certificate directory
    char state_dir [PATH_MAX];  //  agents' checkpoints ["state", resolved]
    //  faults (not hashed into ss_fleet_id: tuning may differ per run)
    int heartbeat_ms;       //  heartbeat period to neighbours
    int round_timeout_ms;   //  longest grace for an estimate known to be late
    int lost_after_ms;      //  silence after which a neighbour is lost
    int evasive_ms;         //  silence after which a neighbour is pinged
    int start_timeout_ms;   //  longest wait for a neighbour at start
    double grace_factor;    //  grace = factor x the typical round time
    int grace_min_ms;       //  ... and at least this
    double lossy_wait;      //  typical rounds a round waits on a lossy link (0: off)
    int forecast_rounds;    //  rounds a missing estimate's mass is forecast (0: off)
    int checkpoint_every;   //  rounds between checkpoints
    int settle_rounds;      //  rounds without motion after an epoch change
    //  links (not hashed either)
    int connections;        //  connections per link, used in turn
    ss_transport_t transport;   //  same-host links over ipc:// (auto) or tcp
    int rto_min_ms;         //  TCP retransmission timeout's floor (0: the kernel's)
    int delack_max_ms;      //  longest delayed acknowledgement (0: the kernel's)
    int rto_max_ms;         //  TCP retransmission timeout's ceiling (0: the kernel's)
    int copies;             //  connections each estimate goes out on (0: auto)
    int datagrams;          //  sealed UDP copies of each estimate on a lossy link
} ss_fleet_t;
//  (defaults, bounds and documentation of every field: the key table)

//  --------------------------------------------------------------------------
//  The key table

typedef enum {
    SS_FLEET_SECTION,       //  a section of keys
    SS_FLEET_REPEAT,        //  a section that repeats (target/component, agents/agent)
    SS_FLEET_INT,           //  an int in min..max
    SS_FLEET_INT64,         //  an int64_t in min..max
    SS_FLEET_UINT64,        //  a uint64_t, 0..2^64-1
    SS_FLEET_FLAG,          //  0 or 1, into a bool
    SS_FLEET_DOUBLE,        //  a finite number; bound: min 0 any, 1 > 0, 2 >= 0
    SS_FLEET_NAME,          //  1..size-1 of [A-Za-z0-9._-]
    SS_FLEET_WORD,          //  1..size-1 characters, no blanks
    SS_FLEET_STRING,        //  0..size-1 characters, no blanks ("": off)
    SS_FLEET_ENUM,          //  one of the row's words, into an int
    SS_FLEET_PATH,          //  a word naming a file, resolved against the
                            //  fleet file's folder
    SS_FLEET_VECTOR,        //  a list of d numbers in [lo, hi]
    SS_FLEET_EDGES          //  a list of links "i-j" of agent ids
} ss_fleet_type_t;

#define SS_FLEET_ANY         0      //  SS_FLEET_DOUBLE bounds (in min)
#define SS_FLEET_POSITIVE    1
#define SS_FLEET_NONNEGATIVE 2

//  Row flags
#define SS_FLEET_MODEL    1         //  default from ss_model_defaults
#define SS_FLEET_REQUIRED 2         //  must be given in its (repeated) section
#define SS_FLEET_OPTIONAL 4         //  may have no value at all (written
                                    //  commented out then)

typedef struct {
    const char *path;       //  relative to `fleet`, as --set takes it: "model/ell"
    ss_fleet_type_t type;
    size_t offset;          //  of the field in its section's struct:
                            //  ss_fleet_t, or ss_component_t under
                            //  target/component, ss_agent_spec_t under
                            //  agents/agent; SIZE_MAX: not stored
    size_t size;            //  char fields: the size of the array
    long long min, max;     //  integer bounds; doubles: SS_FLEET_ANY...
    const char *(*word) (int value);    //  ENUM: the word of a value, NULL
                                        //  past the last
    const char *what;       //  in messages: "a host name", "graph kind"
    const char *value;      //  the default, as a value of the file, or NULL
    const char *shown;      //  else the default as documented ("lo",
                            //  "required", "none"), or NULL with MODEL
    int flags;
    const char *doc;        //  one line
} ss_fleet_key_t;

//  The table, in the order of a fleet file; *count set to its length
const ss_fleet_key_t *ss_fleet_keys (int *count);

//  The row of a path ("model/ell", "fleet/model/ell" or "/model/ell"), or NULL
const ss_fleet_key_t *ss_fleet_key (const char *path);

//  The default of a row as documented in brackets: "0.15", "ring", "lo",
//  "required", "" (empty string). 0, or -1 if it did not fit.
int ss_fleet_key_default (const ss_fleet_key_t *key, char *out, size_t size);

//  The value of a key of a loaded fleet as ss_fleet_write writes it (paths
//  relative to the fleet file's folder when they lie under it; not for
//  sections and repeated sections). 0, or -1 (no such key, or no value).
int ss_fleet_get (const ss_fleet_t *self, const char *path, char *out, size_t size);

//  Load a fleet file with overrides ("PATH=VALUE", PATH relative to the
//  fleet section, e.g. "agents/count=200"). NULL and a line in err on error.
ss_fleet_t *ss_fleet_load (const char *path, const char *const *sets, int n_sets,
                           char *err, size_t err_size);
void ss_fleet_destroy (ss_fleet_t **self_p);

//  Write a complete fleet file to path: every key of the table with its
//  value, its default and its one line of documentation, such that
//  ss_fleet_load of path gives an equal fleet (ss_fleet_diff is NULL: same
//  ss_fleet_id, same positions, same every field; paths may be spelled
//  otherwise but name the same files). Checked before it is written, and
//  written atomically (ss_file). With init = file the CSV must be readable
//  at self->init_file. 0, or -1 and a line in err.
int ss_fleet_write (const ss_fleet_t *self, const char *path, char *err,
                    size_t err_size);

//  NULL if a and b are the same fleet, every field of the table equal
//  (path and dir, the files' own names, are not compared); else the path
//  of the first key that differs, as the table names it ("model/ell",
//  "agents/agent/x", "target/component" for the number of components,
//  "target/image" for the picture's levels).
const char *ss_fleet_diff (const ss_fleet_t *a, const ss_fleet_t *b);

//  Check the ports of the agents, for a program that opens sockets: every
//  port in 1..65535 (base_port + id may pass it) and no two agents on one
//  host and port. 0, or -1 and a line in err ("FILE: KEY: problem").
int ss_fleet_check_ports (const ss_fleet_t *self, char *err, size_t err_size);

//  Build the communication graph (geometric uses the initial positions).
//  NULL and a line in err if the graph is invalid or not connected.
ss_graph_t *ss_fleet_graph (const ss_fleet_t *self, char *err, size_t err_size);

//  Initial positions of all agents into x (count x dim)
void ss_fleet_positions (const ss_fleet_t *self, double *x);

//  64-bit identity of the fleet: name, count, model and graph. Agents with
//  different configurations refuse each other's messages.
uint64_t ss_fleet_id (const ss_fleet_t *self);

//  Read a target from a file: a picture (PGM or PNG, by its name .pgm/.png
//  or its content; resampled onto the model's grid, ss_image), or a ZPL
//  file with a `target` section (the format of the fleet file's, `image`
//  relative to that file) or a whole fleet file (its fleet/target). 0 or
//  -1 and a line in err.
int ss_fleet_load_target (const char *path, const ss_model_t *model,
                          ss_mixture_t *target, char *err, size_t err_size);

#endif
