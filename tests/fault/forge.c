/*  forge: a fleet member gone bad. It holds one member's legitimate
    certificate (a compromised or buggy agent, or the operator) and sends
    hand-made frames that pass authentication, so that what they meet is
    the edge checks of the daemon (issue 9), not the ZAP handler.

    forge FLEET AS TO [--set PATH=VALUE]... [--route ID] [--hold MS]
          [--gap MS] [--after-ms MS] FRAME...

    AS     the certificate we hold: an agent id (keys/agent-<AS>.key_secret)
           or "operator"
    TO     an agent id: a DEALER to its endpoint (the fleet's tcp:// one);
           "coordinator": a DEALER to the coordinator's endpoint;
           "serve": bind AS's own endpoint as AS's server (the agents whose
           links lead to AS connect to us) and push every FRAME back on
           each connection that reaches us, until --hold has passed
    FRAME  TYPE[:KEY=VALUE]...  TYPE: estimate heartbeat report control raw
           KEY: round epoch sender degree state want fleet (integers, in
           full uint64; "max" = 2^64-1), theta (every feature, a double),
           theta0 (the first feature only), mass (every feature's running
           sum, a value: fixed point 2^-52), mass_raw (every feature, a raw
           uint64), x (every coordinate), command arg (control),
           size (raw: that many zero bytes), span (one frame for each of
           N rounds from round on), repeat (send it all N times), every
           (ms between two repeats)
           Defaults: this fleet's id, sender AS (the coordinator's id for
           the operator), epoch 0, round 0, degree = AS's graph degree,
           K features at 0, heartbeat state RUNNING.
    --route ID   our routing id (the coordinator routes by "agent-<i>")
    --hold MS    after sending, stay connected MS and count what comes
                 back (serve: how long to serve) [300]
    --gap MS     pause between two frames [0]
    --after-ms MS  wait MS after the handshake before the first frame [0]

    Prints one line: the handshake's verdict, frames sent and received
    (serve: connections pushed to). Exit 0 when the handshake succeeded
    (serve: always), 1 when it was refused or failed, 2 on usage errors.
*/

#include <czmq.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include "ss_expfam.h"
#include "ss_fleet.h"
#include "ss_graph.h"
#include "ss_keys.h"
#include "ss_proto.h"
#include "ss_round.h"

#define MAX_SETS    64
#define MAX_FRAMES  64
#define MAX_SERVED  256

//  One FRAME argument: span frames (rounds round .. round + span - 1),
//  sent repeat times, every ms apart
typedef struct {
    uint8_t **data;
    size_t *size;
    uint64_t span, repeat, every;
} s_frame_t;

static void
s_usage (void)
{
    fprintf (stderr, "usage: forge FLEET AS TO [--set PATH=VALUE]... [--route ID] "
                     "[--hold MS] [--gap MS] [--after-ms MS] FRAME...\n");
}

static bool
s_uint (const char *text, uint64_t *out)
{
    if (streq (text, "max")) {
        *out = UINT64_MAX;
        return true;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull (text, &end, 0);
    if (errno || end == text || *end || *text == '-')
        return false;
    *out = v;
    return true;
}

static bool
s_double (const char *text, double *out)
{
    char *end;
    *out = strtod (text, &end);
    return end != text && !*end;
}

//  One FRAME argument into an encoded frame; false on a usage error
static bool
s_build (const char *spec, const ss_fleet_t *fleet, int K, uint32_t sender,
         uint32_t degree, s_frame_t *out)
{
    char *copy = strdup (spec);
    char *save = NULL;
    char *type = strtok_r (copy, ":", &save);
    ss_msg_t *msg = calloc (1, sizeof (ss_msg_t));
    ss_header_t hdr = { .fleet = ss_fleet_id (fleet), .sender = sender };
    uint64_t degree_v = degree, state = SS_STATE_RUNNING, want = 0, command = SS_CONTROL_STOP;
    uint64_t arg = 0, size = 0;
    double theta = 0, theta0 = NAN, mass = 0, x = 0.5;
    bool have_raw = false, ok = type != NULL;
    uint64_t mass_raw = 0;
    out->repeat = out->span = 1;
    out->every = 0;
    for (char *kv = ok? strtok_r (NULL, ":", &save): NULL; ok && kv;
         kv = strtok_r (NULL, ":", &save)) {
        char *eq = strchr (kv, '=');
        if (!eq) {
            ok = false;
            break;
        }
        *eq = 0;
        const char *key = kv, *value = eq + 1;
        uint64_t u = 0;
        if (streq (key, "round"))           ok = s_uint (value, &hdr.round);
        else if (streq (key, "epoch"))      ok = s_uint (value, &hdr.epoch);
        else if (streq (key, "fleet"))      ok = s_uint (value, &hdr.fleet);
        else if (streq (key, "sender"))     { ok = s_uint (value, &u); hdr.sender = (uint32_t) u; }
        else if (streq (key, "degree"))     ok = s_uint (value, &degree_v);
        else if (streq (key, "state"))      ok = s_uint (value, &state);
        else if (streq (key, "want"))       ok = s_uint (value, &want);
        else if (streq (key, "command"))    ok = s_uint (value, &command);
        else if (streq (key, "arg"))        ok = s_uint (value, &arg);
        else if (streq (key, "size"))       ok = s_uint (value, &size);
        else if (streq (key, "repeat"))     ok = s_uint (value, &out->repeat);
        else if (streq (key, "span"))       ok = s_uint (value, &out->span) && out->span > 0
                                                 && out->span <= 100000;
        else if (streq (key, "every"))      ok = s_uint (value, &out->every);
        else if (streq (key, "theta"))      ok = s_double (value, &theta);
        else if (streq (key, "theta0"))     ok = s_double (value, &theta0);
        else if (streq (key, "mass"))       ok = s_double (value, &mass);
        else if (streq (key, "x"))          ok = s_double (value, &x);
        else if (streq (key, "mass_raw"))   { ok = s_uint (value, &mass_raw); have_raw = true; }
        else
            ok = false;
        if (!ok)
            fprintf (stderr, "forge: %s: bad key or value '%s=%s'\n", spec, key, value);
    }
    int rc = ok? 0: -1;
    if (ok) {
        out->data = calloc (out->span, sizeof (uint8_t *));
        out->size = calloc (out->span, sizeof (size_t));
        ok = out->data && out->size;
    }
    uint64_t first = hdr.round;
    for (uint64_t j = 0; ok && rc == 0 && j < out->span; j++) {
        hdr.round = first + j;
        uint8_t **data = &out->data [j];
        size_t *data_size = &out->size [j];
        if (streq (type, "estimate")) {
            ss_estimate_t *m = &msg->estimate;
            m->hdr = hdr;
            m->degree = (uint32_t) degree_v;
            m->k = (uint32_t) K;
            for (int k = 0; k < K; k++) {
                m->theta [k] = k == 0 && !isnan (theta0)? theta0: theta;
                m->mass [k] = have_raw? mass_raw: (uint64_t) ss_mass_quantize (mass);
            }
            rc = ss_estimate_encode (m, data, data_size);
        }
        else
        if (streq (type, "heartbeat")) {
            ss_heartbeat_t *m = &msg->heartbeat;
            m->hdr = hdr;
            m->degree = (uint32_t) degree_v;
            m->state = (uint32_t) state;
            m->want = want;
            rc = ss_heartbeat_encode (m, data, data_size);
        }
        else
        if (streq (type, "report")) {
            ss_report_t *m = &msg->report;
            m->hdr = hdr;
            m->dim = (uint32_t) fleet->model.dim;
            for (int a = 0; a < fleet->model.dim; a++)
                m->x [a] = m->x0 [a] = x;
            m->k = (uint32_t) K;
            for (int k = 0; k < K; k++)
                m->theta [k] = theta;
            m->n_counters = SS_CTR_COUNT;
            rc = ss_report_encode (m, data, data_size);
        }
        else
        if (streq (type, "control")) {
            ss_control_t *m = &msg->control;
            m->hdr = hdr;
            m->command = (uint32_t) command;
            m->arg = arg;
            rc = ss_control_encode (m, data, data_size);
        }
        else
        if (streq (type, "raw")) {
            *data_size = (size_t) size;
            *data = calloc (1, size > 0? (size_t) size: 1);
            rc = *data? 0: -1;
        }
        else {
            fprintf (stderr, "forge: %s: unknown frame type '%s'\n", spec, type);
            ok = false;
        }
        if (ok && rc)
            fprintf (stderr, "forge: %s: cannot encode: %s\n", spec,
                     rc < 0? ss_proto_strerror (rc): "out of memory");
    }
    free (msg);
    free (copy);
    return ok && rc == 0;
}

//  serve: bind AS's endpoint as AS and push the frames to every
//  connection that reaches us, for hold ms
static int
s_serve (const ss_fleet_t *fleet, int as, zcert_t *mine, s_frame_t *frames, int n_frames,
         int hold)
{
    zsock_t *sock = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (sock, 0);
    zsock_set_sndhwm (sock, 8);
    zsock_set_router_mandatory (sock, 1);
    ss_keys_apply_server (sock, mine);
    const ss_agent_spec_t *spec = &fleet->agents [as];
    if (zsock_bind (sock, "tcp://%s:%d", spec->host, spec->port) < 0) {
        fprintf (stderr, "forge: cannot bind tcp://%s:%d: %s\n", spec->host, spec->port,
                 zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
        return 2;
    }
    void *handle = zsock_resolve (sock);
    //  Per connection: its routing id and the next frame to push
    typedef struct { uint8_t id [256]; size_t id_size; int frame; uint64_t copy; bool done; } peer_t;
    peer_t *peers = calloc (MAX_SERVED, sizeof (peer_t));
    int n_peers = 0;
    uint64_t pushed = 0, received = 0, unroutable = 0, bytes = 0;
    int64_t until = zclock_mono () + hold;
    while (zclock_mono () < until && !zsys_interrupted) {
        zmq_pollitem_t item = { handle, 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 5);
        //  Learn the connections from what they send (heartbeats)
        for (int i = 0; i < 1000; i++) {
            zmq_msg_t id, body;
            zmq_msg_init (&id);
            if (zmq_msg_recv (&id, handle, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&id);
                break;
            }
            while (zmq_msg_more (&id)) {
                zmq_msg_init (&body);
                zmq_msg_recv (&body, handle, 0);
                bool more = zmq_msg_more (&body);
                zmq_msg_close (&body);
                if (!more)
                    break;
            }
            received++;
            size_t size = zmq_msg_size (&id);
            int p;
            for (p = 0; p < n_peers; p++)
                if (peers [p].id_size == size && !memcmp (peers [p].id, zmq_msg_data (&id), size))
                    break;
            if (p == n_peers && n_peers < MAX_SERVED && size <= sizeof peers [p].id) {
                memcpy (peers [p].id, zmq_msg_data (&id), size);
                peers [p].id_size = size;
                n_peers++;
            }
            zmq_msg_close (&id);
        }
        //  Push, without waiting: a connection that cannot take more now
        //  gets the rest later; one that is gone is done
        for (int p = 0; p < n_peers; p++) {
            peer_t *peer = &peers [p];
            while (!peer->done) {
                if (peer->frame >= n_frames) {
                    peer->done = true;
                    break;
                }
                s_frame_t *f = &frames [peer->frame];
                if (zmq_send (handle, peer->id, peer->id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
                    if (zmq_errno () == EHOSTUNREACH) {
                        peer->done = true;
                        unroutable++;
                    }
                    break;
                }
                uint64_t j = peer->copy % f->span;
                zmq_send (handle, f->data [j], f->size [j], 0);
                pushed++;
                bytes += f->size [j];
                if (++peer->copy >= f->repeat * f->span) {
                    peer->copy = 0;
                    peer->frame++;
                }
            }
        }
    }
    printf ("forge: served as agent-%d on tcp://%s:%d: %d connections, %" PRIu64
            " frames pushed (%" PRIu64 " bytes), %" PRIu64 " received, %" PRIu64
            " connections gone before all was pushed\n", as, spec->host, spec->port,
            n_peers, pushed, bytes, received, unroutable);
    free (peers);
    zsock_destroy (&sock);
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc < 4) {
        s_usage ();
        return 2;
    }
    const char *sets [MAX_SETS];
    const char *specs [MAX_FRAMES];
    const char *route = NULL;
    int n_sets = 0, n_specs = 0, hold = 300, gap = 0, after = 0;
    for (int a = 4; a < argc; a++) {
        if (streq (argv [a], "--set") && a + 1 < argc && n_sets < MAX_SETS)
            sets [n_sets++] = argv [++a];
        else
        if (streq (argv [a], "--route") && a + 1 < argc)
            route = argv [++a];
        else
        if (streq (argv [a], "--hold") && a + 1 < argc)
            hold = atoi (argv [++a]);
        else
        if (streq (argv [a], "--gap") && a + 1 < argc)
            gap = atoi (argv [++a]);
        else
        if (streq (argv [a], "--after-ms") && a + 1 < argc)
            after = atoi (argv [++a]);
        else
        if (argv [a][0] != '-' && n_specs < MAX_FRAMES)
            specs [n_specs++] = argv [a];
        else {
            s_usage ();
            return 2;
        }
    }
    char err [1024];
    ss_fleet_t *fleet = ss_fleet_load (argv [1], sets, n_sets, err, sizeof err);
    if (!fleet) {
        fprintf (stderr, "forge: %s\n", err);
        return 2;
    }
    ss_graph_t *graph = ss_fleet_graph (fleet, err, sizeof err);
    ss_problem_t *P = ss_problem_new (&fleet->model, &fleet->target);
    if (!graph || !P) {
        fprintf (stderr, "forge: %s: cannot build the fleet's graph or model\n", argv [1]);
        return 2;
    }
    int K = P->K;
    ss_problem_destroy (&P);
    bool op = streq (argv [2], "operator");
    int as = op? -1: atoi (argv [2]);
    if (!op && (as < 0 || as >= fleet->count)) {
        fprintf (stderr, "forge: AS: an agent id below %d, or operator\n", fleet->count);
        return 2;
    }
    const char *to = argv [3];
    bool serve = streq (to, "serve"), coord = streq (to, "coordinator");
    int target = serve || coord? -1: atoi (to);
    if (serve && op) {
        fprintf (stderr, "forge: serve needs an agent's key\n");
        return 2;
    }
    if (!serve && !coord && (target < 0 || target >= fleet->count)) {
        fprintf (stderr, "forge: TO: an agent id, coordinator or serve\n");
        return 2;
    }
    uint32_t sender = op? SS_PROTO_COORDINATOR: (uint32_t) as;
    uint32_t degree = op? 0: (uint32_t) ss_graph_degree (graph, as);
    ss_graph_destroy (&graph);
    s_frame_t frames [MAX_FRAMES];
    memset (frames, 0, sizeof frames);
    for (int f = 0; f < n_specs; f++)
        if (!s_build (specs [f], fleet, K, sender, degree, &frames [f]))
            return 2;

    char name [64];
    if (op)
        snprintf (name, sizeof name, "operator");
    else
        ss_keys_name (as, name, sizeof name);
    zcert_t *mine = ss_keys_load_secret (fleet, name, err, sizeof err);
    if (!mine) {
        fprintf (stderr, "forge: %s\n", err);
        return 2;
    }
    int rc;
    if (serve)
        rc = s_serve (fleet, as, mine, frames, n_specs, hold);
    else {
        char server_name [64], endpoint [300];
        if (coord) {
            snprintf (server_name, sizeof server_name, "coordinator");
            snprintf (endpoint, sizeof endpoint, "%s", fleet->coordinator);
            char *star = strstr (endpoint, "://*:");
            if (star)
                snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%s", star + 5);
        }
        else {
            ss_keys_name (target, server_name, sizeof server_name);
            snprintf (endpoint, sizeof endpoint, "tcp://%s:%d", fleet->agents [target].host,
                      fleet->agents [target].port);
        }
        zcert_t *server = ss_keys_load_public (fleet, server_name, err, sizeof err);
        if (!server) {
            fprintf (stderr, "forge: %s\n", err);
            return 2;
        }
        zsock_t *sock = zsock_new (ZMQ_DEALER);
        zsock_set_linger (sock, 1000);
        zsock_set_sndhwm (sock, 1000);
        zsock_set_sndtimeo (sock, 2000);
        if (route)
            zsock_set_identity (sock, route);
        ss_keys_apply_client (sock, mine, zcert_public_txt (server));
        zsock_t *monitor = ss_keys_handshake_watch (sock);
        if (!monitor || zsock_connect (sock, "%s", endpoint)) {
            fprintf (stderr, "forge: cannot connect to %s\n", endpoint);
            return 2;
        }
        int status = ss_keys_handshake_wait (monitor, 10000, NULL);
        uint64_t sent = 0, failed = 0, received = 0;
        if (status == 200) {
            if (after > 0)
                zclock_sleep (after);
            for (int f = 0; f < n_specs; f++)
                for (uint64_t r = 0; r < frames [f].repeat && !zsys_interrupted; r++) {
                    for (uint64_t j = 0; j < frames [f].span; j++) {
                        if (zmq_send (zsock_resolve (sock), frames [f].data [j],
                                      frames [f].size [j], 0) >= 0)
                            sent++;
                        else
                            failed++;
                        if (gap > 0)
                            zclock_sleep (gap);
                    }
                    if (frames [f].every > 0)
                        zclock_sleep ((int) frames [f].every);
                }
            int64_t until = zclock_mono () + hold;
            while (zclock_mono () < until && !zsys_interrupted) {
                zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 };
                if (zmq_poll (&item, 1, 10) > 0) {
                    zmsg_t *back = zmsg_recv (sock);
                    if (back)
                        received++;
                    zmsg_destroy (&back);
                }
            }
            printf ("forge: %s accepted the handshake as %s; sent %" PRIu64 " frames (%"
                    PRIu64 " failed), received %" PRIu64 "\n", endpoint, name, sent, failed,
                    received);
            rc = 0;
        }
        else {
            printf ("forge: %s: handshake as %s %s (status %d)\n", endpoint, name,
                    status > 0? "refused": status < 0? "failed": "not done in 10 s", status);
            rc = 1;
        }
        ss_keys_handshake_unwatch (sock, &monitor);
        zsock_destroy (&sock);
        zcert_destroy (&server);
    }
    for (int f = 0; f < n_specs; f++) {
        for (uint64_t j = 0; frames [f].data && j < frames [f].span; j++)
            free (frames [f].data [j]);
        free (frames [f].data);
        free (frames [f].size);
    }
    zcert_destroy (&mine);
    ss_fleet_destroy (&fleet);
    return rc;
}
