/*  hostile: a fleet member sends the target agent every kind of bad
    frame, for a while: with a neighbour's certificate (an agent's own
    legitimate key, compromised or buggy: its ZAP handler admits it, so
    every frame meets the edge checks), or with any other member's (the
    ZAP handler refuses the handshake and nothing reaches the agent).

    hostile FLEET TARGET AS CORPUS_DIR SECONDS [--set PATH=VALUE]...

    Connects a DEALER to agent TARGET's endpoint with agent AS's secret
    certificate (from the fleet's key directory) and, over and over until
    SECONDS have passed, sends:
      - every file of CORPUS_DIR/<kind>/ (tests/fuzz/corpus: valid frames
        of every type, of another fleet) up to the size of the largest
        ESTIMATE (larger ones end the connection: the oversized frame
        below shows it once);
      - an ESTIMATE of this fleet from AS, cut at every length;
      - random bytes, a three-part message; an oversized frame (on a
        connection of its own: libzmq drops a connection that carries
        one, for good);
      - wrong version, wrong fleet id, another number of features;
      - NaN, Inf, -Inf, 1e300 in theta (refused by the decoder);
      - from AS, well formed: rounds beyond the run (and 2^64-1), an
        epoch of 2^64-1, theta beyond the fleet's bound, a running sum
        stepping beyond its bound, a degree above AS's graph degree;
      - frames claiming another sender: a neighbour of TARGET, the
        coordinator, an id out of range;
      - HEARTBEAT (claiming a degree above AS's), REPORT, TARGET, CONTROL
        frames of this fleet.
    Nothing a neighbour could honestly send: every one must be dropped by
    TARGET (counted by reason) without changing its result. Prints what it
    sent; exit 0, 2 on usage errors.
*/

#include <czmq.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "ss_fleet.h"
#include "ss_keys.h"
#include "ss_proto.h"
#include "ss_graph.h"
#include "ss_expfam.h"
#include "ss_peers.h"
#include "ss_round.h"

#define MAX_SETS 64

static zsock_t *s_sock;
static uint64_t s_sent;
static int64_t s_until;         //  stop sending then (the target may be gone)

static void
s_send (const void *data, size_t size)
{
    if (zclock_mono () >= s_until)
        return;
    zframe_t *frame = zframe_new (data, size);
    //  Blocking send: the socket's HWM paces us to the target's speed
    if (zframe_send (&frame, s_sock, 0) == 0)
        s_sent++;
    else
        zframe_destroy (&frame);
}

//  What an ESTIMATE says: a good-looking one of this fleet from sender at
//  round, changed where asked
typedef struct {
    uint64_t fleet, round, epoch;
    uint32_t sender, degree;
    int K;                  //  features it carries
    double bad;             //  a value for theta ...
    int where;              //  ... at 1: the middle feature, 2: the last, 0: none
    double mass;            //  0: a small running sum, else this value in every feature
} s_spec_t;

//  An ESTIMATE, encoded; the caller frees *data. A value the encoder
//  refuses is written over the first double of a good frame
static int
s_estimate (const s_spec_t *spec, uint8_t **data, size_t *size)
{
    ss_estimate_t msg;
    memset (&msg, 0, sizeof msg);
    msg.hdr = (ss_header_t) { .fleet = spec->fleet, .epoch = spec->epoch,
                              .round = spec->round, .sender = spec->sender };
    msg.degree = spec->degree;
    int K = spec->K;
    msg.k = (uint32_t) K;
    for (int k = 0; k < K; k++) {
        msg.theta [k] = 0.01 * k;
        msg.mass [k] = spec->mass != 0? (uint64_t) ss_mass_quantize (spec->mass): (uint64_t) k;
    }
    if (spec->where == 1)
        msg.theta [K / 2] = spec->bad;
    if (spec->where == 2)
        msg.theta [K - 1] = spec->bad;
    int rc = ss_estimate_encode (&msg, data, size);
    if (rc == 0 || spec->where == 0)
        return rc;
    msg.theta [K / 2] = msg.theta [K - 1] = 0.125;
    rc = ss_estimate_encode (&msg, data, size);
    if (rc)
        return rc;
    for (size_t i = 0; i + 9 <= *size; i++)
        if ((*data) [i] == 0xcb) {
            uint64_t bits;
            memcpy (&bits, &spec->bad, 8);
            for (int b = 0; b < 8; b++)
                (*data) [i + 1 + b] = (uint8_t) (bits >> (56 - 8 * b));
            break;
        }
    return 0;
}

//  Encode and send one ESTIMATE
static void
s_send_estimate (const s_spec_t *spec)
{
    uint8_t *data;
    size_t size;
    if (s_estimate (spec, &data, &size) == 0) {
        s_send (data, size);
        free (data);
    }
}

//  Corpus files larger than this are not sent: an agent takes frames up
//  to its largest ESTIMATE (ZMQ_MAXMSGSIZE), and libzmq ends the
//  connection that carries a larger one (the oversized frame comes last)
static size_t s_corpus_max;
static uint64_t s_skipped;

static void
s_send_corpus (const char *dir)
{
    DIR *top = opendir (dir);
    if (!top)
        return;
    struct dirent *kind;
    while ((kind = readdir (top))) {
        if (kind->d_name [0] == '.')
            continue;
        char sub [PATH_MAX];
        snprintf (sub, sizeof sub, "%s/%s", dir, kind->d_name);
        DIR *files = opendir (sub);
        if (!files)
            continue;
        struct dirent *entry;
        while ((entry = readdir (files))) {
            if (entry->d_name [0] == '.')
                continue;
            char path [PATH_MAX + 256];
            snprintf (path, sizeof path, "%s/%s", sub, entry->d_name);
            zfile_t *file = zfile_new (NULL, path);
            if (file && zfile_input (file) == 0) {
                zchunk_t *chunk = zfile_read (file, 1 << 20, 0);
                if (chunk && zchunk_size (chunk) <= s_corpus_max)
                    s_send (zchunk_data (chunk), zchunk_size (chunk));
                else
                    s_skipped++;
                zchunk_destroy (&chunk);
                zfile_close (file);
            }
            zfile_destroy (&file);
        }
        closedir (files);
    }
    closedir (top);
}

int
main (int argc, char **argv)
{
    if (argc < 6) {
        fprintf (stderr, "usage: hostile FLEET TARGET AS CORPUS_DIR SECONDS "
                         "[--set PATH=VALUE]...\n");
        return 2;
    }
    const char *sets [MAX_SETS];
    int n_sets = 0;
    for (int a = 6; a + 1 < argc && n_sets < MAX_SETS; a += 2)
        if (!strcmp (argv [a], "--set"))
            sets [n_sets++] = argv [a + 1];
    char err [1024];
    ss_fleet_t *fleet = ss_fleet_load (argv [1], sets, n_sets, err, sizeof err);
    if (!fleet) {
        fprintf (stderr, "hostile: %s\n", err);
        return 2;
    }
    int target = atoi (argv [2]), as = atoi (argv [3]);
    int seconds = atoi (argv [5]);
    ss_graph_t *graph = ss_fleet_graph (fleet, err, sizeof err);
    if (!graph || target < 0 || target >= fleet->count || as < 0
    ||  as >= fleet->count || as == target || ss_graph_degree (graph, target) < 2) {
        fprintf (stderr, "hostile: need two agents of the fleet, the target with two "
                         "neighbours\n");
        return 2;
    }
    //  A neighbour of the target's other than AS, to claim to be
    int neighbour = ss_graph_neighbours (graph, target) [0];
    if (neighbour == as)
        neighbour = ss_graph_neighbours (graph, target) [1];
    uint32_t degree = (uint32_t) ss_graph_degree (graph, as);
    ss_problem_t *P = ss_problem_new (&fleet->model, &fleet->target);
    int K = P->K;
    ss_problem_destroy (&P);
    s_corpus_max = ss_estimate_max_size ((uint32_t) K);
    uint64_t id = ss_fleet_id (fleet);
    char name [64];
    ss_keys_name (as, name, sizeof name);
    zcert_t *mine = ss_keys_load_secret (fleet, name, err, sizeof err);
    ss_keys_name (target, name, sizeof name);
    zcert_t *server = mine? ss_keys_load_public (fleet, name, err, sizeof err): NULL;
    if (!server) {
        fprintf (stderr, "hostile: %s\n", err);
        return 2;
    }
    s_sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (s_sock, 0);
    zsock_set_sndhwm (s_sock, 200);
    zsock_set_sndtimeo (s_sock, 200);
    ss_keys_apply_client (s_sock, mine, zcert_public_txt (server));
    const ss_agent_spec_t *spec = &fleet->agents [target];
    if (zsock_connect (s_sock, "tcp://%s:%d", spec->host, spec->port)) {
        fprintf (stderr, "hostile: cannot connect\n");
        return 2;
    }
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    int64_t until = s_until = zclock_mono () + (int64_t) seconds * 1000;
    uint8_t *data;
    size_t size;
    int passes = 0;
    while (zclock_mono () < until) {
        //  The fuzzers' corpora
        s_send_corpus (argv [4]);
        //  Truncations of a good-looking estimate
        const s_spec_t good = { .fleet = id, .sender = (uint32_t) as, .round = 5,
                                .degree = degree, .K = K };
        if (s_estimate (&good, &data, &size) == 0) {
            for (size_t cut = 0; cut < size; cut += 1 + size / 64)
                s_send (data, cut);
            //  Trailing garbage, a version this build does not know
            uint8_t *longer = malloc (size + 3);
            memcpy (longer, data, size);
            memcpy (longer + size, "xyz", 3);
            s_send (longer, size + 3);
            free (longer);
            data [1] = SS_PROTO_VERSION + 1;    //  [version, ...]: fixarray then fixint
            s_send (data, size);
            free (data);
        }
        //  Random bytes (no longer than an ESTIMATE, as the corpus)
        uint8_t junk [2048];
        for (int r = 0; r < 64; r++) {
            size_t n = 0;
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
            n = (size_t) (rng % (s_corpus_max < sizeof junk? s_corpus_max: sizeof junk));
            for (size_t b = 0; b < n; b++) {
                rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
                junk [b] = (uint8_t) rng;
            }
            if (r % 4 == 0 && n > 0)
                junk [0] = (uint8_t) (0x96 + r % 3);   //  an array head
            s_send (junk, n);
        }
        if (zclock_mono () < until)
            zstr_sendx (s_sock, "three", "part", "message", NULL);
        s_spec_t spec = good;
        //  Wrong fleet id, another number of features
        spec.fleet = id ^ 1;
        s_send_estimate (&spec);
        spec = good;
        spec.K = K + 1;
        s_send_estimate (&spec);
        //  Non-finite and absurd values (the decoder's), beyond the fleet's
        double bads [] = { NAN, INFINITY, -INFINITY, 1e300, -1e7, 2 * SS_ROUND_MAX_THETA };
        for (size_t b = 0; b < sizeof bads / sizeof bads [0]; b++)
            for (int where = 1; where <= 2; where++) {
                spec = good;
                spec.bad = bads [b];
                spec.where = where;
                s_send_estimate (&spec);
            }
        spec = good;
        spec.mass = 2 * SS_PEERS_MAX_STEP;          //  a running sum stepping too far
        s_send_estimate (&spec);
        spec = good;
        spec.degree = degree + 1;                   //  more neighbours than it has
        s_send_estimate (&spec);
        spec = good;
        spec.epoch = UINT64_MAX;
        s_send_estimate (&spec);
        //  Rounds beyond the run, or too far ahead and wrapping
        uint64_t last = fleet->rounds > 0? (uint64_t) fleet->rounds: 1ULL << 61;
        uint64_t rounds [] = { last, last + 1, last + 1000000, UINT64_MAX, 1ULL << 62 };
        for (size_t r = 0; r < sizeof rounds / sizeof rounds [0]; r++) {
            spec = good;
            spec.round = rounds [r];
            s_send_estimate (&spec);
        }
        //  Claiming another sender: a neighbour, the coordinator, nobody
        uint32_t claims [] = { (uint32_t) neighbour, SS_PROTO_COORDINATOR,
                               (uint32_t) fleet->count, 1000000000u };
        for (size_t c = 0; c < sizeof claims / sizeof claims [0]; c++) {
            spec = good;
            spec.sender = claims [c];
            spec.round = 1;
            s_send_estimate (&spec);
        }
        //  Other message types of this fleet
        ss_heartbeat_t hb = { .hdr = { .fleet = id, .sender = (uint32_t) as },
                              .degree = degree + 1 };
        if (ss_heartbeat_encode (&hb, &data, &size) == 0) {
            s_send (data, size);
            free (data);
        }
        ss_control_t control = { .hdr = { .fleet = id, .sender = SS_PROTO_COORDINATOR },
                                 .command = SS_CONTROL_STOP, .arg = 1 };
        if (ss_control_encode (&control, &data, &size) == 0) {
            s_send (data, size);
            free (data);
        }
        ss_report_t *report = calloc (1, sizeof *report);
        report->hdr = (ss_header_t) { .fleet = id, .sender = (uint32_t) as };
        report->dim = (uint32_t) fleet->model.dim;
        report->k = (uint32_t) K;
        if (ss_report_encode (report, &data, &size) == 0) {
            s_send (data, size);
            free (data);
        }
        free (report);
        ss_target_t *t = calloc (1, sizeof *t);
        t->hdr = (ss_header_t) { .fleet = id, .sender = SS_PROTO_COORDINATOR };
        t->switch_round = 1;
        t->dim = (uint32_t) fleet->model.dim;
        t->mixture = fleet->target;
        if (ss_target_encode (t, &data, &size) == 0) {
            s_send (data, size);
            free (data);
        }
        free (t);
        passes++;
        zclock_sleep (20);
    }
    //  Last, an oversized frame: libzmq ends the connection that carries one
    s_until = zclock_mono () + 1000;
    uint8_t *huge = calloc (1, SS_PROTO_MAX_FRAME + 100);
    s_send (huge, SS_PROTO_MAX_FRAME + 100);
    free (huge);
    printf ("hostile: %d passes, %llu frames sent to agent-%d as agent-%d (%llu corpus "
            "files larger than its largest ESTIMATE left out)\n", passes,
            (unsigned long long) s_sent, target, as, (unsigned long long) s_skipped);
    zsock_set_linger (s_sock, 500);
    zsock_destroy (&s_sock);
    zcert_destroy (&mine);
    zcert_destroy (&server);
    ss_graph_destroy (&graph);
    ss_fleet_destroy (&fleet);
    return 0;
}
