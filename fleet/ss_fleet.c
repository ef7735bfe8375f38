/*  ss_fleet: the fleet file loader.

    A fleet file is read in four passes over one zconfig tree:

    1. load: the file must exist and be valid ZPL, with one `fleet` section
       at the top;
    2. overrides: every "PATH=VALUE" is put into the tree, so an override
       goes through exactly the checks a value written in the file does;
    3. shape: every item is checked against the schema below (unknown keys,
       duplicated keys, values where a section is expected) before any value
       is read, so a typo is reported even under a section we would not read;
    4. values: each key is parsed strictly (the whole text must be one finite
       number or integer in range), then the model and the target are handed
       to ss_model_check and ss_mixture_check, then initial positions, hosts
       and ports are resolved for every agent.

    Every default comes from ss_model_defaults and ss_mixture_defaults or
    from the header's documented defaults; the loader adds no model numbers
    of its own. The first error wins and is one line: "FILE: KEY: problem".
*/

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <czmq.h>
#include "ss_fleet.h"
#include "ss_rng.h"

//  --------------------------------------------------------------------------
//  Schema: which items may appear where

typedef enum { S_LEAF, S_SECTION, S_REPEAT } s_kind_t;

typedef struct s_spec_t s_spec_t;
struct s_spec_t {
    const char *name;
    s_kind_t kind;
    const s_spec_t *children;   //  for sections, terminated by a NULL name
};

static const s_spec_t s_model_spec [] = {
    { "dim", S_LEAF, NULL }, { "lo", S_LEAF, NULL }, { "hi", S_LEAF, NULL },
    { "m", S_LEAF, NULL }, { "ell", S_LEAF, NULL }, { "h", S_LEAF, NULL },
    { "nq", S_LEAF, NULL }, { "rho", S_LEAF, NULL },
    { "lambda", S_LEAF, NULL }, { "alpha", S_LEAF, NULL },
    { "gamma", S_LEAF, NULL }, { "vmax", S_LEAF, NULL },
    { NULL, S_LEAF, NULL }
};
static const s_spec_t s_component_spec [] = {
    { "weight", S_LEAF, NULL }, { "mean", S_LEAF, NULL },
    { "std", S_LEAF, NULL }, { NULL, S_LEAF, NULL }
};
static const s_spec_t s_target_spec [] = {
    { "component", S_REPEAT, s_component_spec }, { NULL, S_LEAF, NULL }
};
static const s_spec_t s_graph_spec [] = {
    { "kind", S_LEAF, NULL }, { "degree", S_LEAF, NULL },
    { "radius", S_LEAF, NULL }, { "edges", S_LEAF, NULL },
    { NULL, S_LEAF, NULL }
};
static const s_spec_t s_agent_spec [] = {
    { "id", S_LEAF, NULL }, { "host", S_LEAF, NULL },
    { "port", S_LEAF, NULL }, { "x", S_LEAF, NULL }, { NULL, S_LEAF, NULL }
};
static const s_spec_t s_agents_spec [] = {
    { "count", S_LEAF, NULL }, { "init", S_LEAF, NULL },
    { "box_lo", S_LEAF, NULL }, { "box_hi", S_LEAF, NULL },
    { "file", S_LEAF, NULL }, { "host", S_LEAF, NULL },
    { "base_port", S_LEAF, NULL }, { "agent", S_REPEAT, s_agent_spec },
    { NULL, S_LEAF, NULL }
};
static const s_spec_t s_coordinator_spec [] = {
    { "endpoint", S_LEAF, NULL }, { "report_every", S_LEAF, NULL },
    { NULL, S_LEAF, NULL }
};
static const s_spec_t s_security_spec [] = {
    { "curve", S_LEAF, NULL }, { "keys", S_LEAF, NULL },
    { "state", S_LEAF, NULL }, { NULL, S_LEAF, NULL }
};
static const s_spec_t s_faults_spec [] = {
    { "heartbeat_ms", S_LEAF, NULL }, { "round_timeout_ms", S_LEAF, NULL },
    { "lost_after_ms", S_LEAF, NULL }, { "checkpoint_every", S_LEAF, NULL },
    { "settle_rounds", S_LEAF, NULL },
    { NULL, S_LEAF, NULL }
};
static const s_spec_t s_fleet_spec [] = {
    { "name", S_LEAF, NULL }, { "rounds", S_LEAF, NULL },
    { "seed", S_LEAF, NULL }, { "model", S_SECTION, s_model_spec },
    { "target", S_SECTION, s_target_spec },
    { "graph", S_SECTION, s_graph_spec },
    { "agents", S_SECTION, s_agents_spec },
    { "coordinator", S_SECTION, s_coordinator_spec },
    { "security", S_SECTION, s_security_spec },
    { "faults", S_SECTION, s_faults_spec },
    { NULL, S_LEAF, NULL }
};

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

typedef enum { S_ANY, S_POSITIVE, S_NONNEGATIVE } s_sign_t;

//  0 if absent (value unchanged) or read, -1 on error
static int
s_read_double (s_ctx_t *ctx, zconfig_t *section, const char *path,
               const char *name, s_sign_t sign, double *value)
{
    const char *text = s_leaf (section, name);
    if (!text)
        return 0;
    double v;
    bool ok = s_parse_double (text, &v);
    if (ok && sign == S_POSITIVE && !(v > 0))
        ok = false;
    if (ok && sign == S_NONNEGATIVE && !(v >= 0))
        ok = false;
    if (!ok)
        return s_fail (ctx, s_key (path, name).text,
                       "expected a number%s, got '%s'",
                       sign == S_POSITIVE? " > 0":
                       sign == S_NONNEGATIVE? " >= 0": "",
                       s_quote (text).text);
    *value = v;
    return 0;
}

static int
s_read_int (s_ctx_t *ctx, zconfig_t *section, const char *path,
            const char *name, long long min, long long max, long long *value)
{
    const char *text = s_leaf (section, name);
    if (!text)
        return 0;
    long long v;
    if (!s_parse_int (text, &v) || v < min || v > max) {
        if (max == LLONG_MAX)
            return s_fail (ctx, s_key (path, name).text,
                           "expected an integer >= %lld, got '%s'",
                           min, s_quote (text).text);
        return s_fail (ctx, s_key (path, name).text,
                       "expected an integer in %lld..%lld, got '%s'",
                       min, max, s_quote (text).text);
    }
    *value = v;
    return 0;
}

static int
s_read_intv (s_ctx_t *ctx, zconfig_t *section, const char *path,
             const char *name, long long min, long long max, int *value)
{
    long long v = *value;
    if (s_read_int (ctx, section, path, name, min, max, &v))
        return -1;
    *value = (int) v;
    return 0;
}

//  A word without blanks or control characters, shorter than size
static int
s_read_word (s_ctx_t *ctx, zconfig_t *section, const char *path,
             const char *name, const char *what, char *value, size_t size)
{
    const char *text = s_leaf (section, name);
    if (!text)
        return 0;
    size_t len = strlen (text);
    bool ok = len > 0 && len < size;
    for (const char *c = text; ok && *c; c++)
        if ((unsigned char) *c <= ' ' || *c == 0x7f)
            ok = false;
    if (!ok)
        return s_fail (ctx, s_key (path, name).text,
                       "expected %s (1 to %zu characters, no blanks), got '%s'",
                       what, size - 1, s_quote (text).text);
    memcpy (value, text, len + 1);
    return 0;
}

//  --------------------------------------------------------------------------
//  Shape check: every item is known, leaves have no children, sections
//  have no value, only repeatable sections repeat

static int
s_check_shape (s_ctx_t *ctx, zconfig_t *node, const char *path,
               const s_spec_t *spec)
{
    for (zconfig_t *item = zconfig_child (node); item; item = zconfig_next (item)) {
        const char *name = zconfig_name (item);
        s_key_t key = s_key (path, name);
        const s_spec_t *known = NULL;
        for (const s_spec_t *s = spec; s->name; s++)
            if (name && streq (s->name, name)) {
                known = s;
                break;
            }
        if (!known)
            return s_fail (ctx, key.text, "unknown key");
        if (known->kind != S_REPEAT)
            for (zconfig_t *prev = zconfig_child (node); prev != item;
                 prev = zconfig_next (prev))
                if (zconfig_name (prev) && streq (zconfig_name (prev), name))
                    return s_fail (ctx, key.text, "duplicate key");
        if (known->kind == S_LEAF) {
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
            if (s_check_shape (ctx, item, key.text, known->children))
                return -1;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Model and target

static const char *s_model_keys [] = {
    "dim", "lo", "hi", "m", "ell", "h", "nq", "rho", "lambda", "alpha",
    "gamma", "vmax", NULL
};

static int
s_read_model (s_ctx_t *ctx, zconfig_t *section, const char *path,
              ss_model_t *model)
{
    ss_model_defaults (model);
    if (s_read_intv (ctx, section, path, "dim", 1, SS_MAX_DIM, &model->dim)
    ||  s_read_double (ctx, section, path, "lo", S_ANY, &model->lo)
    ||  s_read_double (ctx, section, path, "hi", S_ANY, &model->hi)
    ||  s_read_intv (ctx, section, path, "m", 1, SS_MAX_K, &model->m)
    ||  s_read_double (ctx, section, path, "ell", S_POSITIVE, &model->ell)
    ||  s_read_double (ctx, section, path, "h", S_NONNEGATIVE, &model->h)
    ||  s_read_intv (ctx, section, path, "nq", 2, SS_MAX_G, &model->nq)
    ||  s_read_double (ctx, section, path, "rho", S_POSITIVE, &model->rho)
    ||  s_read_double (ctx, section, path, "lambda", S_NONNEGATIVE, &model->lambda)
    ||  s_read_double (ctx, section, path, "alpha", S_POSITIVE, &model->alpha)
    ||  s_read_double (ctx, section, path, "gamma", S_POSITIVE, &model->gamma)
    ||  s_read_double (ctx, section, path, "vmax", S_POSITIVE, &model->vmax))
        return -1;
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
        const char *field = NULL;
        size_t len = strcspn (problem, " ");
        for (const char **k = s_model_keys; *k; k++)
            if (strlen (*k) == len && strncmp (*k, problem, len) == 0)
                field = *k;
        if (field)
            return s_fail (ctx, s_key (path, field).text, "%s", problem);
        return s_fail (ctx, path, "%s", problem);
    }
    return 0;
}

//  Read the components of a checked target section; with none, the
//  default mixture of the model
static int
s_read_target (s_ctx_t *ctx, zconfig_t *section, const char *path,
               const ss_model_t *model, ss_mixture_t *target)
{
    memset (target, 0, sizeof *target);
    int total = 0;
    for (zconfig_t *item = section? zconfig_child (section): NULL; item;
         item = zconfig_next (item))
        total++;
    if (total == 0) {
        ss_mixture_defaults (target, model->dim, model->lo, model->hi);
        return 0;
    }
    s_key_t comp_path = s_key (path, "component");
    if (total > SS_MAX_COMPONENTS)
        return s_fail (ctx, comp_path.text,
                       "at most %d components, got %d", SS_MAX_COMPONENTS, total);

    int c = 0;
    for (zconfig_t *item = zconfig_child (section); item;
         item = zconfig_next (item), c++) {
        ss_component_t *comp = &target->comp [c];
        char which [32] = "";
        if (total > 1)
            snprintf (which, sizeof which, " (component %d)", c + 1);
        static const char *required [] = { "weight", "mean", "std", NULL };
        for (const char **r = required; *r; r++)
            if (!s_leaf (item, *r))
                return s_fail (ctx, s_key (comp_path.text, *r).text,
                               "missing%s", which);
        const char *text = s_leaf (item, "weight");
        if (!s_parse_double (text, &comp->weight) || !(comp->weight > 0))
            return s_fail (ctx, s_key (comp_path.text, "weight").text,
                           "expected a number > 0, got '%s'%s",
                           s_quote (text).text, which);
        text = s_leaf (item, "std");
        if (!s_parse_double (text, &comp->std) || !(comp->std > 0))
            return s_fail (ctx, s_key (comp_path.text, "std").text,
                           "expected a number > 0, got '%s'%s",
                           s_quote (text).text, which);
        text = s_leaf (item, "mean");
        bool ok = s_parse_vector (text, model->dim, comp->mean);
        for (int a = 0; ok && a < model->dim; a++)
            if (comp->mean [a] < model->lo || comp->mean [a] > model->hi)
                ok = false;
        if (!ok)
            return s_fail (ctx, s_key (comp_path.text, "mean").text,
                           "expected %d number%s in [%g, %g], got '%s'%s",
                           model->dim, model->dim > 1? "s": "",
                           model->lo, model->hi, s_quote (text).text, which);
    }
    target->count = total;
    const char *problem = ss_mixture_check (target, model);
    if (problem)
        return s_fail (ctx, path, "%s", problem);
    return 0;
}

//  --------------------------------------------------------------------------
//  Paths

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
//  Initial positions from a CSV like a run's initial.csv

static int
s_read_positions_csv (s_ctx_t *ctx, ss_fleet_t *self)
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
            self->agents [id].x0 [a] = x [a];
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

//  --------------------------------------------------------------------------
//  Agents: count, initial positions, hosts, ports

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

static int
s_read_agents (s_ctx_t *ctx, zconfig_t *section, ss_fleet_t *self)
{
    const char *path = "fleet/agents";
    const ss_model_t *model = &self->model;
    int dim = model->dim;

    self->count = 50;
    self->init = SS_INIT_UNIFORM;
    self->box_lo = model->lo;
    self->box_hi = model->lo + 0.3 * (model->hi - model->lo);
    snprintf (self->host, sizeof self->host, "127.0.0.1");
    self->base_port = 7100;
    if (s_read_intv (ctx, section, path, "count", 1, SS_FLEET_MAX_AGENTS,
                     &self->count))
        return -1;

    const char *init = s_leaf (section, "init");
    if (init) {
        if (streq (init, "uniform"))
            self->init = SS_INIT_UNIFORM;
        else
        if (streq (init, "box"))
            self->init = SS_INIT_BOX;
        else
        if (streq (init, "file"))
            self->init = SS_INIT_FILE;
        else
            return s_fail (ctx, "fleet/agents/init",
                           "unknown init '%s' (uniform, box, file)",
                           s_quote (init).text);
    }
    if (s_read_double (ctx, section, path, "box_lo", S_ANY, &self->box_lo)
    ||  s_read_double (ctx, section, path, "box_hi", S_ANY, &self->box_hi))
        return -1;
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

    const char *file = s_leaf (section, "file");
    if (file) {
        if (!*file)
            return s_fail (ctx, "fleet/agents/file", "expected a file name, got ''");
        if (s_resolve (ctx, "fleet/agents/file", self->dir, file,
                       self->init_file, sizeof self->init_file))
            return -1;
    }
    else
    if (self->init == SS_INIT_FILE)
        return s_fail (ctx, "fleet/agents/file", "missing (required when init = file)");

    if (s_read_word (ctx, section, path, "host", "a host name",
                     self->host, sizeof self->host)
    ||  s_read_intv (ctx, section, path, "base_port", 1, 65535, &self->base_port))
        return -1;

    self->agents = calloc ((size_t) self->count, sizeof (ss_agent_spec_t));
    if (!self->agents)
        return s_fail (ctx, path, "out of memory for %d agents", self->count);

    //  Initial positions
    if (self->init == SS_INIT_FILE) {
        if (s_read_positions_csv (ctx, self))
            return -1;
    }
    else {
        double lo = self->init == SS_INIT_BOX? self->box_lo: model->lo;
        double hi = self->init == SS_INIT_BOX? self->box_hi: model->hi;
        ss_rng_t rng;
        ss_rng_seed (&rng, self->seed);
        for (int i = 0; i < self->count; i++)
            for (int a = 0; a < dim; a++)
                self->agents [i].x0 [a] = lo + (hi - lo) * ss_rng_uniform (&rng);
    }
    for (int i = 0; i < self->count; i++) {
        snprintf (self->agents [i].host, sizeof self->agents [i].host,
                  "%s", self->host);
        self->agents [i].port = -1;     //  base_port + i, checked below
    }

    //  Per-agent overrides
    char *given = calloc ((size_t) self->count, 1);
    if (!given)
        return s_fail (ctx, path, "out of memory for %d agents", self->count);
    int rc = 0;
    const char *agent_path = "fleet/agents/agent";
    for (zconfig_t *item = section? zconfig_child (section): NULL;
         item && rc == 0; item = zconfig_next (item)) {
        if (!streq (zconfig_name (item), "agent"))
            continue;
        long long id = -1;
        if (!s_leaf (item, "id")) {
            rc = s_fail (ctx, "fleet/agents/agent/id", "missing");
            break;
        }
        if (s_read_int (ctx, item, agent_path, "id", 0, self->count - 1, &id)) {
            rc = -1;
            break;
        }
        if (given [id]) {
            rc = s_fail (ctx, "fleet/agents/agent/id", "agent %lld is given twice", id);
            break;
        }
        given [id] = 1;
        ss_agent_spec_t *agent = &self->agents [id];
        char which [48];
        snprintf (which, sizeof which, " (agent %lld)", id);
        const char *x = s_leaf (item, "x");
        if (x) {
            double v [SS_MAX_DIM];
            bool ok = s_parse_vector (x, dim, v);
            for (int a = 0; ok && a < dim; a++)
                ok = v [a] >= model->lo && v [a] <= model->hi;
            if (!ok) {
                rc = s_fail (ctx, "fleet/agents/agent/x",
                             "expected %d number%s in [%g, %g], got '%s'%s",
                             dim, dim > 1? "s": "", model->lo, model->hi,
                             s_quote (x).text, which);
                break;
            }
            memcpy (agent->x0, v, sizeof v);
        }
        if (s_read_word (ctx, item, agent_path, "host", "a host name",
                         agent->host, sizeof agent->host)
        ||  s_read_intv (ctx, item, agent_path, "port", 1, 65535, &agent->port))
            rc = -1;
    }
    free (given);
    if (rc)
        return rc;

    for (int i = 0; i < self->count; i++)
        if (self->agents [i].port == -1) {
            if (self->base_port + i > 65535)
                return s_fail (ctx, "fleet/agents/base_port",
                               "base_port + id = %d for agent %d is above 65535",
                               self->base_port + i, i);
            self->agents [i].port = self->base_port + i;
        }

    //  Two agents cannot listen on one host and port
    s_endpoint_t *order = malloc ((size_t) self->count * sizeof (s_endpoint_t));
    if (!order)
        return s_fail (ctx, path, "out of memory for %d agents", self->count);
    for (int i = 0; i < self->count; i++)
        order [i] = (s_endpoint_t) {
            self->agents [i].host, self->agents [i].port, i
        };
    qsort (order, (size_t) self->count, sizeof (s_endpoint_t), s_cmp_endpoint);
    for (int r = 1; r < self->count && rc == 0; r++)
        if (order [r].port == order [r - 1].port
        &&  streq (order [r].host, order [r - 1].host))
            rc = s_fail (ctx, "fleet/agents/agent/port",
                         "agents %d and %d both listen on %s:%d",
                         order [r - 1].id, order [r].id, order [r].host,
                         order [r].port);
    free (order);
    return rc;
}

//  --------------------------------------------------------------------------
//  Load

static int
s_read_fleet (s_ctx_t *ctx, zconfig_t *fleet, ss_fleet_t *self)
{
    const char *path = "fleet";
    snprintf (self->name, sizeof self->name, "fleet");
    self->rounds = 1000;
    self->seed = 1;

    const char *name = s_leaf (fleet, "name");
    if (name) {
        size_t len = strlen (name);
        bool ok = len > 0 && len < sizeof self->name;
        for (const char *c = name; ok && *c; c++)
            ok = isalnum ((unsigned char) *c) || strchr ("._-", *c);
        if (!ok)
            return s_fail (ctx, "fleet/name", "expected 1 to %zu characters of "
                           "[A-Za-z0-9._-], got '%s'", sizeof self->name - 1,
                           s_quote (name).text);
        memcpy (self->name, name, len + 1);
    }
    long long rounds = self->rounds;
    if (s_read_int (ctx, fleet, path, "rounds", 0, LLONG_MAX, &rounds))
        return -1;
    self->rounds = rounds;
    const char *seed = s_leaf (fleet, "seed");
    if (seed && !s_parse_u64 (seed, &self->seed))
        return s_fail (ctx, "fleet/seed", "expected an integer in 0..%llu, got '%s'",
                       (unsigned long long) UINT64_MAX, s_quote (seed).text);

    if (s_read_model (ctx, zconfig_locate (fleet, "model"), "fleet/model",
                      &self->model)
    ||  s_read_target (ctx, zconfig_locate (fleet, "target"), "fleet/target",
                       &self->model, &self->target))
        return -1;

    zconfig_t *agents = zconfig_locate (fleet, "agents");
    if (s_read_agents (ctx, agents, self))
        return -1;

    //  Graph
    zconfig_t *graph = zconfig_locate (fleet, "graph");
    self->graph_kind = SS_GRAPH_RING;
    self->graph_degree = 4;
    self->graph_radius = 0.3;
    const char *kind = s_leaf (graph, "kind");
    if (kind) {
        ss_graph_kind_t k;
        for (k = SS_GRAPH_RING; k <= SS_GRAPH_EDGES; k++)
            if (streq (kind, ss_graph_kind_name (k)))
                break;
        if (k > SS_GRAPH_EDGES)
            return s_fail (ctx, "fleet/graph/kind", "unknown graph kind '%s' "
                           "(ring, grid, geometric, complete, edges)",
                           s_quote (kind).text);
        self->graph_kind = k;
    }
    if (s_read_intv (ctx, graph, "fleet/graph", "degree", 0, INT_MAX,
                     &self->graph_degree)
    ||  s_read_double (ctx, graph, "fleet/graph", "radius", S_POSITIVE,
                       &self->graph_radius))
        return -1;
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
    const char *edges = s_leaf (graph, "edges");
    if (edges) {
        int *pairs = NULL, n_pairs = 0;
        if (s_read_edges (ctx, "fleet/graph/edges", edges, self->count,
                          &pairs, &n_pairs))
            return -1;
        if (self->graph_kind == SS_GRAPH_EDGES) {
            self->edges = pairs;
            self->n_edges = n_pairs;
        }
        else
            free (pairs);
    }
    else
    if (self->graph_kind == SS_GRAPH_EDGES)
        return s_fail (ctx, "fleet/graph/edges", "missing (required when kind = edges)");

    //  Coordinator
    zconfig_t *coordinator = zconfig_locate (fleet, "coordinator");
    snprintf (self->coordinator, sizeof self->coordinator, "tcp://127.0.0.1:7099");
    self->report_every = 10;
    if (s_read_word (ctx, coordinator, "fleet/coordinator", "endpoint",
                     "an endpoint like tcp://127.0.0.1:7099",
                     self->coordinator, sizeof self->coordinator)
    ||  s_read_intv (ctx, coordinator, "fleet/coordinator", "report_every",
                     1, INT_MAX, &self->report_every))
        return -1;
    if (!strstr (self->coordinator, "://"))
        return s_fail (ctx, "fleet/coordinator/endpoint", "expected an endpoint "
                       "like tcp://127.0.0.1:7099, got '%s'",
                       s_quote (self->coordinator).text);

    //  Security
    zconfig_t *security = zconfig_locate (fleet, "security");
    int curve = 1;
    char keys [PATH_MAX] = "keys", state [PATH_MAX] = "state";
    if (s_read_intv (ctx, security, "fleet/security", "curve", 0, 1, &curve)
    ||  s_read_word (ctx, security, "fleet/security", "keys", "a directory",
                     keys, sizeof keys)
    ||  s_read_word (ctx, security, "fleet/security", "state", "a directory",
                     state, sizeof state)
    ||  s_resolve (ctx, "fleet/security/keys", self->dir, keys,
                   self->keys, sizeof self->keys)
    ||  s_resolve (ctx, "fleet/security/state", self->dir, state,
                   self->state_dir, sizeof self->state_dir))
        return -1;
    self->curve = curve == 1;

    //  Faults (docs/fleet-design.md, "Faults"): not part of ss_fleet_id
    zconfig_t *faults = zconfig_locate (fleet, "faults");
    self->heartbeat_ms = 250;
    self->round_timeout_ms = 2000;
    self->lost_after_ms = 5000;
    self->checkpoint_every = 50;
    self->settle_rounds = 20;
    if (s_read_intv (ctx, faults, "fleet/faults", "heartbeat_ms",
                     1, 3600000, &self->heartbeat_ms)
    ||  s_read_intv (ctx, faults, "fleet/faults", "round_timeout_ms",
                     1, 86400000, &self->round_timeout_ms)
    ||  s_read_intv (ctx, faults, "fleet/faults", "lost_after_ms",
                     1, 86400000, &self->lost_after_ms)
    ||  s_read_intv (ctx, faults, "fleet/faults", "checkpoint_every",
                     1, INT_MAX, &self->checkpoint_every)
    ||  s_read_intv (ctx, faults, "fleet/faults", "settle_rounds",
                     0, 1000000, &self->settle_rounds))
        return -1;
    if (self->lost_after_ms <= self->heartbeat_ms)
        return s_fail (ctx, "fleet/faults/lost_after_ms", "must be larger than "
                       "heartbeat_ms (%d), got %d", self->heartbeat_ms,
                       self->lost_after_ms);
    return 0;
}

//  Load a ZPL file, or NULL with "FILE: cannot read file (...)" or "FILE:
//  syntax error". We read the file ourselves: zconfig_load cannot tell a
//  missing file from bad syntax (and leaks its file handle on the latter).
#define S_MAX_FILE_SIZE (64 * 1024 * 1024)

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
    if (memchr (data, 0, size))
        s_fail (ctx, NULL, "syntax error (not valid ZPL)");
    else {
        zchunk_t *chunk = zchunk_new (data, size);
        root = chunk? zconfig_chunk_load (chunk): NULL;
        zchunk_destroy (&chunk);
        if (!root)
            s_fail (ctx, NULL, "syntax error (not valid ZPL)");
    }
    free (data);
    return root;
}

ss_fleet_t *
ss_fleet_load (const char *path, const char *const *sets, int n_sets,
               char *err, size_t err_size)
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
    const char *slash = strrchr (path, '/');
    if (!slash)
        strcpy (self->dir, ".");
    else
    if (slash == path)
        strcpy (self->dir, "/");
    else
        snprintf (self->dir, sizeof self->dir, "%.*s", (int) (slash - path), path);

    zconfig_t *root = s_load_zpl (&ctx, path);
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

    //  Overrides go into the tree, then meet the same checks
    for (int s = 0; rc == 0 && s < n_sets; s++) {
        const char *set = sets [s];
        const char *equal = set? strchr (set, '='): NULL;
        if (!equal || equal == set) {
            if (err && err_size) {
                snprintf (err, err_size, "--set '%s': expected PATH=VALUE",
                          s_quote (set).text);
                s_sanitize (err);
            }
            rc = -1;
            break;
        }
        char *key = strndup (set, (size_t) (equal - set));
        if (!key) {
            rc = s_fail (&ctx, NULL, "out of memory");
            break;
        }
        const char *relative = key;
        if (*relative == '/')
            relative++;
        if (strncmp (relative, "fleet/", 6) == 0)
            relative += 6;
        if (!*relative) {
            if (err && err_size) {
                snprintf (err, err_size, "--set '%s': expected PATH=VALUE",
                          s_quote (set).text);
                s_sanitize (err);
            }
            rc = -1;
        }
        else
            zconfig_put (fleet, relative, equal + 1);
        free (key);
    }
    if (rc == 0)
        rc = s_check_shape (&ctx, fleet, "fleet", s_fleet_spec);
    if (rc == 0)
        rc = s_read_fleet (&ctx, fleet, self);
    zconfig_destroy (&root);
    if (rc)
        ss_fleet_destroy (&self);
    return self;
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
//  A target file: a root `target` section, or a whole fleet file whose
//  fleet/target is read (its other keys are not)

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
        rc = s_check_shape (&ctx, section, key, s_target_spec);
    ss_mixture_t mixture;
    if (rc == 0)
        rc = s_read_target (&ctx, section, key, model, &mixture);
    if (rc == 0)
        *target = mixture;
    zconfig_destroy (&root);
    return rc;
}
