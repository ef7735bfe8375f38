/*  hostile: an authenticated fleet member that is NOT a neighbour of the
    target agent sends it every kind of bad frame, for a while.

    hostile FLEET TARGET AS CORPUS_DIR SECONDS [--set PATH=VALUE]...

    Connects a DEALER to agent TARGET's endpoint with agent AS's secret
    certificate (from the fleet's key directory) and, over and over until
    SECONDS have passed, sends:
      - every file of CORPUS_DIR/<kind>/ (tests/fuzz/corpus: valid frames
        of every type, of another fleet);
      - an ESTIMATE of this fleet from AS, cut at every length;
      - random bytes, an oversized frame, a three-part message;
      - wrong version, wrong fleet id;
      - NaN, Inf, -Inf, 1e300 in theta and in s;
      - replayed, out-of-order and far-future rounds (sender AS);
      - frames claiming another sender: a neighbour of TARGET, the
        coordinator, an id out of range;
      - HEARTBEAT, REPORT, TARGET, CONTROL frames of this fleet.
    Every one must be dropped by TARGET (counted by reason) without
    changing its result. Prints what it sent; exit 0, 2 on usage errors.
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

//  An ESTIMATE of this fleet, encoded; the caller frees *data
static int
s_estimate (uint64_t fleet, uint32_t sender, uint64_t round, int K, double bad,
            int where, uint8_t **data, size_t *size)
{
    ss_estimate_t msg;
    memset (&msg, 0, sizeof msg);
    msg.hdr = (ss_header_t) { .fleet = fleet, .epoch = 0, .round = round,
                              .sender = sender };
    msg.degree = 2;
    msg.k = (uint32_t) K;
    for (int k = 0; k < K; k++) {
        msg.theta [k] = 0.01 * k;
        msg.mass [k] = (uint64_t) k;
    }
    if (where == 1)
        msg.theta [K / 2] = bad;
    if (where == 2)
        msg.theta [K - 1] = bad;
    int rc = ss_estimate_encode (&msg, data, size);
    if (rc == 0 || where == 0)
        return rc;
    //  The encoder refused the value: write it over the first double
    msg.theta [K / 2] = msg.theta [K - 1] = 0.125;
    rc = ss_estimate_encode (&msg, data, size);
    if (rc)
        return rc;
    for (size_t i = 0; i + 9 <= *size; i++)
        if ((*data) [i] == 0xcb) {
            uint64_t bits;
            memcpy (&bits, &bad, 8);
            for (int b = 0; b < 8; b++)
                (*data) [i + 1 + b] = (uint8_t) (bits >> (56 - 8 * b));
            break;
        }
    return 0;
}

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
                if (chunk)
                    s_send (zchunk_data (chunk), zchunk_size (chunk));
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
    ||  as >= fleet->count || ss_graph_has_edge (graph, target, as) || as == target) {
        fprintf (stderr, "hostile: need two agents that are not neighbours\n");
        return 2;
    }
    int neighbour = ss_graph_neighbours (graph, target) [0];
    ss_problem_t *P = ss_problem_new (&fleet->model, &fleet->target);
    int K = P->K;
    ss_problem_destroy (&P);
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
        if (s_estimate (id, (uint32_t) as, 5, K, 0, 0, &data, &size) == 0) {
            for (size_t cut = 0; cut < size; cut += 1 + size / 64)
                s_send (data, cut);
            //  Trailing garbage, wrong version
            uint8_t *longer = malloc (size + 3);
            memcpy (longer, data, size);
            memcpy (longer + size, "xyz", 3);
            s_send (longer, size + 3);
            free (longer);
            data [1] = 2;       //  [version = 1, ...]: fixarray then fixint
            s_send (data, size);
            free (data);
        }
        //  Random bytes and an oversized frame
        uint8_t junk [2048];
        for (int r = 0; r < 64; r++) {
            size_t n = 0;
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
            n = (size_t) (rng % sizeof junk);
            for (size_t b = 0; b < n; b++) {
                rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
                junk [b] = (uint8_t) rng;
            }
            if (r % 4 == 0 && n > 0)
                junk [0] = (uint8_t) (0x96 + r % 3);   //  an array head
            s_send (junk, n);
        }
        uint8_t *huge = calloc (1, SS_PROTO_MAX_FRAME + 100);
        s_send (huge, SS_PROTO_MAX_FRAME + 100);
        free (huge);
        if (zclock_mono () < until)
            zstr_sendx (s_sock, "three", "part", "message", NULL);
        //  Wrong fleet id
        if (s_estimate (id ^ 1, (uint32_t) as, 5, K, 0, 0, &data, &size) == 0) {
            s_send (data, size);
            free (data);
        }
        //  Non-finite and absurd values
        double bads [] = { NAN, INFINITY, -INFINITY, 1e300, -1e7 };
        for (size_t b = 0; b < sizeof bads / sizeof bads [0]; b++)
            for (int where = 1; where <= 2; where++)
                if (s_estimate (id, (uint32_t) as, 5, K, bads [b], where,
                                &data, &size) == 0) {
                    s_send (data, size);
                    free (data);
                }
        //  Replayed, out-of-order, far-future rounds
        uint64_t rounds [] = { 0, 7, 3, 3, 1000000, UINT64_MAX, 2, 2 };
        for (size_t r = 0; r < sizeof rounds / sizeof rounds [0]; r++)
            if (s_estimate (id, (uint32_t) as, rounds [r], K, 0, 0, &data, &size) == 0) {
                s_send (data, size);
                free (data);
            }
        //  Claiming another sender: a neighbour, the coordinator, nobody
        uint32_t claims [] = { (uint32_t) neighbour, SS_PROTO_COORDINATOR,
                               (uint32_t) fleet->count, 1000000000u };
        for (size_t c = 0; c < sizeof claims / sizeof claims [0]; c++)
            if (s_estimate (id, claims [c], 1, K, 0, 0, &data, &size) == 0) {
                s_send (data, size);
                free (data);
            }
        //  Other message types of this fleet
        ss_heartbeat_t hb = { .hdr = { .fleet = id, .sender = (uint32_t) as },
                              .degree = 2 };
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
    printf ("hostile: %d passes, %llu frames sent to agent-%d as agent-%d\n",
            passes, (unsigned long long) s_sent, target, as);
    zsock_destroy (&s_sock);
    zcert_destroy (&mine);
    zcert_destroy (&server);
    ss_graph_destroy (&graph);
    ss_fleet_destroy (&fleet);
    return 0;
}
