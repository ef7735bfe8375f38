/*  ss_fleet: the fleet file, its key table, its loader and its writer.

    The key table s_keys [] below is the one place where a key of the
    fleet file is defined: path, type, where it is stored, bounds, default
    and one line of documentation. Everything else reads it:

    - the shape check: every item of the file must be a row (unknown
      keys), a leaf has no children, a section no value, only a repeated
      section (target/component, agents/agent) repeats (duplicate keys);
    - the value parser: one function per type, with the row's bounds, and
      one message shape per type ("FILE: KEY: expected ..., got '...'");
    - the defaults: ss_model_defaults for the model rows, the row's value
      for the others, parsed like a value of the file; a few defaults are
      derived from other keys (box_lo = lo) and say so in their row;
    - ss_fleet_write, ss_fleet_get and ss_fleet_diff (format and compare a
      field by its row), and the test that demo.zpl documents every row.

    A fleet file is read in four passes over one zconfig tree:

    1. load: the file must exist and be valid ZPL, with one `fleet` section
       at the top;
    2. overrides: every "PATH=VALUE" is put into the tree, so an override
       goes through exactly the checks a value written in the file does;
    3. shape: every item is checked against the table before any value is
       read, so a typo is reported even under a section we would not read;
    4. values: every row of a plain section is parsed in table order, then
       what the table cannot say is checked in code: the model and target
       against ss_model_check and ss_mixture_check, bounds that depend on
       other keys (box inside [lo, hi], a ring's degree, edges and agent ids
       below count), then initial positions and the agents' overrides.

    The first error wins and is one line: "FILE: KEY: problem". Ports are
    left to ss_fleet_check_ports: only a program that opens sockets needs
    them to fit in 16 bits.

    Adding a key: a field in ss_fleet_t, a row here (in file order), a line
    in deploy/fleets/demo.zpl with its [default]; test_fleet checks the rest.
*/

#define _GNU_SOURCE             //  open_memstream
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <czmq.h>
#include "ss_fleet.h"
#include "ss_file.h"
#include "ss_image.h"
#include "ss_rng.h"

//  --------------------------------------------------------------------------
//  Words of the enumerated keys

static const char *
s_init_word (int value)
{
    static const char *words [] = { "uniform", "box", "file" };
    return value >= 0 && value <= SS_INIT_FILE? words [value]: NULL;
}

static const char *
s_transport_word (int value)
{
    static const char *words [] = { "auto", "tcp" };
    return value >= 0 && value <= SS_TRANSPORT_TCP? words [value]: NULL;
}

static const char *
s_graph_word (int value)
{
    return value >= 0 && value <= SS_GRAPH_EDGES?
        ss_graph_kind_name ((ss_graph_kind_t) value): NULL;
}

//  --------------------------------------------------------------------------
//  The key table. Rows in file order; a repeated section's rows follow all
//  plain rows of its parent section.

#define F(field) offsetof (ss_fleet_t, field), sizeof (((ss_fleet_t *) 0)->field)
#define C(field) offsetof (ss_component_t, field), sizeof (((ss_component_t *) 0)->field)
#define A(field) offsetof (ss_agent_spec_t, field), sizeof (((ss_agent_spec_t *) 0)->field)
#define NONE     SIZE_MAX, 0

static const ss_fleet_key_t s_keys [] = {
    { "name", SS_FLEET_NAME, F (name), 0, 0, NULL, NULL, "fleet", NULL, 0,
      "name of the fleet, 1-63 of [A-Za-z0-9._-]" },
    { "rounds", SS_FLEET_INT64, F (rounds), 0, LLONG_MAX, NULL, NULL, "1000", NULL, 0,
      "rounds to run; 0: until stopped" },
    { "seed", SS_FLEET_UINT64, F (seed), 0, 0, NULL, NULL, "1", NULL, 0,
      "seed of initial positions (0..2^64-1)" },

    { "model", SS_FLEET_SECTION, NONE, 0, 0, NULL, NULL, NULL, NULL, 0,
      "the model of shared/docs/model.md, defaults from ss_model_defaults" },
    { "model/dim", SS_FLEET_INT, F (model.dim), 1, SS_MAX_DIM, NULL, NULL, NULL, NULL,
      SS_FLEET_MODEL, "dimension d of the box: 1, 2 or 3" },
    { "model/lo", SS_FLEET_DOUBLE, F (model.lo), SS_FLEET_ANY, 0, NULL, NULL, NULL, NULL,
      SS_FLEET_MODEL, "box D = [lo, hi]^d, lower bound" },
    { "model/hi", SS_FLEET_DOUBLE, F (model.hi), SS_FLEET_ANY, 0, NULL, NULL, NULL, NULL,
      SS_FLEET_MODEL, "upper bound (> lo)" },
    { "model/m", SS_FLEET_INT, F (model.m), 1, SS_MAX_K, NULL, NULL, NULL, NULL,
      SS_FLEET_MODEL, "RBF centres per axis, K = m^d <= 1024" },
    { "model/ell", SS_FLEET_DOUBLE, F (model.ell), SS_FLEET_POSITIVE, 0, NULL, NULL, NULL,
      NULL, SS_FLEET_MODEL, "RBF width (> 0)" },
    { "model/h", SS_FLEET_DOUBLE, F (model.h), SS_FLEET_NONNEGATIVE, 0, NULL, NULL, NULL,
      NULL, SS_FLEET_MODEL, "sensing kernel width (>= 0)" },
    { "model/nq", SS_FLEET_INT, F (model.nq), 2, SS_MAX_G, NULL, NULL, NULL, NULL,
      SS_FLEET_MODEL, "quadrature nodes per axis (>= 2), nq^d <= 262144" },
    { "model/rho", SS_FLEET_DOUBLE, F (model.rho), SS_FLEET_POSITIVE, 0, NULL, NULL, NULL,
      NULL, SS_FLEET_MODEL, "lower-level regulariser (> 0)" },
    { "model/lambda", SS_FLEET_DOUBLE, F (model.lambda), SS_FLEET_NONNEGATIVE, 0, NULL,
      NULL, NULL, NULL, SS_FLEET_MODEL, "anchoring weight to x(0) (>= 0)" },
    { "model/alpha", SS_FLEET_DOUBLE, F (model.alpha), SS_FLEET_POSITIVE, 0, NULL, NULL,
      NULL, NULL, SS_FLEET_MODEL, "slow (motion) step (> 0)" },
    { "model/gamma", SS_FLEET_DOUBLE, F (model.gamma), SS_FLEET_POSITIVE, 0, NULL, NULL,
      NULL, NULL, SS_FLEET_MODEL, "fast (estimation) step (> 0)" },
    { "model/vmax", SS_FLEET_DOUBLE, F (model.vmax), SS_FLEET_POSITIVE, 0, NULL, NULL,
      NULL, NULL, SS_FLEET_MODEL, "speed limit per round (> 0)" },

    { "target", SS_FLEET_SECTION, NONE, 0, 0, NULL, NULL, NULL, NULL, 0,
      "an isotropic Gaussian mixture on D, or a picture; neither: ss_mixture_defaults" },
    { "target/image", SS_FLEET_PATH, F (target_image), 0, 0, NULL, "a file name", NULL,
      "none", SS_FLEET_OPTIONAL, "a picture, PGM or PNG (d = 2): dark = dense, "
      "resampled onto the nq x nq grid; it wins over components" },
    { "target/component", SS_FLEET_REPEAT, NONE, 0, 0, NULL, NULL, NULL, NULL, 0,
      "one term of the mixture (1 to 16 of them)" },
    { "target/component/weight", SS_FLEET_DOUBLE, C (weight), SS_FLEET_POSITIVE, 0, NULL,
      NULL, NULL, "required", SS_FLEET_REQUIRED,
      "weight (> 0; weights are normalised)" },
    { "target/component/mean", SS_FLEET_VECTOR, C (mean), 0, 0, NULL, NULL, NULL,
      "required", SS_FLEET_REQUIRED, "mean: exactly d numbers inside [lo, hi]" },
    { "target/component/std", SS_FLEET_DOUBLE, C (std), SS_FLEET_POSITIVE, 0, NULL, NULL,
      NULL, "required", SS_FLEET_REQUIRED, "standard deviation (> 0)" },

    { "graph", SS_FLEET_SECTION, NONE, 0, 0, NULL, NULL, NULL, NULL, 0,
      "who talks to whom (undirected; it must be connected)" },
    { "graph/kind", SS_FLEET_ENUM, F (graph_kind), 0, 0, s_graph_word, "graph kind",
      "ring", NULL, 0, "ring | grid | geometric | complete | edges" },
    { "graph/degree", SS_FLEET_INT, F (graph_degree), 0, INT_MAX, NULL, NULL, "4", NULL, 0,
      "ring: neighbours in all, even, >= 2, < count" },
    { "graph/radius", SS_FLEET_DOUBLE, F (graph_radius), SS_FLEET_POSITIVE, 0, NULL, NULL,
      "0.3", NULL, 0, "geometric: link agents closer than radius (> 0) at the start" },
    { "graph/edges", SS_FLEET_EDGES, F (edges), 0, 0, NULL, NULL, NULL, "none",
      SS_FLEET_OPTIONAL, "edges: the links \"i-j\" (required for kind edges; ids < count)" },

    { "agents", SS_FLEET_SECTION, NONE, 0, 0, NULL, NULL, NULL, NULL, 0,
      "the agents, their initial positions, hosts and ports" },
    { "agents/count", SS_FLEET_INT, F (count), 1, SS_FLEET_MAX_AGENTS, NULL, NULL, "50",
      NULL, 0, "number of agents N (1..100000)" },
    { "agents/init", SS_FLEET_ENUM, F (init), 0, 0, s_init_word, "init", "uniform", NULL, 0,
      "initial positions: uniform on D | box | file, drawn from seed, agent 0 first" },
    { "agents/box_lo", SS_FLEET_DOUBLE, F (box_lo), SS_FLEET_ANY, 0, NULL, NULL, NULL, "lo",
      0, "box: uniform on [box_lo, box_hi]^d, inside [lo, hi]" },
    { "agents/box_hi", SS_FLEET_DOUBLE, F (box_hi), SS_FLEET_ANY, 0, NULL, NULL, NULL,
      "lo + 0.3 (hi - lo)", 0, "box: upper bound (> box_lo)" },
    { "agents/file", SS_FLEET_PATH, F (init_file), 0, 0, NULL, "a file name", NULL, "none",
      SS_FLEET_OPTIONAL, "file: a CSV \"id,x1,x2\", one row per agent (a run's initial.csv)" },
    { "agents/host", SS_FLEET_WORD, F (host), 0, 0, NULL, "a host name", "127.0.0.1", NULL,
      0, "host every agent runs on" },
    { "agents/base_port", SS_FLEET_INT, F (base_port), 1, 65535, NULL, NULL, "7100", NULL,
      0, "agent i listens on base_port + i (checked where sockets open)" },
    { "agents/agent", SS_FLEET_REPEAT, NONE, 0, 0, NULL, NULL, NULL, NULL, 0,
      "per-agent overrides, one `agent` per agent" },
    { "agents/agent/id", SS_FLEET_INT, NONE, 0, 0, NULL, NULL, NULL, "required",
      SS_FLEET_REQUIRED, "which agent (0..count-1)" },
    { "agents/agent/host", SS_FLEET_WORD, A (host), 0, 0, NULL, "a host name", NULL,
      "agents/host", 0, "its host" },
    { "agents/agent/port", SS_FLEET_INT, A (port), 1, 65535, NULL, NULL, NULL,
      "base_port + id", 0, "its port" },
    { "agents/agent/x", SS_FLEET_VECTOR, A (x0), 0, 0, NULL, NULL, NULL, "from init", 0,
      "its initial position (d numbers in [lo, hi])" },

    { "coordinator", SS_FLEET_SECTION, NONE, 0, 0, NULL, NULL, NULL, NULL, 0,
      "the coordinator: monitors, scores, sends targets" },
    { "coordinator/endpoint", SS_FLEET_WORD, F (coordinator), 0, 0, NULL,
      "an endpoint like tcp://127.0.0.1:7099", "tcp://127.0.0.1:7099", NULL, 0,
      "where it binds" },
    { "coordinator/report_every", SS_FLEET_INT, F (report_every), 1, INT_MAX, NULL, NULL,
      "10", NULL, 0, "rounds between agent reports (>= 1)" },
    { "coordinator/http", SS_FLEET_STRING, F (http), 0, 0, NULL, "host:port", "", NULL, 0,
      "host:port of the coordinator's live page and /metrics; empty: off" },

    { "security", SS_FLEET_SECTION, NONE, 0, 0, NULL, NULL, NULL, NULL, 0,
      "encryption and the files it needs" },
    { "security/curve", SS_FLEET_FLAG, F (curve), 0, 1, NULL, NULL, "1", NULL, 0,
      "CURVE encryption; 0 only with an explicit insecure flag" },
    { "security/keys", SS_FLEET_PATH, F (keys), 0, 0, NULL, "a directory", "keys", NULL, 0,
      "certificate directory" },
    { "security/state", SS_FLEET_PATH, F (state_dir), 0, 0, NULL, "a directory", "state",
      NULL, 0, "agents' checkpoint directory" },

    { "faults", SS_FLEET_SECTION, NONE, 0, 0, NULL, NULL, NULL, NULL, 0,
      "membership, bounded waits, checkpoints; not part of the fleet id" },
    { "faults/heartbeat_ms", SS_FLEET_INT, F (heartbeat_ms), 1, 3600000, NULL, NULL, "250",
      NULL, 0, "heartbeat to every neighbour (>= 1)" },
    { "faults/round_timeout_ms", SS_FLEET_INT, F (round_timeout_ms), 1, 86400000, NULL,
      NULL, "10000", NULL, 0, "longest grace for an estimate known to be late (sent, "
      "not come, not repaired); a neighbour that has not sent its estimate is waited "
      "for while it lives" },
    { "faults/grace_factor", SS_FLEET_DOUBLE, F (grace_factor), SS_FLEET_POSITIVE, 0,
      NULL, NULL, "10", NULL, 0, "that grace is this many typical rounds (the median of "
      "the last 31 clean ones; repairs are asked every typical round), and at least 4 "
      "of the slowest of them ..." },
    { "faults/grace_min_ms", SS_FLEET_INT, F (grace_min_ms), 1, 86400000, NULL, NULL,
      "100", NULL, 0, "... and at least this (round_timeout_ms wins if smaller)" },
    { "faults/lossy_wait", SS_FLEET_DOUBLE, F (lossy_wait), SS_FLEET_NONNEGATIVE, 0,
      NULL, NULL, "0", NULL, 0, "on a link seen losing packets (two retransmissions, not "
      "shown spurious, within 10 rounds), a round waits at most this many typical rounds "
      "for the neighbour's estimate, unless the neighbour is two rounds behind; 3 doubled "
      "the pace at 30% loss, at a cost in J (README); 0: wait as on any link" },
    { "faults/forecast_rounds", SS_FLEET_INT, F (forecast_rounds), 0, 1000, NULL, NULL,
      "8", NULL, 0, "a round without a neighbour's estimate adds the mass its link "
      "carries per round (its two newest sums), for up to this many rounds past the "
      "newest sum held; the next sum puts right what it got wrong; 0: add nothing "
      "until a sum comes" },
    { "faults/lost_after_ms", SS_FLEET_INT, F (lost_after_ms), 1, 86400000, NULL, NULL,
      "5000", NULL, 0, "silence after which a neighbour is lost (> heartbeat_ms)" },
    { "faults/evasive_ms", SS_FLEET_INT, F (evasive_ms), 0, 86400000, NULL, NULL,
      "0", NULL, 0, "silence after which a neighbour is pinged (< lost_after_ms); "
      "0: lost_after_ms / 3" },
    { "faults/start_timeout_ms", SS_FLEET_INT, F (start_timeout_ms), 1, 86400000, NULL,
      NULL, "120000", NULL, 0, "start barrier: longest wait for a neighbour never heard; "
      "then it is lost and the run starts without it" },
    { "faults/checkpoint_every", SS_FLEET_INT, F (checkpoint_every), 1, INT_MAX, NULL,
      NULL, "50", NULL, 0, "rounds between checkpoints (>= 1)" },
    { "faults/settle_rounds", SS_FLEET_INT, F (settle_rounds), 0, 1000000, NULL, NULL,
      "20", NULL, 0, "rounds without motion after an epoch change (>= 0)" },

    { "links", SS_FLEET_SECTION, NONE, 0, 0, NULL, NULL, NULL, NULL, 0,
      "how agents' links are made; not part of the fleet id" },
    { "links/connections", SS_FLEET_INT, F (connections), 1, 8, NULL, NULL, "8", NULL, 0,
      "connections open per tcp:// link: two used in turn, all of them (and two copies "
      "of each estimate, links/copies) for 100 rounds after one was seen retransmitting "
      "when the link has no datagrams (links/datagrams), stalled ones passed over: a lost segment never holds the next round's estimate "
      "(ipc:// links have one) (1..8)" },
    { "links/transport", SS_FLEET_ENUM, F (transport), 0, 0, s_transport_word,
      "transport", "auto", NULL, 0, "auto: agents of one host over ipc://, others tcp:// "
      "| tcp: tcp:// everywhere (CURVE on both)" },
    { "links/rto_min_ms", SS_FLEET_INT, F (rto_min_ms), 0, 1000, NULL, NULL, "5", NULL, 0,
      "floor of TCP's retransmission timeout on the fleet's connections (Linux >= 6.15, "
      "per socket, at least 5, in the kernel's ticks; the kernel's own is 200 ms: a lost "
      "segment would stall its connection that long); 0: the kernel's (0, 5..1000)" },
    { "links/delack_max_ms", SS_FLEET_INT, F (delack_max_ms), 0, 1000, NULL, NULL, "5", NULL,
      0, "longest delay of a TCP acknowledgement on the fleet's connections (Linux >= 6.15, "
      "at least 5), so that the sender's timeout stays short; 0: the kernel's (0, 5..1000)" },
    { "links/rto_max_ms", SS_FLEET_INT, F (rto_max_ms), 0, 120000, NULL, NULL, "1000", NULL,
      0, "ceiling of TCP's retransmission timeout on the fleet's connections (Linux >= "
      "6.15, at least 1000; the kernel's is 120000: under heavy loss a connection's "
      "timeouts double to minutes); 0: the kernel's (0, 1000..120000)" },
    { "links/copies", SS_FLEET_INT, F (copies), 0, 8, NULL, NULL, "0", NULL, 0,
      "connections each estimate goes out on at once (at most links/connections; the "
      "receiver keeps the first to arrive); 0: auto, one, and two (on all of the link's "
      "connections in turn) for the 100 rounds after one of the link's connections was "
      "seen retransmitting, when the link has no datagrams (links/datagrams) (0..8)" },
    { "links/datagrams", SS_FLEET_INT, F (datagrams), 0, 8, NULL, NULL, "2", NULL, 0,
      "on a tcp:// link seen retransmitting, or asked for a resend long after the send "
      "(the 100 rounds after), UDP datagrams each estimate, resend and heartbeat also "
      "goes out as, sealed with the agents' keys, on the agent's port number, none held "
      "back by a lost TCP segment; one more for 20 rounds after the neighbour asked for "
      "a resend; a WANT and its resend on any tcp:// link; the receiver keeps the "
      "first copy; 0: TCP only (0..8)" },
};

#undef F
#undef C
#undef A
#undef NONE

#define S_N_KEYS ((int) (sizeof s_keys / sizeof s_keys [0]))

//  Enumerated fields are stored as int
_Static_assert (sizeof (ss_graph_kind_t) == sizeof (int), "enum size");
_Static_assert (sizeof (ss_init_t) == sizeof (int), "enum size");
_Static_assert (sizeof (ss_transport_t) == sizeof (int), "enum size");

const ss_fleet_key_t *
ss_fleet_keys (int *count)
{
    if (count)
        *count = S_N_KEYS;
    return s_keys;
}

//  "fleet/model/ell", "/model/ell" and "model/ell" name one key
static const char *
s_relative (const char *path)
{
    if (*path == '/')
        path++;
    if (strncmp (path, "fleet/", 6) == 0)
        path += 6;
    return path;
}

const ss_fleet_key_t *
ss_fleet_key (const char *path)
{
    assert (path);
    path = s_relative (path);
    for (int k = 0; k < S_N_KEYS; k++)
        if (streq (s_keys [k].path, path))
            return &s_keys [k];
    return NULL;
}

//  The last name of a row's path, and its depth below `fleet` (1: top)
static const char *
s_name (const ss_fleet_key_t *key)
{
    const char *slash = strrchr (key->path, '/');
    return slash? slash + 1: key->path;
}

static int
s_depth (const ss_fleet_key_t *key)
{
    int depth = 1;
    for (const char *c = key->path; *c; c++)
        depth += *c == '/';
    return depth;
}

//  True if key lies directly in the section (or repeated section) parent
static bool
s_is_child (const ss_fleet_key_t *key, const ss_fleet_key_t *parent)
{
    size_t len = strlen (parent->path);
    return strncmp (key->path, parent->path, len) == 0 && key->path [len] == '/'
        && !strchr (key->path + len + 1, '/');
}

static bool
s_is_leaf (const ss_fleet_key_t *key)
{
    return key->type != SS_FLEET_SECTION && key->type != SS_FLEET_REPEAT;
}

//  The repeated section a row lies in, or NULL
static const ss_fleet_key_t *
s_repeat_of (const ss_fleet_key_t *key)
{
    for (const ss_fleet_key_t *k = key - 1; k >= s_keys; k--)
        if (k->type == SS_FLEET_REPEAT && s_is_child (key, k))
            return k;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Errors: one line, "FILE: KEY: problem"

typedef struct {
    const char *file;       //  the fleet file as given
    char *err;
    size_t err_size;
} s_ctx_t;

static void
s_sanitize (char *text)
{
    //  Values quoted into a message may come from --set: keep one line
    for (char *c = text; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == 0x7f)
            *c = '?';
}

static int
s_fail (s_ctx_t *ctx, const char *key, const char *format, ...)
{
    if (ctx->err && ctx->err_size > 0) {
        char problem [512];
        va_list args;
        va_start (args, format);
        vsnprintf (problem, sizeof problem, format, args);
        va_end (args);
        if (key)
            snprintf (ctx->err, ctx->err_size, "%s: %s: %s",
                      ctx->file, key, problem);
        else
            snprintf (ctx->err, ctx->err_size, "%s: %s", ctx->file, problem);
        s_sanitize (ctx->err);
    }
    return -1;
}

//  A value for quoting in a message, cut to a readable length
typedef struct { char text [72]; } s_quote_t;

static s_quote_t
s_quote (const char *value)
{
    s_quote_t q;
    if (!value)
        value = "";
    if (strlen (value) < sizeof q.text)
        snprintf (q.text, sizeof q.text, "%s", value);
    else
        snprintf (q.text, sizeof q.text, "%.60s...", value);
    return q;
}

//  Key paths: "fleet/model/ell"
typedef struct { char text [320]; } s_key_t;

static s_key_t
s_key (const char *section, const char *name)
{
    s_key_t k;
    if (snprintf (k.text, sizeof k.text, "%s/%s", section, name? name: "")
        >= (int) sizeof k.text)
        strcpy (k.text + sizeof k.text - 4, "...");
    return k;
}

//  --------------------------------------------------------------------------
//  Strict number parsing: the whole text, nothing else

static bool
s_parse_double (const char *text, double *value)
{
    if (!text || !*text || isspace ((unsigned char) *text))
        return false;
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (*end || errno == ERANGE || !isfinite (v))
        return false;
    *value = v;
    return true;
}

static bool
s_parse_int (const char *text, long long *value)
{
    if (!text || !*text || isspace ((unsigned char) *text))
        return false;
    char *end;
    errno = 0;
    long long v = strtoll (text, &end, 10);
    if (*end || errno == ERANGE)
        return false;
    *value = v;
    return true;
}

static bool
s_parse_u64 (const char *text, uint64_t *value)
{
    if (!text || !isdigit ((unsigned char) *text))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull (text, &end, 10);
    if (*end || errno == ERANGE)
        return false;
    *value = (uint64_t) v;
    return true;
}

//  Parse a list of exactly n numbers separated by blanks
static bool
s_parse_vector (const char *text, int n, double *x)
{
    if (!text)
        return false;
    const char *p = text;
    for (int a = 0; a < n; a++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return false;
        char word [64];
        size_t len = strcspn (p, " \t");
        if (len >= sizeof word)
            return false;
        memcpy (word, p, len);
        word [len] = 0;
        if (!s_parse_double (word, &x [a]))
            return false;
        p += len;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == 0;
}

//  An integer in min..max, or the one message of integers
static int
s_parse_integer (s_ctx_t *ctx, const char *at, const char *text, long long min,
                 long long max, const char *which, long long *value)
{
    long long v;
    if (s_parse_int (text, &v) && v >= min && v <= max) {
        *value = v;
        return 0;
    }
    if (max == LLONG_MAX)
        return s_fail (ctx, at, "expected an integer >= %lld, got '%s'%s",
                       min, s_quote (text).text, which);
    return s_fail (ctx, at, "expected an integer in %lld..%lld, got '%s'%s",
                   min, max, s_quote (text).text, which);
}

//  --------------------------------------------------------------------------
//  Paths: relative ones resolve against the fleet file's folder

static int
s_resolve (s_ctx_t *ctx, const char *key, const char *dir, const char *name,
           char *out, size_t size)
{
    int len;
    if (name [0] == '/' || streq (dir, "."))
        len = snprintf (out, size, "%s", name);
    else
        len = snprintf (out, size, "%s/%s", dir, name);
    if (len < 0 || (size_t) len >= size)
        return s_fail (ctx, key, "path too long");
    return 0;
}

//  The folder of a file as the loader resolves against it
static void
s_dir_of (const char *path, char *dir, size_t size)
{
    const char *slash = strrchr (path, '/');
    if (!slash)
        snprintf (dir, size, ".");
    else
    if (slash == path)
        snprintf (dir, size, "/");
    else
        snprintf (dir, size, "%.*s", (int) (slash - path), path);
}

//  --------------------------------------------------------------------------
//  Graph edges: "0-1 1-2 2-0"

static int
s_read_edges (s_ctx_t *ctx, const char *key, const char *text, int count,
              int **edges_p, int *n_edges_p)
{
    size_t cap = 1;
    for (const char *c = text; *c; c++)
        if (*c == '-')
            cap++;
    int *edges = malloc (2 * cap * sizeof (int));
    if (!edges)
        return s_fail (ctx, key, "out of memory");
    int n = 0;
    const char *p = text;
    while (true) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t len = strcspn (p, " \t,");
        char word [48];
        long long a, b;
        bool ok = len < sizeof word;
        if (ok) {
            memcpy (word, p, len);
            word [len] = 0;
            char *dash = strchr (word, '-');
            ok = dash && dash != word && isdigit ((unsigned char) dash [1]);
            if (ok) {
                *dash = 0;
                ok = isdigit ((unsigned char) word [0])
                  && s_parse_int (word, &a) && s_parse_int (dash + 1, &b);
                *dash = '-';
            }
        }
        if (!ok) {
            free (edges);
            const char *bad = len < sizeof word? word: p;
            bool whole = streq (bad, text);
            return s_fail (ctx, key, "expected pairs of agent ids like "
                           "'0-1 1-2 2-0', got '%s'%s%s%s",
                           s_quote (bad).text, whole? "": " in '",
                           whole? "": s_quote (text).text, whole? "": "'");
        }
        if (a >= count || b >= count) {
            free (edges);
            return s_fail (ctx, key, "agent id %lld in '%s' is out of range "
                           "(agents/count = %d, ids 0..%d)",
                           a >= count? a: b, word, count, count - 1);
        }
        if (a == b) {
            free (edges);
            return s_fail (ctx, key, "'%s' links agent %lld to itself", word, a);
        }
        assert ((size_t) n < cap);
        edges [2 * n] = (int) a;
        edges [2 * n + 1] = (int) b;
        n++;
        p += len;
    }
    *edges_p = edges;
    *n_edges_p = n;
    return 0;
}

//  --------------------------------------------------------------------------
//  One value of a row. base is the struct of the row's section (the fleet,
//  a component, an agent); self gives what bounds depend on (dim, lo, hi,
//  count, the folder). at names the key in messages, which is appended
//  to them (" (agent 3)"). 0 or -1.

static int
s_parse_value (s_ctx_t *ctx, const ss_fleet_key_t *key, const char *text,
               const char *at, void *base, ss_fleet_t *self, const char *which)
{
    char *field = key->offset == SIZE_MAX? NULL: (char *) base + key->offset;
    switch (key->type) {
        case SS_FLEET_INT:
        case SS_FLEET_INT64:
        case SS_FLEET_FLAG: {
            long long v;
            if (s_parse_integer (ctx, at, text, key->min, key->max, which, &v))
                return -1;
            if (field && key->type == SS_FLEET_INT)
                *(int *) field = (int) v;
            else
            if (field && key->type == SS_FLEET_INT64)
                *(int64_t *) field = (int64_t) v;
            else
            if (field)
                *(bool *) field = v == 1;
            return 0;
        }
        case SS_FLEET_UINT64:
            if (!s_parse_u64 (text, (uint64_t *) field))
                return s_fail (ctx, at, "expected an integer in 0..%llu, got '%s'%s",
                               (unsigned long long) UINT64_MAX,
                               s_quote (text).text, which);
            return 0;
        case SS_FLEET_DOUBLE: {
            double v;
            bool ok = s_parse_double (text, &v);
            if (ok && key->min == SS_FLEET_POSITIVE && !(v > 0))
                ok = false;
            if (ok && key->min == SS_FLEET_NONNEGATIVE && !(v >= 0))
                ok = false;
            if (!ok)
                return s_fail (ctx, at, "expected a number%s, got '%s'%s",
                               key->min == SS_FLEET_POSITIVE? " > 0":
                               key->min == SS_FLEET_NONNEGATIVE? " >= 0": "",
                               s_quote (text).text, which);
            *(double *) field = v;
            return 0;
        }
        case SS_FLEET_NAME: {
            size_t len = strlen (text);
            bool ok = len > 0 && len < key->size;
            for (const char *c = text; ok && *c; c++)
                ok = isalnum ((unsigned char) *c) || strchr ("._-", *c);
            if (!ok)
                return s_fail (ctx, at, "expected 1 to %zu characters of "
                               "[A-Za-z0-9._-], got '%s'%s", key->size - 1,
                               s_quote (text).text, which);
            memcpy (field, text, len + 1);
            return 0;
        }
        case SS_FLEET_WORD:
        case SS_FLEET_STRING:
        case SS_FLEET_PATH: {
            size_t len = strlen (text);
            bool ok = (len > 0 || key->type == SS_FLEET_STRING) && len < key->size;
            for (const char *c = text; ok && *c; c++)
                if ((unsigned char) *c <= ' ' || *c == 0x7f)
                    ok = false;
            if (!ok && key->type == SS_FLEET_STRING)
                return s_fail (ctx, at, "expected %s or nothing (at most %zu "
                               "characters, no blanks), got '%s'%s", key->what,
                               key->size - 1, s_quote (text).text, which);
            if (!ok)
                return s_fail (ctx, at, "expected %s (1 to %zu characters, no "
                               "blanks), got '%s'%s", key->what, key->size - 1,
                               s_quote (text).text, which);
            if (key->type == SS_FLEET_PATH)
                return s_resolve (ctx, at, self->dir, text, field, key->size);
            memcpy (field, text, len + 1);
            return 0;
        }
        case SS_FLEET_ENUM: {
            char list [256] = "";
            for (int v = 0; key->word (v); v++) {
                if (streq (text, key->word (v))) {
                    *(int *) field = v;
                    return 0;
                }
                size_t len = strlen (list);
                snprintf (list + len, sizeof list - len, "%s%s", v? ", ": "",
                          key->word (v));
            }
            return s_fail (ctx, at, "unknown %s '%s' (%s)%s", key->what,
                           s_quote (text).text, list, which);
        }
        case SS_FLEET_VECTOR: {
            const ss_model_t *model = &self->model;
            double v [SS_MAX_DIM] = { 0 };
            bool ok = s_parse_vector (text, model->dim, v);
            for (int a = 0; ok && a < model->dim; a++)
                ok = v [a] >= model->lo && v [a] <= model->hi;
            if (!ok)
                return s_fail (ctx, at, "expected %d number%s in [%g, %g], got '%s'%s",
                               model->dim, model->dim > 1? "s": "", model->lo,
                               model->hi, s_quote (text).text, which);
            memcpy (field, v, sizeof v);
            return 0;
        }
        case SS_FLEET_EDGES: {
            int *pairs = NULL, n_pairs = 0;
            if (s_read_edges (ctx, at, text, self->count, &pairs, &n_pairs))
                return -1;
            //  Only an edge-list graph keeps them (and hashes them)
            free (self->edges);
            self->edges = NULL;
            self->n_edges = 0;
            if (self->graph_kind == SS_GRAPH_EDGES) {
                self->edges = pairs;
                self->n_edges = n_pairs;
            }
            else
                free (pairs);
            return 0;
        }
        default:
            return s_fail (ctx, at, "expected a section");
    }
}

//  --------------------------------------------------------------------------
//  Shape check: every item is a row, leaves have no children, sections
//  have no value, only repeated sections repeat. rel is the node's path
//  as rows name it ("" for fleet), at as messages name it.

static int
s_check_shape (s_ctx_t *ctx, zconfig_t *node, const char *rel, const char *at)
{
    for (zconfig_t *item = zconfig_child (node); item; item = zconfig_next (item)) {
        const char *name = zconfig_name (item);
        s_key_t key = s_key (at, name);
        const ss_fleet_key_t *known = name? ss_fleet_key (s_key (rel, name).text): NULL;
        if (!known)
            return s_fail (ctx, key.text, "unknown key");
        if (known->type != SS_FLEET_REPEAT)
            for (zconfig_t *prev = zconfig_child (node); prev != item;
                 prev = zconfig_next (prev))
                if (zconfig_name (prev) && streq (zconfig_name (prev), name))
                    return s_fail (ctx, key.text, "duplicate key");
        if (s_is_leaf (known)) {
            zconfig_t *child = zconfig_child (item);
            if (child)
                return s_fail (ctx, s_key (key.text, zconfig_name (child)).text,
                               "unknown key");
        }
        else {
            const char *value = zconfig_value (item);
            if (value && *value)
                return s_fail (ctx, key.text,
                               "expected a section, got a value '%s'",
                               s_quote (value).text);
            if (s_check_shape (ctx, item, known->path, key.text))
                return -1;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Reading items of a checked section

static const char *
s_leaf (zconfig_t *section, const char *name)
{
    if (!section)
        return NULL;
    zconfig_t *item = zconfig_locate (section, name);
    if (!item)
        return NULL;
    const char *value = zconfig_value (item);
    return value? value: "";
}

//  Required keys of an item of a repeated section (a component, an agent)
static int
s_check_required (s_ctx_t *ctx, const ss_fleet_key_t *repeat, zconfig_t *item,
                  const char *at, const char *which)
{
    for (const ss_fleet_key_t *k = repeat + 1; k < s_keys + S_N_KEYS; k++)
        if (s_is_child (k, repeat) && (k->flags & SS_FLEET_REQUIRED)
        &&  !s_leaf (item, s_name (k)))
            return s_fail (ctx, s_key (at, s_name (k)).text, "missing%s", which);
    return 0;
}

//  The stored keys of an item of a repeated section into base, table order
static int
s_read_item (s_ctx_t *ctx, const ss_fleet_key_t *repeat, zconfig_t *item,
             const char *at, void *base, ss_fleet_t *self, const char *which)
{
    for (const ss_fleet_key_t *k = repeat + 1; k < s_keys + S_N_KEYS; k++) {
        if (!s_is_child (k, repeat) || k->offset == SIZE_MAX)
            continue;
        const char *text = s_leaf (item, s_name (k));
        if (text && s_parse_value (ctx, k, text, s_key (at, s_name (k)).text,
                                   base, self, which))
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Defaults: the model's from ss_model_defaults, the others from their rows

static void
s_defaults (ss_fleet_t *self)
{
    ss_model_defaults (&self->model);
    s_ctx_t quiet = { self->path, NULL, 0 };
    for (const ss_fleet_key_t *k = s_keys; k < s_keys + S_N_KEYS; k++)
        if (k->value && s_is_leaf (k) && !s_repeat_of (k)) {
            int rc = s_parse_value (&quiet, k, k->value, k->path, self, self, "");
            assert (rc == 0);
            (void) rc;
        }
}

//  --------------------------------------------------------------------------
//  Model and target

static int
s_check_model (s_ctx_t *ctx, zconfig_t *section, const char *path,
               const ss_model_t *model)
{
    if (!(model->lo < model->hi)) {
        if (s_leaf (section, "hi"))
            return s_fail (ctx, s_key (path, "hi").text,
                           "expected a number > lo (%g), got '%s'", model->lo,
                           s_quote (s_leaf (section, "hi")).text);
        return s_fail (ctx, s_key (path, "lo").text,
                       "expected a number < hi (%g), got '%s'", model->hi,
                       s_quote (s_leaf (section, "lo")).text);
    }
    const char *problem = ss_model_check (model);
    if (problem) {
        //  The core names the field first: "ell must be > 0"
        char field [32];
        snprintf (field, sizeof field, "model/%.*s",
                  (int) strcspn (problem, " "), problem);
        if (ss_fleet_key (field))
            return s_fail (ctx, s_key (path, field + 6).text, "%s", problem);
        return s_fail (ctx, path, "%s", problem);
    }
    return 0;
}

//  The components of a checked target section and the grid of its image
//  (scratch->target_image, parsed already); with neither, the default
//  mixture of the model. scratch holds the model (for means' bounds).
static int
s_read_target (s_ctx_t *ctx, zconfig_t *section, const char *path,
               ss_fleet_t *scratch, ss_mixture_t *target)
{
    const ss_model_t *model = &scratch->model;
    memset (target, 0, sizeof *target);
    if (*scratch->target_image) {
        char why [PATH_MAX + 256];
        if (ss_image_target (scratch->target_image, model, target, why, sizeof why))
            return s_fail (ctx, s_key (path, "image").text, "%s", why);
    }
    int total = 0;
    for (zconfig_t *item = section? zconfig_child (section): NULL; item;
         item = zconfig_next (item))
        total += streq (zconfig_name (item), "component");
    if (total == 0) {
        if (target->cells == 0)
            ss_mixture_defaults (target, model->dim, model->lo, model->hi);
        return 0;
    }
    s_key_t comp_path = s_key (path, "component");
    if (total > SS_MAX_COMPONENTS)
        return s_fail (ctx, comp_path.text,
                       "at most %d components, got %d", SS_MAX_COMPONENTS, total);

    const ss_fleet_key_t *repeat = ss_fleet_key ("target/component");
    int c = 0;
    for (zconfig_t *item = zconfig_child (section); item;
         item = zconfig_next (item)) {
        if (!streq (zconfig_name (item), "component"))
            continue;
        c++;
        char which [32] = "";
        if (total > 1)
            snprintf (which, sizeof which, " (component %d)", c);
        if (s_check_required (ctx, repeat, item, comp_path.text, which)
        ||  s_read_item (ctx, repeat, item, comp_path.text, &target->comp [c - 1],
                         scratch, which))
            return -1;
    }
    target->count = total;
    const char *problem = ss_mixture_check (target, model);
    if (problem)
        return s_fail (ctx, path, "%s", problem);
    return 0;
}
//  --------------------------------------------------------------------------
//  Initial positions from a CSV like a run's initial.csv

static int
s_read_positions_csv (s_ctx_t *ctx, const ss_fleet_t *self, double *xs)
{
    const char *key = "fleet/agents/file";
    const char *csv = self->init_file;
    int dim = self->model.dim;
    FILE *file = fopen (csv, "r");
    if (!file)
        return s_fail (ctx, key, "%s: cannot read file (%s)", csv, strerror (errno));

    char header [32] = "id";
    for (int a = 0; a < dim; a++)
        snprintf (header + strlen (header), sizeof header - strlen (header),
                  ",x%d", a + 1);
    char *seen = calloc ((size_t) self->count, 1);
    char *line = NULL;
    size_t line_size = 0;
    int lineno = 0, rows = 0, rc = 0;
    if (!seen) {
        fclose (file);
        return s_fail (ctx, key, "out of memory");
    }
    ssize_t len;
    while ((len = getline (&line, &line_size, file)) != -1) {
        lineno++;
        while (len > 0 && (line [len - 1] == '\n' || line [len - 1] == '\r'))
            line [--len] = 0;
        if (lineno == 1) {
            if (!streq (line, header)) {
                rc = s_fail (ctx, key, "%s:1: expected the header '%s', got '%s'",
                             csv, header, s_quote (line).text);
                break;
            }
            continue;
        }
        if (rows == self->count) {
            rc = s_fail (ctx, key, "%s:%d: more rows than agents/count (%d)",
                         csv, lineno, self->count);
            break;
        }
        //  id,x1[,x2[,x3]]
        char *fields [SS_MAX_DIM + 2];
        int n_fields = 0;
        char *cursor = line;
        while (n_fields < SS_MAX_DIM + 2) {
            fields [n_fields++] = cursor;
            char *comma = strchr (cursor, ',');
            if (!comma)
                break;
            *comma = 0;
            cursor = comma + 1;
        }
        long long id;
        double x [SS_MAX_DIM];
        bool ok = n_fields == dim + 1 && s_parse_int (fields [0], &id);
        for (int a = 0; ok && a < dim; a++)
            ok = s_parse_double (fields [a + 1], &x [a]);
        if (!ok) {
            rc = s_fail (ctx, key, "%s:%d: expected 'id%s' with an integer id "
                         "and %d number%s", csv, lineno, header + 2, dim,
                         dim > 1? "s": "");
            break;
        }
        if (id < 0 || id >= self->count) {
            rc = s_fail (ctx, key, "%s:%d: agent id %lld is out of range "
                         "(agents/count = %d)", csv, lineno, id, self->count);
            break;
        }
        if (seen [id]) {
            rc = s_fail (ctx, key, "%s:%d: agent %lld is given twice",
                         csv, lineno, id);
            break;
        }
        for (int a = 0; a < dim; a++)
            if (x [a] < self->model.lo || x [a] > self->model.hi) {
                rc = s_fail (ctx, key, "%s:%d: x%d = %.17g is outside the box "
                             "[%g, %g]", csv, lineno, a + 1, x [a],
                             self->model.lo, self->model.hi);
                break;
            }
        if (rc)
            break;
        seen [id] = 1;
        for (int a = 0; a < dim; a++)
            xs [id * dim + a] = x [a];
        rows++;
    }
    if (rc == 0 && lineno == 0)
        rc = s_fail (ctx, key, "%s: empty file, expected the header '%s'",
                     csv, header);
    else
    if (rc == 0 && rows != self->count)
        rc = s_fail (ctx, key, "%s: %d rows, expected one per agent "
                     "(agents/count = %d)", csv, rows, self->count);
    free (line);
    free (seen);
    fclose (file);
    return rc;
}

//  The initial positions that init, seed and the box or the CSV give
//  (before any agent's own x), count x dim into x
static int
s_init_positions (s_ctx_t *ctx, const ss_fleet_t *self, double *x)
{
    if (self->init == SS_INIT_FILE)
        return s_read_positions_csv (ctx, self, x);
    const ss_model_t *model = &self->model;
    double lo = self->init == SS_INIT_BOX? self->box_lo: model->lo;
    double hi = self->init == SS_INIT_BOX? self->box_hi: model->hi;
    ss_rng_t rng;
    ss_rng_seed (&rng, self->seed);
    size_t n = (size_t) self->count * (size_t) model->dim;
    for (size_t k = 0; k < n; k++)
        x [k] = lo + (hi - lo) * ss_rng_uniform (&rng);
    return 0;
}

//  The agent spec an agent has without an `agent` section
static ss_agent_spec_t
s_agent_default (const ss_fleet_t *self, int id, const double *x)
{
    ss_agent_spec_t spec;
    memset (&spec, 0, sizeof spec);
    snprintf (spec.host, sizeof spec.host, "%s", self->host);
    spec.port = self->base_port + id;   //  may pass 65535: ss_fleet_check_ports
    memcpy (spec.x0, x + (size_t) id * self->model.dim,
            (size_t) self->model.dim * sizeof (double));
    return spec;
}

//  --------------------------------------------------------------------------
//  Agents: box, initial positions, hosts, ports, overrides

static int
s_read_agents (s_ctx_t *ctx, zconfig_t *section, ss_fleet_t *self)
{
    const ss_model_t *model = &self->model;
    if (!s_leaf (section, "box_lo"))
        self->box_lo = model->lo;
    if (!s_leaf (section, "box_hi"))
        self->box_hi = model->lo + 0.3 * (model->hi - model->lo);
    if (self->box_lo < model->lo || self->box_lo > model->hi)
        return s_fail (ctx, "fleet/agents/box_lo",
                       "expected a number in [lo, hi] = [%g, %g], got %g",
                       model->lo, model->hi, self->box_lo);
    if (self->box_hi < model->lo || self->box_hi > model->hi)
        return s_fail (ctx, "fleet/agents/box_hi",
                       "expected a number in [lo, hi] = [%g, %g], got %g",
                       model->lo, model->hi, self->box_hi);
    if (!(self->box_lo < self->box_hi))
        return s_fail (ctx, "fleet/agents/box_hi",
                       "expected a number > box_lo (%g), got %g",
                       self->box_lo, self->box_hi);
    if (self->init == SS_INIT_FILE && !*self->init_file)
        return s_fail (ctx, "fleet/agents/file", "missing (required when init = file)");

    const char *path = "fleet/agents";
    self->agents = calloc ((size_t) self->count, sizeof (ss_agent_spec_t));
    double *x = malloc ((size_t) self->count * (size_t) model->dim * sizeof (double));
    if (!self->agents || !x) {
        free (x);
        return s_fail (ctx, path, "out of memory for %d agents", self->count);
    }
    int rc = s_init_positions (ctx, self, x);
    for (int i = 0; rc == 0 && i < self->count; i++)
        self->agents [i] = s_agent_default (self, i, x);
    free (x);
    if (rc)
        return rc;

    //  Per-agent overrides
    char *given = calloc ((size_t) self->count, 1);
    if (!given)
        return s_fail (ctx, path, "out of memory for %d agents", self->count);
    const ss_fleet_key_t *repeat = ss_fleet_key ("agents/agent");
    const char *at = "fleet/agents/agent";
    for (zconfig_t *item = section? zconfig_child (section): NULL;
         item && rc == 0; item = zconfig_next (item)) {
        if (!streq (zconfig_name (item), "agent"))
            continue;
        long long id;
        if (s_check_required (ctx, repeat, item, at, "")
        ||  s_parse_integer (ctx, "fleet/agents/agent/id", s_leaf (item, "id"), 0,
                             self->count - 1, "", &id)) {
            rc = -1;
            break;
        }
        if (given [id]) {
            rc = s_fail (ctx, "fleet/agents/agent/id", "agent %lld is given twice", id);
            break;
        }
        given [id] = 1;
        char which [48];
        snprintf (which, sizeof which, " (agent %lld)", id);
        rc = s_read_item (ctx, repeat, item, at, &self->agents [id], self, which);
    }
    free (given);
    return rc;
}

//  --------------------------------------------------------------------------
//  The fleet section of a checked tree

static int
s_read_fleet (s_ctx_t *ctx, zconfig_t *fleet, ss_fleet_t *self)
{
    s_defaults (self);
    //  Every key of a plain section, in table order (edges need the count)
    for (const ss_fleet_key_t *k = s_keys; k < s_keys + S_N_KEYS; k++) {
        if (!s_is_leaf (k) || s_repeat_of (k) || k->type == SS_FLEET_EDGES)
            continue;
        zconfig_t *item = zconfig_locate (fleet, k->path);
        const char *text = item? zconfig_value (item): NULL;
        if (item && s_parse_value (ctx, k, text? text: "", s_key ("fleet", k->path).text,
                                   self, self, ""))
            return -1;
    }
    zconfig_t *model = zconfig_locate (fleet, "model");
    if (s_check_model (ctx, model, "fleet/model", &self->model)
    ||  s_read_target (ctx, zconfig_locate (fleet, "target"), "fleet/target",
                       self, &self->target)
    ||  s_read_agents (ctx, zconfig_locate (fleet, "agents"), self))
        return -1;

    //  Graph: what depends on the count
    if (self->graph_kind == SS_GRAPH_RING && self->count > 1) {
        int d = self->graph_degree;
        if (d < 2 || d % 2)
            return s_fail (ctx, "fleet/graph/degree", "a ring needs an even "
                           "degree >= 2, got %d", d);
        if (d >= self->count)
            return s_fail (ctx, "fleet/graph/degree", "a ring degree must be "
                           "< agents/count (%d), got %d; lower it or choose "
                           "kind complete", self->count, d);
    }
    const char *edges = s_leaf (zconfig_locate (fleet, "graph"), "edges");
    if (edges) {
        if (s_parse_value (ctx, ss_fleet_key ("graph/edges"), edges,
                           "fleet/graph/edges", self, self, ""))
            return -1;
    }
    else
    if (self->graph_kind == SS_GRAPH_EDGES)
        return s_fail (ctx, "fleet/graph/edges", "missing (required when kind = edges)");

    if (!strstr (self->coordinator, "://"))
        return s_fail (ctx, "fleet/coordinator/endpoint", "expected an endpoint "
                       "like tcp://127.0.0.1:7099, got '%s'",
                       s_quote (self->coordinator).text);
    if (self->lost_after_ms <= self->heartbeat_ms)
        return s_fail (ctx, "fleet/faults/lost_after_ms", "must be larger than "
                       "heartbeat_ms (%d), got %d", self->heartbeat_ms,
                       self->lost_after_ms);
    if (self->evasive_ms != 0 && self->evasive_ms >= self->lost_after_ms)
        return s_fail (ctx, "fleet/faults/evasive_ms", "must be smaller than "
                       "lost_after_ms (%d), got %d", self->lost_after_ms,
                       self->evasive_ms);

    return 0;
}

//  --------------------------------------------------------------------------
//  ZPL text into a tree, or NULL with "FILE: cannot read file (...)" or
//  "FILE: syntax error". We read the file ourselves: zconfig_load cannot
//  tell a missing file from bad syntax (and leaks its file handle on the
//  latter).

#define S_MAX_FILE_SIZE (64 * 1024 * 1024)

static zconfig_t *
s_parse_zpl (s_ctx_t *ctx, const char *data, size_t size)
{
    zconfig_t *root = NULL;
    if (memchr (data, 0, size))
        s_fail (ctx, NULL, "syntax error (not valid ZPL)");
    else {
        zchunk_t *chunk = zchunk_new (data, size);
        root = chunk? zconfig_chunk_load (chunk): NULL;
        zchunk_destroy (&chunk);
        if (!root)
            s_fail (ctx, NULL, "syntax error (not valid ZPL)");
    }
    return root;
}

static zconfig_t *
s_load_zpl (s_ctx_t *ctx, const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        s_fail (ctx, NULL, "cannot read file (%s)", strerror (errno));
        return NULL;
    }
    struct stat st;
    if (fstat (fileno (file), &st) == 0 && S_ISDIR (st.st_mode)) {
        fclose (file);
        s_fail (ctx, NULL, "cannot read file (%s)", strerror (EISDIR));
        return NULL;
    }
    size_t size = 0, cap = 4096;
    char *data = malloc (cap);
    int error = data? 0: ENOMEM;
    while (!error) {
        if (size == cap) {
            char *more = cap < S_MAX_FILE_SIZE? realloc (data, cap * 2): NULL;
            if (!more) {
                error = EFBIG;
                break;
            }
            data = more;
            cap *= 2;
        }
        size_t got = fread (data + size, 1, cap - size, file);
        size += got;
        if (got == 0) {
            if (ferror (file))
                error = errno? errno: EIO;
            break;
        }
    }
    fclose (file);
    zconfig_t *root = NULL;
    if (error)
        s_fail (ctx, NULL, "cannot read file (%s)", strerror (error));
    else
        root = s_parse_zpl (ctx, data, size);
    free (data);
    return root;
}

//  Put "PATH=VALUE" overrides into the fleet section; 0 or -1
static int
s_apply_sets (s_ctx_t *ctx, zconfig_t *fleet, const char *const *sets, int n_sets)
{
    for (int s = 0; s < n_sets; s++) {
        const char *set = sets [s];
        const char *equal = set? strchr (set, '='): NULL;
        char *key = equal? strndup (set, (size_t) (equal - set)): NULL;
        if (equal && !key)
            return s_fail (ctx, NULL, "out of memory");
        const char *relative = key? s_relative (key): "";
        if (!*relative) {
            if (ctx->err && ctx->err_size) {
                snprintf (ctx->err, ctx->err_size, "--set '%s': expected PATH=VALUE",
                          s_quote (set).text);
                s_sanitize (ctx->err);
            }
            free (key);
            return -1;
        }
        zconfig_put (fleet, relative, equal + 1);
        free (key);
    }
    return 0;
}

//  Load from path, or from text (then path only names it and its folder)
static ss_fleet_t *
s_load (const char *path, const char *text, size_t text_size,
        const char *const *sets, int n_sets, char *err, size_t err_size)
{
    assert (path);
    s_ctx_t ctx = { path, err, err_size };
    if (err && err_size)
        *err = 0;
    ss_fleet_t *self = calloc (1, sizeof (ss_fleet_t));
    if (!self) {
        s_fail (&ctx, NULL, "out of memory");
        return NULL;
    }
    if (strlen (path) >= sizeof self->path) {
        s_fail (&ctx, NULL, "path too long");
        free (self);
        return NULL;
    }
    strcpy (self->path, path);
    s_dir_of (path, self->dir, sizeof self->dir);

    zconfig_t *root = text? s_parse_zpl (&ctx, text, text_size): s_load_zpl (&ctx, path);
    int rc = root? 0: -1;
    zconfig_t *fleet = NULL;
    for (zconfig_t *item = root? zconfig_child (root): NULL; item && rc == 0;
         item = zconfig_next (item)) {
        if (!streq (zconfig_name (item), "fleet"))
            rc = s_fail (&ctx, zconfig_name (item),
                         "unknown key (only 'fleet' is allowed at the top level)");
        else
        if (fleet)
            rc = s_fail (&ctx, "fleet", "duplicate key");
        else
            fleet = item;
    }
    if (rc == 0 && !fleet)
        rc = s_fail (&ctx, "fleet", "missing section (the file must start "
                     "with a line 'fleet')");
    if (rc == 0)
        rc = s_apply_sets (&ctx, fleet, sets, n_sets);
    if (rc == 0)
        rc = s_check_shape (&ctx, fleet, "", "fleet");
    if (rc == 0)
        rc = s_read_fleet (&ctx, fleet, self);
    zconfig_destroy (&root);
    if (rc)
        ss_fleet_destroy (&self);
    return self;
}

ss_fleet_t *
ss_fleet_load (const char *path, const char *const *sets, int n_sets,
               char *err, size_t err_size)
{
    return s_load (path, NULL, 0, sets, n_sets, err, err_size);
}

void
ss_fleet_destroy (ss_fleet_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        ss_fleet_t *self = *self_p;
        free (self->edges);
        free (self->agents);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Ports: only for a program that opens sockets

typedef struct {
    const char *host;
    int port;
    int id;
} s_endpoint_t;

static int
s_cmp_endpoint (const void *a, const void *b)
{
    const s_endpoint_t *x = a, *y = b;
    int c = strcmp (x->host, y->host);
    if (c)
        return c;
    if (x->port != y->port)
        return x->port < y->port? -1: 1;
    return (x->id > y->id) - (x->id < y->id);
}

int
ss_fleet_check_ports (const ss_fleet_t *self, char *err, size_t err_size)
{
    assert (self);
    s_ctx_t ctx = { self->path, err, err_size };
    for (int i = 0; i < self->count; i++) {
        int port = self->agents [i].port;
        if (port < 1 || port > 65535) {
            if (port == self->base_port + i)
                return s_fail (&ctx, "fleet/agents/base_port",
                               "base_port + id = %d for agent %d is above 65535; "
                               "lower base_port or give agents their own port",
                               port, i);
            return s_fail (&ctx, "fleet/agents/agent/port", "port %d of agent %d "
                           "is outside 1..65535", port, i);
        }
    }
    //  Two agents cannot listen on one host and port
    s_endpoint_t *order = malloc ((size_t) self->count * sizeof (s_endpoint_t));
    if (!order)
        return s_fail (&ctx, "fleet/agents", "out of memory for %d agents", self->count);
    for (int i = 0; i < self->count; i++)
        order [i] = (s_endpoint_t) {
            self->agents [i].host, self->agents [i].port, i
        };
    qsort (order, (size_t) self->count, sizeof (s_endpoint_t), s_cmp_endpoint);
    int rc = 0;
    for (int r = 1; r < self->count && rc == 0; r++)
        if (order [r].port == order [r - 1].port
        &&  streq (order [r].host, order [r - 1].host))
            rc = s_fail (&ctx, "fleet/agents/agent/port",
                         "agents %d and %d both listen on %s:%d",
                         order [r - 1].id, order [r].id, order [r].host,
                         order [r].port);
    free (order);
    return rc;
}
//  --------------------------------------------------------------------------
//  Graph, positions, identity

void
ss_fleet_positions (const ss_fleet_t *self, double *x)
{
    assert (self);
    assert (x);
    int dim = self->model.dim;
    for (int i = 0; i < self->count; i++)
        for (int a = 0; a < dim; a++)
            x [i * dim + a] = self->agents [i].x0 [a];
}

ss_graph_t *
ss_fleet_graph (const ss_fleet_t *self, char *err, size_t err_size)
{
    assert (self);
    s_ctx_t ctx = { self->path, err, err_size };
    char what [96];
    switch (self->graph_kind) {
        case SS_GRAPH_RING:
            snprintf (what, sizeof what, "kind ring, degree %d", self->graph_degree);
            break;
        case SS_GRAPH_GEOMETRIC:
            snprintf (what, sizeof what, "kind geometric, radius %g",
                      self->graph_radius);
            break;
        case SS_GRAPH_EDGES:
            snprintf (what, sizeof what, "kind edges, %d edge%s", self->n_edges,
                      self->n_edges == 1? "": "s");
            break;
        default:
            snprintf (what, sizeof what, "kind %s",
                      ss_graph_kind_name (self->graph_kind));
    }
    ss_graph_t *graph = NULL;
    if (self->count == 1) {
        int none [2] = { 0, 0 };
        graph = ss_graph_edges (1, none, 0);
    }
    else
    switch (self->graph_kind) {
        case SS_GRAPH_RING:
            graph = ss_graph_ring (self->count, self->graph_degree);
            break;
        case SS_GRAPH_GRID:
            graph = ss_graph_grid (self->count);
            break;
        case SS_GRAPH_GEOMETRIC: {
            double *x = malloc ((size_t) self->count * self->model.dim
                                * sizeof (double));
            if (x) {
                ss_fleet_positions (self, x);
                graph = ss_graph_geometric (self->count, x, self->model.dim,
                                            self->graph_radius);
                free (x);
            }
            break;
        }
        case SS_GRAPH_COMPLETE:
            graph = ss_graph_complete (self->count);
            break;
        case SS_GRAPH_EDGES:
            graph = ss_graph_edges (self->count, self->edges, self->n_edges);
            break;
    }
    if (!graph) {
        s_fail (&ctx, "fleet/graph", "cannot build the graph (%s) on %d agents",
                what, self->count);
        return NULL;
    }
    if (!ss_graph_connected (graph)) {
        s_fail (&ctx, "fleet/graph", "the graph is not connected (%s); %s",
                what, self->graph_kind == SS_GRAPH_GEOMETRIC?
                "raise radius or choose another kind":
                self->graph_kind == SS_GRAPH_EDGES?
                "add edges or choose another kind": "choose another kind");
        ss_graph_destroy (&graph);
        return NULL;
    }
    return graph;
}

//  FNV-1a 64 over a fixed little-endian encoding, the same on every host
typedef struct { uint64_t h; } s_fnv_t;

static void
s_fnv_bytes (s_fnv_t *fnv, const void *data, size_t size)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < size; i++) {
        fnv->h ^= p [i];
        fnv->h *= 0x100000001b3ULL;
    }
}

static void
s_fnv_u64 (s_fnv_t *fnv, uint64_t v)
{
    unsigned char b [8];
    for (int i = 0; i < 8; i++)
        b [i] = (unsigned char) (v >> (8 * i));
    s_fnv_bytes (fnv, b, 8);
}

static void
s_fnv_double (s_fnv_t *fnv, double v)
{
    uint64_t bits;
    memcpy (&bits, &v, sizeof bits);
    s_fnv_u64 (fnv, bits);
}

uint64_t
ss_fleet_id (const ss_fleet_t *self)
{
    assert (self);
    s_fnv_t fnv = { 0xcbf29ce484222325ULL };
    s_fnv_bytes (&fnv, self->name, strlen (self->name) + 1);
    s_fnv_u64 (&fnv, (uint64_t) self->count);
    s_fnv_u64 (&fnv, self->seed);
    const ss_model_t *m = &self->model;
    s_fnv_u64 (&fnv, (uint64_t) m->dim);
    s_fnv_double (&fnv, m->lo);
    s_fnv_double (&fnv, m->hi);
    s_fnv_u64 (&fnv, (uint64_t) m->m);
    s_fnv_double (&fnv, m->ell);
    s_fnv_double (&fnv, m->h);
    s_fnv_u64 (&fnv, (uint64_t) m->nq);
    s_fnv_double (&fnv, m->rho);
    s_fnv_double (&fnv, m->lambda);
    s_fnv_double (&fnv, m->alpha);
    s_fnv_double (&fnv, m->gamma);
    s_fnv_double (&fnv, m->vmax);
    s_fnv_u64 (&fnv, (uint64_t) self->graph_kind);
    s_fnv_u64 (&fnv, (uint64_t) self->graph_degree);
    s_fnv_double (&fnv, self->graph_radius);
    s_fnv_u64 (&fnv, (uint64_t) self->n_edges);
    for (int e = 0; e < 2 * self->n_edges; e++)
        s_fnv_u64 (&fnv, (uint64_t) self->edges [e]);
    return fnv.h;
}

//  --------------------------------------------------------------------------
//  Values as text: what ss_fleet_write writes and ss_fleet_get returns

//  The shortest %g that reads back to the same double
static void
s_print_double (FILE *out, double v)
{
    char text [40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf (text, sizeof text, "%.*g", precision, v);
        if (strtod (text, NULL) == v)
            break;
    }
    fputs (text, out);
}

//  A path as the fleet file in dir names it: relative to dir if it lies
//  under it, else absolute
static void
s_print_path (FILE *out, const char *path, const char *dir)
{
    size_t len = strlen (dir);
    if (!streq (dir, ".") && strncmp (path, dir, len) == 0 && path [len] == '/'
    &&  path [len + 1])
        fputs (path + len + 1, out);
    else
    if (path [0] == '/' || streq (dir, "."))
        fputs (path, out);
    else {
        char cwd [PATH_MAX];
        if (getcwd (cwd, sizeof cwd))
            fprintf (out, "%s/", cwd);
        fputs (path, out);
    }
}

//  The value of a row in base as text (malloc'd), or NULL if the key has
//  no value (an optional key that is not set)
static char *
s_value_text (const ss_fleet_key_t *key, const void *base, const ss_fleet_t *self,
              const char *dir)
{
    const char *field = (const char *) base + key->offset;
    if (key->type == SS_FLEET_PATH && !*field)
        return NULL;
    if (key->type == SS_FLEET_EDGES && self->graph_kind != SS_GRAPH_EDGES)
        return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return NULL;
    switch (key->type) {
        case SS_FLEET_INT:
            fprintf (out, "%d", *(const int *) field);
            break;
        case SS_FLEET_INT64:
            fprintf (out, "%lld", (long long) *(const int64_t *) field);
            break;
        case SS_FLEET_UINT64:
            fprintf (out, "%llu", (unsigned long long) *(const uint64_t *) field);
            break;
        case SS_FLEET_FLAG:
            fprintf (out, "%d", *(const bool *) field? 1: 0);
            break;
        case SS_FLEET_DOUBLE:
            s_print_double (out, *(const double *) field);
            break;
        case SS_FLEET_NAME:
        case SS_FLEET_WORD:
        case SS_FLEET_STRING:
            fputs (field, out);
            break;
        case SS_FLEET_PATH:
            s_print_path (out, field, dir);
            break;
        case SS_FLEET_ENUM: {
            const char *word = key->word (*(const int *) field);
            fputs (word? word: "?", out);
            break;
        }
        case SS_FLEET_VECTOR:
            for (int a = 0; a < self->model.dim; a++) {
                if (a)
                    fputc (' ', out);
                s_print_double (out, ((const double *) field) [a]);
            }
            break;
        case SS_FLEET_EDGES:
            for (int e = 0; e < self->n_edges; e++)
                fprintf (out, "%s%d-%d", e? " ": "", self->edges [2 * e],
                         self->edges [2 * e + 1]);
            break;
        default:
            break;
    }
    if (fclose (out)) {
        free (text);
        return NULL;
    }
    return text;
}

int
ss_fleet_get (const ss_fleet_t *self, const char *path, char *out, size_t size)
{
    assert (self);
    assert (path);
    const ss_fleet_key_t *key = ss_fleet_key (path);
    if (!key || !s_is_leaf (key) || s_repeat_of (key))
        return -1;
    char *text = s_value_text (key, self, self, self->dir);
    int rc = text && strlen (text) < size? 0: -1;
    if (rc == 0)
        strcpy (out, text);
    free (text);
    return rc;
}

int
ss_fleet_key_default (const ss_fleet_key_t *key, char *out, size_t size)
{
    assert (key);
    char *text = NULL;
    if (key->value)
        text = strdup (key->value);
    else
    if (key->flags & SS_FLEET_MODEL) {
        ss_fleet_t *scratch = calloc (1, sizeof (ss_fleet_t));
        if (scratch) {
            ss_model_defaults (&scratch->model);
            text = s_value_text (key, scratch, scratch, ".");
        }
        free (scratch);
    }
    else
        text = strdup (key->shown? key->shown: "");
    int rc = text && strlen (text) < size? 0: -1;
    if (rc == 0)
        strcpy (out, text);
    free (text);
    return rc;
}

//  --------------------------------------------------------------------------
//  Comparing fleets field by field

//  A path made absolute (against the working directory) and lexically
//  normal: no "." or empty components, ".." applied
static void
s_normal_path (const char *path, char *out, size_t size)
{
    char full [2 * PATH_MAX + 2] = "";
    char cwd [PATH_MAX];
    if (path [0] != '/' && getcwd (cwd, sizeof cwd))
        snprintf (full, sizeof full, "%s/%s", cwd, path);
    else
        snprintf (full, sizeof full, "%s", path);
    size_t len = 0;
    out [0] = 0;
    char *save = NULL;
    for (char *part = strtok_r (full, "/", &save); part; part = strtok_r (NULL, "/", &save)) {
        if (streq (part, "."))
            continue;
        if (streq (part, "..")) {
            char *slash = strrchr (out, '/');
            len = slash? (size_t) (slash - out): 0;
            out [len] = 0;
            continue;
        }
        int n = snprintf (out + len, size - len, "/%s", part);
        if (n < 0 || (size_t) n >= size - len)
            return;
        len += (size_t) n;
    }
    if (!len)
        snprintf (out, size, "/");
}

static bool
s_same_path (const char *a, const char *b)
{
    if (streq (a, b))
        return true;
    if (!*a || !*b)
        return false;
    char x [PATH_MAX], y [PATH_MAX];
    s_normal_path (a, x, sizeof x);
    s_normal_path (b, y, sizeof y);
    return streq (x, y);
}

//  The row's field equal in a and b (the structs of its section); self_a
//  and self_b are their fleets
static bool
s_field_equal (const ss_fleet_key_t *key, const void *a, const void *b,
               const ss_fleet_t *self_a, const ss_fleet_t *self_b)
{
    if (key->offset == SIZE_MAX)
        return true;
    const char *x = (const char *) a + key->offset;
    const char *y = (const char *) b + key->offset;
    switch (key->type) {
        case SS_FLEET_NAME:
        case SS_FLEET_WORD:
        case SS_FLEET_STRING:
            return streq (x, y);
        case SS_FLEET_PATH:
            return s_same_path (x, y);
        case SS_FLEET_VECTOR:
            return memcmp (x, y, (size_t) self_a->model.dim * sizeof (double)) == 0;
        case SS_FLEET_EDGES:
            return self_a->n_edges == self_b->n_edges
                && (self_a->n_edges == 0 || memcmp (self_a->edges, self_b->edges,
                        2 * (size_t) self_a->n_edges * sizeof (int)) == 0);
        case SS_FLEET_FLAG:
            return *(const bool *) x == *(const bool *) y;
        default:
            //  Integers, enums and doubles (bit for bit)
            return memcmp (x, y, key->size) == 0;
    }
}

const char *
ss_fleet_diff (const ss_fleet_t *a, const ss_fleet_t *b)
{
    assert (a);
    assert (b);
    for (const ss_fleet_key_t *k = s_keys; k < s_keys + S_N_KEYS; k++)
        if (s_is_leaf (k) && !s_repeat_of (k) && !s_field_equal (k, a, b, a, b))
            return k->path;
    const ss_fleet_key_t *component = ss_fleet_key ("target/component");
    if (a->target.count != b->target.count)
        return component->path;
    for (int c = 0; c < a->target.count; c++)
        for (const ss_fleet_key_t *k = component + 1; k < s_keys + S_N_KEYS && s_is_child (k, component); k++)
            if (!s_field_equal (k, &a->target.comp [c], &b->target.comp [c], a, b))
                return k->path;
    //  The image's grid (the same file may have changed between loads)
    if (a->target.cells != b->target.cells
    ||  memcmp (a->target.level, b->target.level, (size_t) a->target.cells) != 0)
        return "target/image";
    const ss_fleet_key_t *agent = ss_fleet_key ("agents/agent");
    for (int i = 0; i < a->count; i++)
        for (const ss_fleet_key_t *k = agent + 1; k < s_keys + S_N_KEYS && s_is_child (k, agent); k++)
            if (!s_field_equal (k, &a->agents [i], &b->agents [i], a, b))
                return k->path;
    return NULL;
}

//  --------------------------------------------------------------------------
//  The writer

//  A value as ZPL writes it: plain, "double quoted" or 'single quoted'.
//  -1 if it holds both quotes (ZPL has no escapes).
static int
s_print_value (FILE *out, const char *text)
{
    bool plain = *text != 0;
    for (const char *c = text; plain && *c; c++)
        plain = isalnum ((unsigned char) *c) || strchr ("._:/+-*@,", *c);
    if (plain)
        fputs (text, out);
    else
    if (!strchr (text, '"'))
        fprintf (out, "\"%s\"", text);
    else
    if (!strchr (text, '\''))
        fprintf (out, "'%s'", text);
    else
        return -1;
    return 0;
}

//  One key: a comment "#   [default] doc", then on its own line its name
//  at name_col (after a '#' at hash_col if hash_col >= 0: a commented-out
//  key) and " = value" if value. A line "name = value" stays plain for
//  whoever greps it.
static int
s_write_line (FILE *out, int hash_col, int name_col, const ss_fleet_key_t *key,
              const char *value)
{
    fprintf (out, "%*s#   ", hash_col >= 0? hash_col: name_col, "");
    if (s_is_leaf (key)) {
        char shown [128];
        if (ss_fleet_key_default (key, shown, sizeof shown) == 0)
            fprintf (out, "[%s] ", shown);
    }
    fprintf (out, "%s\n", key->doc);
    if (hash_col >= 0)
        fprintf (out, "%*s#%*s", hash_col, "", name_col - hash_col - 1, "");
    else
        fprintf (out, "%*s", name_col, "");
    fputs (s_name (key), out);
    int rc = 0;
    if (value) {
        fputs (" = ", out);
        rc = s_print_value (out, value);
    }
    fputc ('\n', out);
    return rc;
}

//  The leaves of a repeated section's item in base (all, or those that
//  differ from other when other is not NULL); id first for agents
static int
s_write_item (FILE *out, const ss_fleet_key_t *repeat, const void *base,
              const void *other, const ss_fleet_t *self, const char *dir, int id)
{
    int depth = s_depth (repeat) + 1, rc = 0;
    for (const ss_fleet_key_t *k = repeat + 1; rc == 0 && k < s_keys + S_N_KEYS && s_is_child (k, repeat); k++) {
        if (k->offset == SIZE_MAX) {
            char text [32];
            snprintf (text, sizeof text, "%d", id);
            rc = s_write_line (out, -1, 4 * depth, k, text);
            continue;
        }
        if (other && s_field_equal (k, base, other, self, self))
            continue;
        char *text = s_value_text (k, base, self, dir);
        rc = text? s_write_line (out, -1, 4 * depth, k, text): -1;
        free (text);
    }
    return rc;
}

//  The rows of a repeated section commented out, to document them
static void
s_write_commented (FILE *out, const ss_fleet_key_t *repeat)
{
    int depth = s_depth (repeat);
    s_write_line (out, 4 * depth, 4 * depth + 2, repeat, NULL);
    for (const ss_fleet_key_t *k = repeat + 1; k < s_keys + S_N_KEYS && s_is_child (k, repeat); k++)
        s_write_line (out, 4 * depth, 4 * (depth + 1) + 2, k, NULL);
}

static int
s_write_fleet (FILE *out, const ss_fleet_t *self, const char *dir, const double *x)
{
    fprintf (out,
        "#   Fleet %s, written by swarmshape from %s (--set overrides applied).\n"
        "#   Every key with its value, after a comment with its [default] and\n"
        "#   meaning.\n"
        "#   ZPL (CZMQ zconfig): 4 spaces of indentation per level.\n"
        "fleet\n", self->name, self->path);
    int rc = 0;
    for (const ss_fleet_key_t *k = s_keys; rc == 0 && k < s_keys + S_N_KEYS; k++) {
        if (s_repeat_of (k))
            continue;               //  written with their section
        int depth = s_depth (k);
        if (k->type == SS_FLEET_SECTION) {
            fputc ('\n', out);
            rc = s_write_line (out, -1, 4 * depth, k, NULL);
        }
        else
        if (k->type == SS_FLEET_REPEAT && streq (k->path, "target/component"))
            for (int c = 0; rc == 0 && c < self->target.count; c++) {
                s_write_line (out, -1, 4 * depth, k, NULL);
                rc = s_write_item (out, k, &self->target.comp [c], NULL, self, dir, c);
            }
        else
        if (k->type == SS_FLEET_REPEAT) {
            //  agents/agent: only the agents that differ from their default
            int written = 0;
            for (int i = 0; rc == 0 && i < self->count; i++) {
                ss_agent_spec_t standard = s_agent_default (self, i, x);
                bool differs = false;
                for (const ss_fleet_key_t *a = k + 1; a < s_keys + S_N_KEYS && s_is_child (a, k); a++)
                    differs |= !s_field_equal (a, &self->agents [i], &standard,
                                               self, self);
                if (differs) {
                    s_write_line (out, -1, 4 * depth, k, NULL);
                    rc = s_write_item (out, k, &self->agents [i], &standard,
                                       self, dir, i);
                    written++;
                }
            }
            if (!written)
                s_write_commented (out, k);
        }
        else {
            char *text = s_value_text (k, self, self, dir);
            if (text)
                rc = s_write_line (out, -1, 4 * depth, k, text);
            else
                s_write_line (out, 4 * depth, 4 * depth + 2, k, NULL);
            free (text);
        }
    }
    return rc;
}

int
ss_fleet_write (const ss_fleet_t *self, const char *path, char *err, size_t err_size)
{
    assert (self);
    assert (path);
    s_ctx_t ctx = { path, err, err_size };
    if (err && err_size)
        *err = 0;
    char dir [PATH_MAX];
    s_dir_of (path, dir, sizeof dir);
    //  Agents are written where they differ from what init gives them
    s_ctx_t source = { self->path, err, err_size };
    double *x = malloc ((size_t) self->count * (size_t) self->model.dim * sizeof (double) + 1);
    if (!x)
        return s_fail (&ctx, NULL, "out of memory");
    if (s_init_positions (&source, self, x)) {
        free (x);
        return -1;
    }
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    int rc = out? s_write_fleet (out, self, dir, x): -1;
    if (out && fclose (out))
        rc = -1;
    free (x);
    if (rc) {
        free (text);
        return s_fail (&ctx, NULL, "cannot write the fleet in ZPL (a value holds "
                       "both quotes, or out of memory)");
    }
    //  Read it back as ss_fleet_load will, before anybody can
    char back_err [1024];
    ss_fleet_t *back = s_load (path, text, size, NULL, 0, back_err, sizeof back_err);
    const char *diff = back? ss_fleet_diff (self, back): NULL;
    bool loaded = back != NULL;
    ss_fleet_destroy (&back);
    if (!loaded)
        rc = s_fail (&ctx, NULL, "the fleet written would not load: %s", back_err);
    else
    if (diff)
        rc = s_fail (&ctx, s_key ("fleet", diff).text, "the fleet written would "
                     "load different from %s", self->path);
    else
    if (ss_file_write_atomic (path, text, size, 0644))
        rc = s_fail (&ctx, NULL, "cannot write file (%s)", strerror (errno));
    free (text);
    return rc;
}

//  --------------------------------------------------------------------------
//  A target file: a picture, a root `target` section, or a whole fleet
//  file whose fleet/target is read (its other keys are not)

//  A picture by its name, or by its first bytes
static bool
s_is_image (const char *path)
{
    if (ss_image_named (path))
        return true;
    uint8_t head [8];
    ssize_t got = 0;
    int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
        got = read (fd, head, sizeof head);
    if (fd >= 0)
        close (fd);
    return got > 0 && ss_image_sniff (head, (size_t) got);
}

int
ss_fleet_load_target (const char *path, const ss_model_t *model,
                      ss_mixture_t *target, char *err, size_t err_size)
{
    assert (path);
    assert (model);
    assert (target);
    s_ctx_t ctx = { path, err, err_size };
    if (err && err_size)
        *err = 0;
    if (s_is_image (path)) {
        ss_mixture_t *picture = calloc (1, sizeof (ss_mixture_t));
        int rc = picture? ss_image_target (path, model, picture, err, err_size):
                          s_fail (&ctx, NULL, "out of memory");
        if (rc == 0)
            *target = *picture;
        free (picture);
        return rc;
    }
    zconfig_t *root = s_load_zpl (&ctx, path);
    if (!root)
        return -1;
    int rc = 0;
    zconfig_t *section = NULL;
    const char *key = "target";
    for (zconfig_t *item = zconfig_child (root); item && rc == 0;
         item = zconfig_next (item)) {
        const char *name = zconfig_name (item);
        if (!streq (name, "target") && !streq (name, "fleet"))
            rc = s_fail (&ctx, name, "unknown key (only 'target' or 'fleet' "
                         "is allowed at the top level)");
        else
        if (section)
            rc = s_fail (&ctx, name, "duplicate target");
        else
        if (streq (name, "target"))
            section = item;
        else {
            section = zconfig_locate (item, "target");
            key = "fleet/target";
            if (!section)
                rc = s_fail (&ctx, "fleet/target", "missing section");
        }
    }
    if (rc == 0 && !section)
        rc = s_fail (&ctx, "target", "missing section (the file must start "
                     "with a line 'target')");
    if (rc == 0) {
        const char *value = zconfig_value (section);
        if (value && *value)
            rc = s_fail (&ctx, key, "expected a section, got a value '%s'",
                         s_quote (value).text);
    }
    if (rc == 0)
        rc = s_check_shape (&ctx, section, "target", key);
    ss_mixture_t *mixture = calloc (1, sizeof (ss_mixture_t));
    ss_fleet_t *scratch = rc == 0? calloc (1, sizeof (ss_fleet_t)): NULL;
    if (rc == 0 && (!scratch || !mixture))
        rc = s_fail (&ctx, NULL, "out of memory");
    const char *image = rc == 0? s_leaf (section, "image"): NULL;
    if (rc == 0) {
        scratch->model = *model;
        s_dir_of (path, scratch->dir, sizeof scratch->dir);
        if (image)
            rc = s_parse_value (&ctx, ss_fleet_key ("target/image"), image,
                                s_key (key, "image").text, scratch, scratch, "");
    }
    if (rc == 0)
        rc = s_read_target (&ctx, section, key, scratch, mixture);
    if (rc == 0)
        *target = *mixture;
    free (mixture);
    free (scratch);
    zconfig_destroy (&root);
    return rc;
}
