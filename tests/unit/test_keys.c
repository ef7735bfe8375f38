/*  test_keys: ss_keys — keygen, file modes, loading, and a real CURVE
    ROUTER/DEALER pair with zauth: a fleet key is admitted and its name is
    seen on received frames; a foreign key is refused by the ZAP handler. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "ss_keys.h"

static char s_tmp [256];

static ss_fleet_t *
s_fleet (void)
{
    ss_fleet_t *fleet = calloc (1, sizeof (ss_fleet_t));
    assert_non_null (fleet);
    snprintf (fleet->name, sizeof (fleet->name), "testfleet");
    fleet->count = 3;
    snprintf (fleet->keys, sizeof (fleet->keys), "%s/keys", s_tmp);
    return fleet;
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_tmp, sizeof (s_tmp), "/tmp/test_keys.XXXXXX");
    if (!mkdtemp (s_tmp))
        return -1;
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    char cmd [PATH_MAX + 16];
    snprintf (cmd, sizeof (cmd), "rm -rf '%s'", s_tmp);
    return system (cmd) == 0? 0: -1;
}

static mode_t
s_mode (const char *path)
{
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    return st.st_mode & 07777;
}

static void
test_names (void **state)
{
    (void) state;
    char name [32];
    ss_keys_name (7, name, sizeof (name));
    assert_string_equal (name, "agent-7");
    ss_keys_name (-1, name, sizeof (name));
    assert_string_equal (name, "coordinator");
}

static void
test_generate (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet ();
    char err [512] = "";
    assert_int_equal (ss_keys_generate (fleet, false, err, sizeof (err)), 4);
    assert_int_equal (ss_keys_generate (fleet, false, err, sizeof (err)), 0);
    assert_int_equal (s_mode (fleet->keys), 0700);
    char path [PATH_MAX + 64];
    snprintf (path, sizeof (path), "%s/agent-2.key_secret", fleet->keys);
    assert_int_equal (s_mode (path), 0600);
    snprintf (path, sizeof (path), "%s/coordinator.key_secret", fleet->keys);
    assert_int_equal (s_mode (path), 0600);

    //  Idempotent: the same public key after a second run
    zcert_t *before = ss_keys_load_public (fleet, "agent-1", err, sizeof (err));
    assert_non_null (before);
    assert_int_equal (ss_keys_generate (fleet, false, err, sizeof (err)), 0);
    zcert_t *after = ss_keys_load_secret (fleet, "agent-1", err, sizeof (err));
    assert_non_null (after);
    assert_string_equal (zcert_public_txt (before), zcert_public_txt (after));
    assert_string_equal (zcert_meta (after, "name"), "agent-1");
    assert_string_equal (zcert_meta (after, "fleet"), "testfleet");
    assert_string_equal (zcert_meta (before, "name"), "agent-1");
    zcert_destroy (&after);

    //  --force renews every certificate
    assert_int_equal (ss_keys_generate (fleet, true, err, sizeof (err)), 4);
    after = ss_keys_load_secret (fleet, "agent-1", err, sizeof (err));
    assert_non_null (after);
    assert_string_not_equal (zcert_public_txt (before), zcert_public_txt (after));
    zcert_destroy (&before);
    zcert_destroy (&after);
    free (fleet);
}

static void
test_refuse (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet ();
    char err [512] = "";
    assert_true (ss_keys_generate (fleet, false, err, sizeof (err)) >= 0);
    char path [PATH_MAX + 64];
    snprintf (path, sizeof (path), "%s/agent-0.key_secret", fleet->keys);
    assert_int_equal (chmod (path, 0644), 0);
    zcert_t *cert = ss_keys_load_secret (fleet, "agent-0", err, sizeof (err));
    assert_null (cert);
    assert_non_null (strstr (err, "agent-0.key_secret"));
    assert_non_null (strstr (err, "mode 0644"));
    assert_non_null (strstr (err, "chmod 600"));
    assert_null (strchr (err, '\n'));
    assert_int_equal (chmod (path, 0600), 0);
    cert = ss_keys_load_secret (fleet, "agent-0", err, sizeof (err));
    assert_non_null (cert);
    zcert_destroy (&cert);

    //  Missing and malformed
    assert_null (ss_keys_load_secret (fleet, "agent-9", err, sizeof (err)));
    assert_non_null (strstr (err, "agent-9.key_secret"));
    assert_null (ss_keys_load_public (fleet, "agent-9", err, sizeof (err)));
    assert_non_null (strstr (err, "agent-9.key"));
    snprintf (path, sizeof (path), "%s/agent-8.key_secret", fleet->keys);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "curve\n    public-key = \"abc\"\n");
    fclose (file);
    chmod (path, 0600);
    assert_null (ss_keys_load_secret (fleet, "agent-8", err, sizeof (err)));
    assert_non_null (strstr (err, "not a CURVE secret certificate"));
    unlink (path);
    free (fleet);
}

//  Wait up to timeout ms for a monitor event named event
static bool
s_wait_event (zactor_t *monitor, const char *event, int timeout)
{
    zpoller_t *poller = zpoller_new (monitor, NULL);
    int64_t deadline = zclock_mono () + timeout;
    bool seen = false;
    while (!seen && zclock_mono () < deadline) {
        if (!zpoller_wait (poller, (int) (deadline - zclock_mono ())))
            break;
        zmsg_t *msg = zmsg_recv (monitor);
        if (!msg)
            break;
        char *name = zmsg_popstr (msg);
        seen = name && streq (name, event);
        zstr_free (&name);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return seen;
}

static void
test_curve (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet ();
    char err [512] = "";
    assert_true (ss_keys_generate (fleet, false, err, sizeof (err)) >= 0);
    zactor_t *auth = ss_keys_start_auth (fleet, false, err, sizeof (err));
    assert_non_null (auth);

    zcert_t *server_cert = ss_keys_load_secret (fleet, "coordinator", err, sizeof (err));
    assert_non_null (server_cert);
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    assert_non_null (server);
    ss_keys_apply_server (server, server_cert);
    zactor_t *monitor = zactor_new (zmonitor, server);
    assert_non_null (monitor);
    zstr_sendx (monitor, "LISTEN", "ALL", NULL);
    zstr_send (monitor, "START");
    zsock_wait (monitor);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%d", port);

    //  A fleet key: admitted, and its certificate's name is on the frame
    zcert_t *client_cert = ss_keys_load_secret (fleet, "agent-1", err, sizeof (err));
    assert_non_null (client_cert);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    ss_keys_apply_client (client, client_cert, zcert_public_txt (server_cert));
    zsock_set_linger (client, 0);
    assert_int_equal (zsock_connect (client, "%s", endpoint), 0);
    zstr_send (client, "hello");
    zpoller_t *poller = zpoller_new (server, NULL);
    assert_true (zpoller_wait (poller, 5000) == server);
    zframe_t *routing_id = zframe_recv (server);
    zframe_t *body = zframe_recv (server);
    assert_non_null (routing_id);
    assert_non_null (body);
    assert_true (zframe_streq (body, "hello"));
    const char *name = ss_keys_peer_name (body);
    assert_non_null (name);
    assert_string_equal (name, "agent-1");
    assert_string_equal (zframe_meta (body, "fleet"), "testfleet");
    //  The routing id frame carries the same metadata
    const char *rid_name = zframe_meta (routing_id, "name");
    if (rid_name)
        assert_string_equal (rid_name, "agent-1");
    zframe_destroy (&routing_id);
    zframe_destroy (&body);

    //  A foreign key: refused by the ZAP handler, nothing arrives
    zcert_t *foreign = zcert_new ();
    zsock_t *stranger = zsock_new (ZMQ_DEALER);
    ss_keys_apply_client (stranger, foreign, zcert_public_txt (server_cert));
    zsock_set_linger (stranger, 0);
    assert_int_equal (zsock_connect (stranger, "%s", endpoint), 0);
    zstr_send (stranger, "intruder");
    assert_true (s_wait_event (monitor, "HANDSHAKE_FAILED_AUTH", 5000));
    assert_null (zpoller_wait (poller, 300));

    zpoller_destroy (&poller);
    zsock_destroy (&stranger);
    zsock_destroy (&client);
    zactor_destroy (&monitor);
    zsock_destroy (&server);
    zactor_destroy (&auth);
    zcert_destroy (&foreign);
    zcert_destroy (&client_cert);
    zcert_destroy (&server_cert);
    free (fleet);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_names),
        cmocka_unit_test (test_generate),
        cmocka_unit_test (test_refuse),
        cmocka_unit_test (test_curve),
    };
    int rc = cmocka_run_group_tests (tests, s_setup, s_teardown);
    zsys_shutdown ();
    return rc;
}
