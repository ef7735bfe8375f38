/*  test_zap: ss_zap — the pure part, without sockets (every verdict, the
    reply's frames, counting by reason, malformed requests answered 500 or
    dropped, the handler surviving the ring it was made from), then the
    socket part driven by a zloop reactor against a real CURVE server on
    the loopback, a REQ asking the REP directly (a request the pure part
    drops still gets an answer), one handler per process, and the actor's
    counts, and refusals logged at most once a second (ss_zap_flush logs a
    burst's tail). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ss_zap.h"
#include "ss_keys.h"

static uint8_t s_key [3][32];       //  agent-0, agent-1, operator

static ss_zap_t *
s_zap (void)
{
    ss_keyring_t *ring = ss_keyring_new ();
    assert_non_null (ring);
    const char *names [] = { "agent-0", "agent-1", "operator" };
    char err [256];
    for (int i = 0; i < 3; i++) {
        memset (s_key [i], 0x10 + i, 32);
        assert_int_equal (ss_keyring_add (ring, names [i], s_key [i], NULL, err, sizeof err), 0);
    }
    ss_zap_t *zap = ss_zap_new (ring, "agent-1", "operator", NULL);
    assert_non_null (zap);
    //  The handler keeps its own copy
    ss_keyring_destroy (&ring);
    return zap;
}

//  A request of n frames: version, id "7", domain, address, routing id,
//  mechanism, then the credential (key, key_size bytes) and more frames
static zmsg_t *
s_request (int n, const char *version, const char *mechanism, const uint8_t *key,
           size_t key_size)
{
    zmsg_t *request = zmsg_new ();
    const char *frames [] = { version, "7", "", "10.1.2.3", "" , mechanism };
    for (int i = 0; i < n && i < 6; i++)
        zmsg_addstr (request, frames [i]);
    if (n > 6)
        zmsg_addmem (request, key, key_size);
    for (int i = 7; i < n; i++)
        zmsg_addstr (request, "extra");
    return request;
}

//  Check the reply's 6 frames; returns the reply's user id (static)
static const char *
s_check_reply (zmsg_t *reply, const char *id, const char *status)
{
    static char user [64];
    assert_non_null (reply);
    assert_int_equal (zmsg_size (reply), 6);
    zframe_t *frame = zmsg_first (reply);
    assert_true (zframe_streq (frame, "1.0"));
    assert_true (zframe_streq (frame = zmsg_next (reply), id));
    assert_true (zframe_streq (frame = zmsg_next (reply), status));
    frame = zmsg_next (reply);
    assert_true (zframe_size (frame) > 0);
    frame = zmsg_next (reply);
    snprintf (user, sizeof user, "%.*s", (int) zframe_size (frame), (char *) zframe_data (frame));
    assert_int_equal (zframe_size (zmsg_next (reply)), 0);
    return user;
}

static void
test_answer (void **state)
{
    (void) state;
    ss_zap_t *zap = s_zap ();
    ss_zap_decision_t decision;

    //  Admitted: user id = the name
    zmsg_t *request = s_request (7, "1.0", "CURVE", s_key [1], 32);
    zmsg_t *reply = ss_zap_answer (zap, request, &decision);
    assert_string_equal (s_check_reply (reply, "7", "200"), "agent-1");
    assert_int_equal (decision.verdict, SS_ZAP_ADMITTED);
    assert_string_equal (decision.name, "agent-1");
    assert_string_equal (decision.address, "10.1.2.3");
    assert_int_equal (zmsg_size (request), 7);      //  not modified
    zmsg_destroy (&reply);
    zmsg_destroy (&request);
    request = s_request (7, "1.0", "CURVE", s_key [2], 32);
    reply = ss_zap_answer (zap, request, NULL);
    assert_string_equal (s_check_reply (reply, "7", "200"), "operator");
    zmsg_destroy (&reply);
    zmsg_destroy (&request);

    //  A ring key not on the allow-list
    request = s_request (7, "1.0", "CURVE", s_key [0], 32);
    reply = ss_zap_answer (zap, request, &decision);
    assert_string_equal (s_check_reply (reply, "7", "400"), "");
    assert_int_equal (decision.verdict, SS_ZAP_NOT_ALLOWED);
    assert_string_equal (decision.name, "agent-0");
    zmsg_destroy (&reply);
    zmsg_destroy (&request);

    //  A key of no file
    uint8_t stranger [32];
    memset (stranger, 0x77, 32);
    request = s_request (7, "1.0", "CURVE", stranger, 32);
    reply = ss_zap_answer (zap, request, &decision);
    assert_string_equal (s_check_reply (reply, "7", "400"), "");
    assert_int_equal (decision.verdict, SS_ZAP_UNKNOWN_KEY);
    assert_null (decision.name);
    zmsg_destroy (&reply);
    zmsg_destroy (&request);

    //  NULL and PLAIN mechanisms
    request = s_request (6, "1.0", "NULL", NULL, 0);
    reply = ss_zap_answer (zap, request, &decision);
    s_check_reply (reply, "7", "400");
    assert_int_equal (decision.verdict, SS_ZAP_MECHANISM);
    zmsg_destroy (&reply);
    zmsg_destroy (&request);
    request = s_request (8, "1.0", "PLAIN", (const uint8_t *) "user", 4);
    reply = ss_zap_answer (zap, request, &decision);
    s_check_reply (reply, "7", "400");
    assert_int_equal (decision.verdict, SS_ZAP_MECHANISM);
    zmsg_destroy (&reply);
    zmsg_destroy (&request);

    //  Malformed: answered 500 with the request id...
    struct { int n; const char *version; size_t key_size; } bad [] = {
        { 7, "2.0", 32 }, { 7, "1.0 ", 32 }, { 5, "1.0", 32 }, { 2, "1.0", 32 },
        { 6, "1.0", 32 }, { 7, "1.0", 31 }, { 7, "1.0", 33 }, { 7, "1.0", 0 },
        { 8, "1.0", 32 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        uint8_t key [40];
        memcpy (key, s_key [1], 32);
        memset (key + 32, 0, 8);
        request = s_request (bad [i].n, bad [i].version, "CURVE", key, bad [i].key_size);
        reply = ss_zap_answer (zap, request, &decision);
        assert_string_equal (s_check_reply (reply, "7", "500"), "");
        assert_int_equal (decision.verdict, SS_ZAP_MALFORMED);
        zmsg_destroy (&reply);
        zmsg_destroy (&request);
    }
    //  ... or dropped without one
    for (int n = 0; n < 2; n++) {
        request = s_request (n, "1.0", "CURVE", NULL, 0);
        assert_null (ss_zap_answer (zap, request, &decision));
        assert_int_equal (decision.verdict, SS_ZAP_MALFORMED);
        zmsg_destroy (&request);
    }

    //  Counted by reason
    assert_int_equal (ss_zap_count (zap, SS_ZAP_ADMITTED), 2);
    assert_int_equal (ss_zap_count (zap, SS_ZAP_NOT_ALLOWED), 1);
    assert_int_equal (ss_zap_count (zap, SS_ZAP_UNKNOWN_KEY), 1);
    assert_int_equal (ss_zap_count (zap, SS_ZAP_MECHANISM), 2);
    assert_int_equal (ss_zap_count (zap, SS_ZAP_MALFORMED), 11);
    assert_int_equal (ss_zap_count (zap, SS_ZAP_VERDICTS), 0);
    ss_zap_destroy (&zap);
    ss_zap_destroy (&zap);
}

static void
test_details (void **state)
{
    (void) state;
    ss_zap_t *zap = s_zap ();
    //  The allow-list
    assert_true (ss_zap_allowed (zap, "agent-1"));
    assert_false (ss_zap_allowed (zap, "agent-0"));
    assert_false (ss_zap_allowed (zap, NULL));
    assert_int_equal (ss_zap_allow (zap, "agent-0"), 0);
    assert_int_equal (ss_zap_allow (zap, "coordinator"), -1);     //  not in the ring
    assert_true (ss_zap_allowed (zap, "coordinator"));
    ss_zap_decision_t decision;
    zmsg_t *request = s_request (7, "1.0", "CURVE", s_key [0], 32);
    zmsg_t *reply = ss_zap_answer (zap, request, &decision);
    assert_string_equal (s_check_reply (reply, "7", "200"), "agent-0");
    zmsg_destroy (&reply);
    zmsg_destroy (&request);

    //  A long request id is echoed; a binary, long address is cut and printable
    request = zmsg_new ();
    zmsg_addstr (request, "1.0");
    char id [1000];
    memset (id, 'i', sizeof id - 1);
    id [sizeof id - 1] = 0;
    zmsg_addstr (request, id);
    zmsg_addstr (request, "domain");
    uint8_t address [200];
    for (int i = 0; i < 200; i++)
        address [i] = (uint8_t) i;
    zmsg_addmem (request, address, sizeof address);
    zmsg_addstr (request, "");
    zmsg_addstr (request, "CURVE");
    zmsg_addmem (request, s_key [2], 32);
    reply = ss_zap_answer (zap, request, &decision);
    assert_string_equal (s_check_reply (reply, id, "200"), "operator");
    assert_int_equal (strlen (decision.address), sizeof decision.address - 1);
    for (size_t i = 0; i < strlen (decision.address); i++)
        assert_true (decision.address [i] >= 32 && decision.address [i] < 127);
    zmsg_destroy (&reply);
    zmsg_destroy (&request);

    for (int v = 0; v <= SS_ZAP_VERDICTS; v++)
        assert_non_null (ss_zap_verdict_name ((ss_zap_verdict_t) v));
    assert_string_equal (ss_zap_verdict_name (SS_ZAP_UNKNOWN_KEY), "unknown key");
    ss_zap_destroy (&zap);
}

//  --- The socket part -----------------------------------------------------

typedef struct {
    zsock_t *server;
    ss_zap_t *zap;
    char name [64];
    int handled;
} s_loop_t;

static int
s_on_zap (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    (void) reader;
    s_loop_t *self = (s_loop_t *) arg;
    self->handled++;
    return ss_zap_handle (self->zap) == 0? 0: -1;
}

static int
s_on_server (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    s_loop_t *self = (s_loop_t *) arg;
    zframe_t *routing_id = zframe_recv (reader);
    zframe_t *body = zframe_recv (reader);
    const char *name = body? ss_keys_peer_name (body): NULL;
    snprintf (self->name, sizeof self->name, "%s", name? name: "?");
    zframe_destroy (&routing_id);
    zframe_destroy (&body);
    return -1;      //  done
}

static int
s_on_timeout (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    (void) arg;
    return -1;
}

static void
test_reactor (void **state)
{
    (void) state;
    //  A real ring: an operator key and a server key
    zcert_t *server_cert = zcert_new (), *operator = zcert_new (), *other = zcert_new ();
    ss_keyring_t *ring = ss_keyring_new ();
    char err [256];
    assert_int_equal (ss_keyring_add (ring, "coordinator", zcert_public_key (server_cert),
                                      NULL, err, sizeof err), 0);
    assert_int_equal (ss_keyring_add (ring, "operator", zcert_public_key (operator),
                                      NULL, err, sizeof err), 0);
    s_loop_t self = { .zap = ss_zap_new (ring, "operator", NULL) };
    ss_keyring_destroy (&ring);
    assert_non_null (self.zap);
    zsock_t *zap_sock = ss_zap_socket (self.zap);
    assert_non_null (zap_sock);
    assert_ptr_equal (ss_zap_socket (self.zap), zap_sock);
    //  One handler per process
    ss_keyring_t *empty = ss_keyring_new ();
    ss_zap_t *second = ss_zap_new (empty, NULL);
    assert_null (ss_zap_socket (second));
    assert_null (ss_zap_start (&second));
    assert_non_null (second);
    ss_zap_destroy (&second);
    ss_keyring_destroy (&empty);

    self.server = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (self.server, 0);
    ss_keys_apply_server (self.server, server_cert);
    int port = zsock_bind (self.server, "tcp://127.0.0.1:*");
    assert_true (port > 0);

    //  A stranger is refused and the operator admitted, the reactor
    //  answering both requests
    zsock_t *stranger = zsock_new (ZMQ_DEALER);
    zsock_set_linger (stranger, 0);
    ss_keys_apply_client (stranger, other, zcert_public_txt (server_cert));
    zsock_connect (stranger, "tcp://127.0.0.1:%d", port);
    zstr_send (stranger, "from a stranger");
    zsock_t *client = zsock_new (ZMQ_DEALER);
    zsock_set_linger (client, 0);
    ss_keys_apply_client (client, operator, zcert_public_txt (server_cert));
    zclock_sleep (200);
    zsock_connect (client, "tcp://127.0.0.1:%d", port);
    zstr_send (client, "from the operator");

    zloop_t *loop = zloop_new ();
    zloop_reader (loop, zap_sock, s_on_zap, &self);
    zloop_reader (loop, self.server, s_on_server, &self);
    zloop_timer (loop, 10000, 1, s_on_timeout, NULL);
    zloop_start (loop);
    zloop_destroy (&loop);
    assert_string_equal (self.name, "operator");
    assert_true (self.handled >= 2);
    assert_int_equal (ss_zap_count (self.zap, SS_ZAP_ADMITTED), 1);
    assert_true (ss_zap_count (self.zap, SS_ZAP_UNKNOWN_KEY) >= 1);
    zsock_destroy (&stranger);
    zsock_destroy (&client);

    //  A REQ at the endpoint: a request the pure part would drop is answered
    zsock_t *req = zsock_new_req (SS_ZAP_ENDPOINT);
    assert_non_null (req);
    zstr_send (req, "one frame");
    zpoller_t *poller = zpoller_new (zap_sock, NULL);
    assert_true (zpoller_wait (poller, 2000) == zap_sock);
    assert_int_equal (ss_zap_handle (self.zap), 0);
    zmsg_t *reply = zmsg_recv (req);
    assert_non_null (reply);
    s_check_reply (reply, "", "500");
    zmsg_destroy (&reply);

    //  A burst of refusals: one line now, the rest once its second is over
    zclock_sleep (1000);
    assert_int_equal (ss_zap_flush (self.zap), -1);
    for (int i = 0; i < 3; i++) {
        zmsg_t *request = zmsg_new ();
        zmsg_addstr (request, "1.0");
        zmsg_addstr (request, "9");
        zmsg_addstr (request, "");
        zmsg_addstr (request, "10.9.9.9");
        zmsg_addstr (request, "");
        zmsg_addstr (request, "NULL");
        zmsg_send (&request, req);
        assert_true (zpoller_wait (poller, 2000) == zap_sock);
        assert_int_equal (ss_zap_handle (self.zap), 0);
        reply = zmsg_recv (req);
        s_check_reply (reply, "9", "400");
        zmsg_destroy (&reply);
    }
    int due = ss_zap_flush (self.zap);
    assert_true (due > 0 && due <= 1000);
    zclock_sleep (due + 10);
    assert_int_equal (ss_zap_flush (self.zap), -1);
    assert_int_equal (ss_zap_flush (self.zap), -1);
    assert_int_equal (ss_zap_count (self.zap, SS_ZAP_MECHANISM), 3);
    zpoller_destroy (&poller);
    zsock_destroy (&req);

    zsock_destroy (&self.server);
    ss_zap_destroy (&self.zap);
    zcert_destroy (&server_cert);
    zcert_destroy (&operator);
    zcert_destroy (&other);
}

static void
test_actor (void **state)
{
    (void) state;
    ss_zap_t *zap = s_zap ();
    //  The previous test's handler frees the endpoint in libzmq's reaper
    //  thread: a bind right after may find it still taken
    zactor_t *actor = NULL;
    for (int i = 0; i < 200 && !actor; i++)
        if (!(actor = ss_zap_start (&zap)))
            zclock_sleep (10);
    assert_non_null (actor);
    assert_null (zap);
    //  Ask it directly, as libzmq would
    zsock_t *req = zsock_new_req (SS_ZAP_ENDPOINT);
    assert_non_null (req);
    zmsg_t *request = s_request (7, "1.0", "CURVE", s_key [1], 32);
    zmsg_send (&request, req);
    zmsg_t *reply = zmsg_recv (req);
    assert_string_equal (s_check_reply (reply, "7", "200"), "agent-1");
    zmsg_destroy (&reply);
    request = s_request (7, "1.0", "CURVE", s_key [0], 32);
    zmsg_send (&request, req);
    reply = zmsg_recv (req);
    s_check_reply (reply, "7", "400");
    zmsg_destroy (&reply);
    zsock_destroy (&req);
    uint64_t counts [SS_ZAP_VERDICTS];
    assert_int_equal (ss_zap_actor_counts (actor, counts), 0);
    assert_int_equal (counts [SS_ZAP_ADMITTED], 1);
    assert_int_equal (counts [SS_ZAP_NOT_ALLOWED], 1);
    zactor_destroy (&actor);
    //  The endpoint is free again
    ss_zap_t *again = s_zap ();
    zsock_t *sock = NULL;
    for (int i = 0; i < 200 && !sock; i++)
        if (!(sock = ss_zap_socket (again)))
            zclock_sleep (10);
    assert_non_null (sock);
    ss_zap_destroy (&again);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_answer),
        cmocka_unit_test (test_details),
        cmocka_unit_test (test_reactor),
        cmocka_unit_test (test_actor),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}
