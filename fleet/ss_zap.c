/*  ss_zap: our ZAP handler (RFC 27). See ss_zap.h.

    The handler holds its own copy of the key ring (a few dozen bytes per
    key) so that it can outlive the ring it was made from, which matters
    for the actor: the daemon that starts it keeps no reference.
*/

#include <czmq.h>
#include <stdarg.h>
#include <string.h>
#include "ss_zap.h"

struct _ss_zap_t {
    ss_keyring_t *ring;
    zhashx_t *allowed;          //  name -> non-NULL
    uint64_t counts [SS_ZAP_VERDICTS];
    zsock_t *sock;              //  REP at SS_ZAP_ENDPOINT, once bound
    bool verbose;
    bool logged;                //  a refusal was logged, at logged_at
    int64_t logged_at;
    uint64_t unlogged;          //  refusals since, not logged yet
};

static const char *s_verdict_names [SS_ZAP_VERDICTS] = {
    "admitted", "malformed request", "mechanism not CURVE", "unknown key",
    "key not admitted here"
};

static const char *s_status [SS_ZAP_VERDICTS] = {
    "200", "500", "400", "400", "400"
};

ss_zap_t *
ss_zap_new (const ss_keyring_t *ring, const char *name, ...)
{
    assert (ring);
    ss_zap_t *self = calloc (1, sizeof (ss_zap_t));
    if (!self)
        return NULL;
    self->ring = ss_keyring_new ();
    self->allowed = zhashx_new ();
    if (!self->ring || !self->allowed) {
        ss_zap_destroy (&self);
        return NULL;
    }
    char err [256];
    size_t size = ss_keyring_size (ring);
    for (size_t i = 0; i < size; i++) {
        const char *each = ss_keyring_name_at (ring, i);
        if (ss_keyring_add (self->ring, each, ss_keyring_key (ring, each),
                            ss_keyring_source (ring, each), err, sizeof err)) {
            ss_zap_destroy (&self);
            return NULL;
        }
    }
    va_list args;
    va_start (args, name);
    while (name) {
        ss_zap_allow (self, name);
        name = va_arg (args, const char *);
    }
    va_end (args);
    return self;
}

void
ss_zap_destroy (ss_zap_t **self_p)
{
    assert (self_p);
    ss_zap_t *self = *self_p;
    if (!self)
        return;
    ss_keyring_destroy (&self->ring);
    zhashx_destroy (&self->allowed);
    zsock_destroy (&self->sock);
    free (self);
    *self_p = NULL;
}

int
ss_zap_allow (ss_zap_t *self, const char *name)
{
    assert (self);
    assert (name);
    zhashx_update (self->allowed, name, (void *) 1);
    return ss_keyring_has (self->ring, name)? 0: -1;
}

bool
ss_zap_allowed (const ss_zap_t *self, const char *name)
{
    assert (self);
    return name && zhashx_lookup (self->allowed, name) != NULL;
}

void
ss_zap_set_verbose (ss_zap_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

uint64_t
ss_zap_count (const ss_zap_t *self, ss_zap_verdict_t verdict)
{
    assert (self);
    return verdict < SS_ZAP_VERDICTS? self->counts [verdict]: 0;
}

const char *
ss_zap_verdict_name (ss_zap_verdict_t verdict)
{
    return verdict < SS_ZAP_VERDICTS? s_verdict_names [verdict]: "?";
}

//  A printable copy of a frame, cut to fit out
static void
s_printable (zframe_t *frame, char *out, size_t out_size)
{
    size_t size = frame? zframe_size (frame): 0;
    const byte *data = frame? zframe_data (frame): NULL;
    size_t n = size < out_size - 1? size: out_size - 1;
    for (size_t i = 0; i < n; i++)
        out [i] = data [i] >= 32 && data [i] < 127? (char) data [i]: '?';
    out [n] = 0;
}

zmsg_t *
ss_zap_answer (ss_zap_t *self, zmsg_t *request, ss_zap_decision_t *decision)
{
    assert (self);
    assert (request);
    ss_zap_decision_t local;
    if (!decision)
        decision = &local;
    memset (decision, 0, sizeof *decision);
    zframe_t *frame [8] = { NULL };
    size_t n = zmsg_size (request);
    zframe_t *each = zmsg_first (request);
    for (size_t i = 0; i < 8 && each; i++, each = zmsg_next (request))
        frame [i] = each;
    s_printable (frame [3], decision->address, sizeof decision->address);

    ss_zap_verdict_t verdict;
    if (n < 6 || !zframe_streq (frame [0], "1.0"))
        verdict = SS_ZAP_MALFORMED;
    else
    if (!zframe_streq (frame [5], "CURVE"))
        verdict = SS_ZAP_MECHANISM;
    else
    if (n != 7 || zframe_size (frame [6]) != 32)
        verdict = SS_ZAP_MALFORMED;
    else {
        decision->name = ss_keyring_name (self->ring, zframe_data (frame [6]));
        verdict = !decision->name? SS_ZAP_UNKNOWN_KEY:
                  ss_zap_allowed (self, decision->name)? SS_ZAP_ADMITTED:
                  SS_ZAP_NOT_ALLOWED;
    }
    decision->verdict = verdict;
    self->counts [verdict]++;
    if (n < 2)
        return NULL;
    zmsg_t *reply = zmsg_new ();
    if (!reply)
        return NULL;
    zmsg_addstr (reply, "1.0");
    zmsg_addmem (reply, zframe_data (frame [1]), zframe_size (frame [1]));
    zmsg_addstr (reply, s_status [verdict]);
    zmsg_addstr (reply, verdict == SS_ZAP_ADMITTED? "OK": s_verdict_names [verdict]);
    zmsg_addstr (reply, verdict == SS_ZAP_ADMITTED? decision->name: "");
    zmsg_addmem (reply, NULL, 0);
    return reply;
}

zsock_t *
ss_zap_socket (ss_zap_t *self)
{
    assert (self);
    if (!self->sock) {
        self->sock = zsock_new (ZMQ_REP);
        if (self->sock) {
            zsock_set_linger (self->sock, 0);
            if (zsock_bind (self->sock, "%s", SS_ZAP_ENDPOINT) != 0)
                zsock_destroy (&self->sock);
        }
    }
    return self->sock;
}

//  One log line: what happened, then the counts so far
static void
s_log_counts (ss_zap_t *self, const char *what)
{
    zsys_warning ("zap: %s; refused so far: unknown key %llu, not admitted %llu, "
                  "mechanism %llu, malformed %llu", what,
                  (unsigned long long) self->counts [SS_ZAP_UNKNOWN_KEY],
                  (unsigned long long) self->counts [SS_ZAP_NOT_ALLOWED],
                  (unsigned long long) self->counts [SS_ZAP_MECHANISM],
                  (unsigned long long) self->counts [SS_ZAP_MALFORMED]);
    self->logged = true;
    self->logged_at = zclock_mono ();
    self->unlogged = 0;
}

static void
s_log (ss_zap_t *self, const ss_zap_decision_t *decision)
{
    if (decision->verdict == SS_ZAP_ADMITTED) {
        if (self->verbose)
            zsys_debug ("zap: admitted %s from %s", decision->name, decision->address);
        return;
    }
    if (self->logged && zclock_mono () - self->logged_at < 1000) {
        self->unlogged++;
        return;
    }
    char what [256];
    snprintf (what, sizeof what, "refused a handshake from %s: %s%s%s",
              decision->address [0]? decision->address: "?",
              s_verdict_names [decision->verdict],
              decision->name? ", key of ": "", decision->name? decision->name: "");
    s_log_counts (self, what);
}

int
ss_zap_flush (ss_zap_t *self)
{
    assert (self);
    if (!self->unlogged)
        return -1;
    int64_t due = self->logged_at + 1000 - zclock_mono ();
    if (due > 0)
        return (int) due;
    char what [128];
    snprintf (what, sizeof what, "refused %llu more handshake%s",
              (unsigned long long) self->unlogged, self->unlogged == 1? "": "s");
    s_log_counts (self, what);
    return -1;
}

int
ss_zap_handle (ss_zap_t *self)
{
    assert (self);
    assert (self->sock);
    zmsg_t *request = zmsg_recv (self->sock);
    if (!request)
        return -1;
    ss_zap_decision_t decision;
    zmsg_t *reply = ss_zap_answer (self, request, &decision);
    zmsg_destroy (&request);
    if (!reply) {
        reply = zmsg_new ();
        zmsg_addstr (reply, "1.0");
        zmsg_addstr (reply, "");
        zmsg_addstr (reply, "500");
        zmsg_addstr (reply, s_verdict_names [SS_ZAP_MALFORMED]);
        zmsg_addstr (reply, "");
        zmsg_addmem (reply, NULL, 0);
    }
    zmsg_send (&reply, self->sock);
    s_log (self, &decision);
    return 0;
}

static void
s_actor (zsock_t *pipe, void *args)
{
    ss_zap_t *self = (ss_zap_t *) args;
    zpoller_t *poller = zpoller_new (pipe, self->sock, NULL);
    //  Serve until told to stop, even after SIGINT: without a handler
    //  libzmq would admit any client of our CURVE servers
    zpoller_set_nonstop (poller, true);
    zsock_signal (pipe, 0);
    bool stop = false;
    while (!stop) {
        void *which = zpoller_wait (poller, ss_zap_flush (self));
        if (which == self->sock)
            ss_zap_handle (self);
        else
        if (which == pipe) {
            zmsg_t *msg = zmsg_recv (pipe);
            char *command = msg? zmsg_popstr (msg): NULL;
            if (command && streq (command, "COUNTS"))
                zsock_send (pipe, "b", self->counts, sizeof self->counts);
            else
                stop = !command || streq (command, "$TERM");
            zstr_free (&command);
            zmsg_destroy (&msg);
        }
        else
        if (!zpoller_expired (poller))
            stop = zmq_errno () == ETERM;
    }
    zpoller_destroy (&poller);
    ss_zap_destroy (&self);
}

zactor_t *
ss_zap_start (ss_zap_t **self_p)
{
    assert (self_p);
    assert (*self_p);
    if (!ss_zap_socket (*self_p))
        return NULL;
    zactor_t *actor = zactor_new (s_actor, *self_p);
    if (actor)
        *self_p = NULL;
    return actor;
}

int
ss_zap_actor_counts (zactor_t *actor, uint64_t *counts)
{
    assert (actor);
    assert (counts);
    if (zstr_send (actor, "COUNTS"))
        return -1;
    zpoller_t *poller = zpoller_new (actor, NULL);
    int rc = -1;
    if (zpoller_wait (poller, 1000) == actor) {
        zframe_t *frame = zframe_recv (actor);
        if (frame && zframe_size (frame) == SS_ZAP_VERDICTS * sizeof (uint64_t)) {
            memcpy (counts, zframe_data (frame), zframe_size (frame));
            rc = 0;
        }
        zframe_destroy (&frame);
    }
    zpoller_destroy (&poller);
    return rc;
}
