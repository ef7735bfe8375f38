/*  test_keys: ss_keys — names, keygen (operator key included), file modes,
    the strict certificate parser, loading, and ss_keys_start_zap against
    real CURVE ROUTER/DEALER pairs on the loopback:
    - the coordinator admits agents and the operator, each named by its
      file (a certificate whose metadata says name = coordinator is named
      agent-1 all the same), and refuses a stranger, an extra certificate
      claiming name = coordinator, and the coordinator's own key;
    - an agent admits its graph neighbours only;
    - backups, subdirectory copies and copies dropped into the directory
      while the handler runs change nothing;
    - duplicate, missing and malformed key files stop the start with one
      line naming the files; each refusal is counted by reason. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "ss_testtmp.h"
#include "ss_keys.h"
#include "ss_zap.h"
#include "ss_testfleet.h"


static ss_fleet_t *
s_fleet (void)
{
    ss_fleet_t *fleet = calloc (1, sizeof (ss_fleet_t));
    assert_non_null (fleet);
    snprintf (fleet->name, sizeof (fleet->name), "testfleet");
    fleet->count = 3;
    snprintf (fleet->keys, sizeof (fleet->keys), "%s/keys", test_tmp);
    return fleet;
}

//  A real fleet of 6 agents on a ring of degree 2 (agent 0's neighbours
//  are 1 and 5), keys in DIR/NAME
static ss_fleet_t *
s_ring_fleet (const char *name)
{
    char set [PATH_MAX + 32];
    snprintf (set, sizeof set, "security/keys=%s/%s", test_tmp, name);
    const char *sets [] = { set };
    ss_fleet_t *fleet = test_fleet (
        "fleet\n"
        "    name = keytest\n"
        "    rounds = 10\n"
        "    graph\n"
        "        kind = ring\n"
        "        degree = 2\n"
        "    agents\n"
        "        count = 6\n"
        "        base_port = 7000\n"
        "    coordinator\n"
        "        endpoint = tcp://127.0.0.1:6999\n", sets, 1);
    assert_non_null (fleet);
    char err [512] = "";
    assert_int_equal (ss_keys_generate (fleet, false, err, sizeof err), 8);
    return fleet;
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
    ss_keys_name (SS_KEYS_COORDINATOR, name, sizeof (name));
    assert_string_equal (name, "coordinator");
    ss_keys_name (SS_KEYS_OPERATOR, name, sizeof (name));
    assert_string_equal (name, "operator");
}

static void
test_generate (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet ();
    char err [512] = "";
    //  3 agents, the coordinator and the operator
    assert_int_equal (ss_keys_generate (fleet, false, err, sizeof (err)), 5);
    assert_int_equal (ss_keys_generate (fleet, false, err, sizeof (err)), 0);
    assert_int_equal (s_mode (fleet->keys), 0700);
    char path [PATH_MAX + 64];
    snprintf (path, sizeof (path), "%s/agent-2.key_secret", fleet->keys);
    assert_int_equal (s_mode (path), 0600);
    snprintf (path, sizeof (path), "%s/coordinator.key_secret", fleet->keys);
    assert_int_equal (s_mode (path), 0600);
    snprintf (path, sizeof (path), "%s/operator.key_secret", fleet->keys);
    assert_int_equal (s_mode (path), 0600);
    snprintf (path, sizeof (path), "%s/operator.key", fleet->keys);
    assert_int_equal (s_mode (path), 0644);

    //  Idempotent: the same public key after a second run
    zcert_t *before = ss_keys_load_public (fleet, "agent-1", err, sizeof (err));
    assert_non_null (before);
    assert_int_equal (ss_keys_generate (fleet, false, err, sizeof (err)), 0);
    zcert_t *after = ss_keys_load_secret (fleet, "agent-1", err, sizeof (err));
    assert_non_null (after);
    assert_string_equal (zcert_public_txt (before), zcert_public_txt (after));
    zcert_destroy (&after);

    //  A directory made by an older keygen (no operator key): keygen adds it
    snprintf (path, sizeof (path), "%s/operator.key", fleet->keys);
    unlink (path);
    strcat (path, "_secret");
    unlink (path);
    assert_int_equal (ss_keys_generate (fleet, false, err, sizeof (err)), 1);
    zcert_t *operator = ss_keys_load_secret (fleet, "operator", err, sizeof (err));
    assert_non_null (operator);
    zcert_destroy (&operator);

    //  --force renews every certificate
    assert_int_equal (ss_keys_generate (fleet, true, err, sizeof (err)), 5);
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
    assert_non_null (strstr (err, "swarmshape keygen"));
    assert_null (ss_keys_load_public (fleet, "agent-9", err, sizeof (err)));
    assert_non_null (strstr (err, "agent-9.key"));
    snprintf (path, sizeof (path), "%s/agent-8.key_secret", fleet->keys);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "curve\n    public-key = \"abc\n");
    fclose (file);
    chmod (path, 0600);
    assert_null (ss_keys_load_secret (fleet, "agent-8", err, sizeof (err)));
    assert_non_null (strstr (err, "agent-8.key_secret: not a CURVE secret certificate"));
    assert_null (strchr (err, '\n'));
    unlink (path);

    //  A secret whose two keys do not belong together
    zcert_t *a = zcert_new (), *b = zcert_new ();
    snprintf (path, sizeof (path), "%s/agent-7.key_secret", fleet->keys);
    file = fopen (path, "w");
    fprintf (file, "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
             zcert_public_txt (a), zcert_secret_txt (b));
    fclose (file);
    chmod (path, 0600);
    assert_null (ss_keys_load_secret (fleet, "agent-7", err, sizeof (err)));
    assert_non_null (strstr (err, "does not match"));
    unlink (path);
    zcert_destroy (&a);
    zcert_destroy (&b);

    //  Not a regular file, too large
    snprintf (path, sizeof (path), "%s/agent-6.key", fleet->keys);
    assert_int_equal (mkdir (path, 0700), 0);
    assert_null (ss_keys_load_public (fleet, "agent-6", err, sizeof (err)));
    assert_non_null (strstr (err, "not a regular file"));
    rmdir (path);
    file = fopen (path, "w");
    for (int i = 0; i < SS_KEYS_MAX_FILE / 8 + 1; i++)
        fputs ("#.......", file);
    fclose (file);
    assert_null (ss_keys_load_public (fleet, "agent-6", err, sizeof (err)));
    assert_non_null (strstr (err, "larger than"));
    unlink (path);
    free (fleet);
}

static void
test_parse (void **state)
{
    (void) state;
    zcert_t *cert = zcert_new ();
    char saved [PATH_MAX + 32];
    snprintf (saved, sizeof saved, "%s/parse.key", test_tmp);
    zcert_set_meta (cert, "name", "coordinator");
    assert_int_equal (zcert_save (cert, saved), 0);
    char public_z85 [41], secret_z85 [41];
    const char *problem = NULL;

    //  What zcert_save writes, public and secret
    for (int secret = 0; secret < 2; secret++) {
        if (secret)
            strcat (saved, "_secret");
        FILE *file = fopen (saved, "r");
        assert_non_null (file);
        char text [4096];
        size_t size = fread (text, 1, sizeof text, file);
        fclose (file);
        assert_int_equal (ss_keys_parse (text, size, public_z85,
                                         secret? secret_z85: NULL, &problem), 0);
        assert_string_equal (public_z85, zcert_public_txt (cert));
        if (secret)
            assert_string_equal (secret_z85, zcert_secret_txt (cert));
        else
            assert_int_not_equal (ss_keys_parse (text, size, public_z85, secret_z85,
                                                 &problem), 0);
    }
    //  Other spellings ZPL allows
    const char *key = zcert_public_txt (cert);
    const char *good [] = {
        "curve\n    public-key = '%s'\n",
        "curve\n    public-key=%s\n",
        "curve   # the keys\n    public-key = \"%s\"   # ours\n",
        "metadata\n    public-key = \"nonsense\"\ncurve\r\n    public-key = \"%s\"\r\n",
        "curve\n        public-key = \"nonsense\"\n    public-key = \"%s\"",
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        //  Unquoted, a '#' (a Z85 character) would start a comment
        if (i == 1 && strchr (key, '#'))
            continue;
        char text [512];
        int size = snprintf (text, sizeof text, good [i], key);
        problem = NULL;
        assert_int_equal (ss_keys_parse (text, (size_t) size, public_z85, NULL, &problem), 0);
        assert_string_equal (public_z85, key);
    }
    //  Refused, each with a phrase
    const char *bad [] = {
        "",
        "metadata\n    name = \"agent-1\"\n",
        "curve\n    public-key = \"abc\"\n",
        "curve\n    public-key = \"%s\n",
        "curve\n    public-key\n",
        "curve\n    public-key = \"%s\"\n    public-key = \"%s\"\n",
        "curve\n    public-key = \"%.39s~\"\n",
        "curves\n    public-key = \"%s\"\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char text [512];
        int size = snprintf (text, sizeof text, bad [i], key, key);
        problem = NULL;
        assert_int_not_equal (ss_keys_parse (text, (size_t) size, public_z85, NULL, &problem), 0);
        assert_non_null (problem);
    }
    char binary [] = "curve\n    public-key = \"\0\"\n";
    assert_int_not_equal (ss_keys_parse (binary, sizeof binary, public_z85, NULL, &problem), 0);
    assert_string_equal (problem, "not a text file");
    zcert_destroy (&cert);
}

//  --- Real CURVE sockets ---------------------------------------------------

//  Start the ZAP handler of agent id; a previous test's handler frees the
//  endpoint in libzmq's reaper thread, so a bind right after may find it
//  still taken: retry for up to 2 s
static zactor_t *
s_start_zap (ss_fleet_t *fleet, int id)
{
    char err [512] = "";
    zactor_t *zap = NULL;
    for (int i = 0; i < 200 && !zap; i++)
        if (!(zap = ss_keys_start_zap (fleet, id, false, err, sizeof err)))
            zclock_sleep (10);
    if (!zap)
        fprintf (stderr, "%s\n", err);
    return zap;
}

typedef struct {
    zsock_t *server;
    zcert_t *cert;
    char endpoint [64];
} s_server_t;

static void
s_server_start (s_server_t *self, ss_fleet_t *fleet, const char *name)
{
    char err [512] = "";
    self->cert = ss_keys_load_secret (fleet, name, err, sizeof err);
    assert_non_null (self->cert);
    self->server = zsock_new (ZMQ_ROUTER);
    assert_non_null (self->server);
    zsock_set_linger (self->server, 0);
    ss_keys_apply_server (self->server, self->cert);
    int port = zsock_bind (self->server, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    snprintf (self->endpoint, sizeof self->endpoint, "tcp://127.0.0.1:%d", port);
}

static void
s_server_stop (s_server_t *self)
{
    zsock_destroy (&self->server);
    zcert_destroy (&self->cert);
}

//  Connect a client holding cert to the server; return the ZAP status
//  seen by the client (200 when the handshake succeeded, 400/500 when it
//  was refused, 0 for no verdict in 5 s). On success, send a frame and
//  copy the name the server sees on it into name.
static int
s_try (s_server_t *server, zcert_t *cert, char *name, size_t name_size)
{
    zsock_t *client = zsock_new (ZMQ_DEALER);
    assert_non_null (client);
    zsock_set_linger (client, 0);
    ss_keys_apply_client (client, cert, zcert_public_txt (server->cert));
    zsock_t *monitor = ss_keys_handshake_watch (client);
    assert_non_null (monitor);
    assert_int_equal (zsock_connect (client, "%s", server->endpoint), 0);
    int status = ss_keys_handshake_wait (monitor, 5000, NULL);
    if (name)
        *name = 0;
    if (status == 200) {
        zstr_send (client, "hello");
        zpoller_t *wait = zpoller_new (server->server, NULL);
        assert_true (zpoller_wait (wait, 5000) == server->server);
        zframe_t *routing_id = zframe_recv (server->server);
        zframe_t *body = zframe_recv (server->server);
        assert_non_null (body);
        assert_true (zframe_streq (body, "hello"));
        const char *peer = ss_keys_peer_name (body);
        assert_non_null (peer);
        snprintf (name, name_size, "%s", peer);
        zframe_destroy (&routing_id);
        zframe_destroy (&body);
        zpoller_destroy (&wait);
    }
    ss_keys_handshake_unwatch (client, &monitor);
    zsock_destroy (&client);
    return status;
}

static int
s_try_file (s_server_t *server, ss_fleet_t *fleet, const char *name, char *seen,
            size_t seen_size)
{
    char err [512] = "";
    zcert_t *cert = ss_keys_load_secret (fleet, name, err, sizeof err);
    if (!cert)
        fprintf (stderr, "%s\n", err);
    assert_non_null (cert);
    int status = s_try (server, cert, seen, seen_size);
    zcert_destroy (&cert);
    return status;
}

static void
test_coordinator_zap (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_ring_fleet ("coord");
    const char *keys = fleet->keys;
    //  agent-1.key claims to be the coordinator in its metadata; an extra
    //  certificate evil.key does too; a backup and a subdirectory copy
    test_shell ("sed -i 's/name = \"agent-1\"/name = \"coordinator\"/' '%s/agent-1.key' "
             "'%s/agent-1.key_secret' && grep -q 'name = \"coordinator\"' '%s/agent-1.key'",
             keys, keys, keys);
    zcert_t *evil = zcert_new ();
    zcert_set_meta (evil, "name", "coordinator");
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/evil.key", keys);
    assert_int_equal (zcert_save (evil, path), 0);
    test_shell ("cp -p '%s/agent-2.key' '%s/agent-2.key.bak' && mkdir '%s/old' "
             "&& cp -p '%s/agent-3.key' '%s/agent-3.key_secret' '%s/old/'",
             keys, keys, keys, keys, keys, keys);

    zactor_t *zap = s_start_zap (fleet, SS_KEYS_COORDINATOR);
    assert_non_null (zap);
    s_server_t server;
    s_server_start (&server, fleet, "coordinator");
    char seen [64];

    //  Agents and the operator, named by their files
    assert_int_equal (s_try_file (&server, fleet, "agent-1", seen, sizeof seen), 200);
    assert_string_equal (seen, "agent-1");
    assert_int_equal (s_try_file (&server, fleet, "agent-5", seen, sizeof seen), 200);
    assert_string_equal (seen, "agent-5");
    assert_int_equal (s_try_file (&server, fleet, "operator", seen, sizeof seen), 200);
    assert_string_equal (seen, "operator");
    //  The extra certificate, a stranger and the coordinator's own key
    assert_int_equal (s_try (&server, evil, seen, sizeof seen), 400);
    zcert_t *stranger = zcert_new ();
    assert_int_equal (s_try (&server, stranger, seen, sizeof seen), 400);
    assert_int_equal (s_try_file (&server, fleet, "coordinator", seen, sizeof seen), 400);

    //  Copies dropped into the running fleet's key directory: nothing changes
    test_shell ("cp -p '%s/agent-4.key' '%s/agent-4.key.copy' && mkdir '%s/new' "
             "&& cp -p '%s/agent-4.key' '%s/agent-4.key_secret' '%s/new/' "
             "&& cp -p '%s/evil.key' '%s/agent-9.key'", keys, keys, keys, keys, keys,
             keys, keys, keys);
    assert_int_equal (s_try_file (&server, fleet, "agent-4", seen, sizeof seen), 200);
    assert_string_equal (seen, "agent-4");
    assert_int_equal (s_try (&server, evil, seen, sizeof seen), 400);

    uint64_t counts [SS_ZAP_VERDICTS];
    assert_int_equal (ss_zap_actor_counts (zap, counts), 0);
    assert_int_equal (counts [SS_ZAP_ADMITTED], 4);
    assert_int_equal (counts [SS_ZAP_UNKNOWN_KEY], 3);
    assert_int_equal (counts [SS_ZAP_NOT_ALLOWED], 1);
    assert_int_equal (counts [SS_ZAP_MECHANISM], 0);
    assert_int_equal (counts [SS_ZAP_MALFORMED], 0);

    s_server_stop (&server);
    zactor_destroy (&zap);
    zcert_destroy (&evil);
    zcert_destroy (&stranger);
    ss_fleet_destroy (&fleet);
}

static void
test_agent_zap (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_ring_fleet ("agent");
    char err [512] = "";
    zactor_t *zap = s_start_zap (fleet, 0);
    assert_non_null (zap);
    s_server_t server;
    s_server_start (&server, fleet, "agent-0");
    char seen [64];
    assert_int_equal (s_try_file (&server, fleet, "agent-1", seen, sizeof seen), 200);
    assert_string_equal (seen, "agent-1");
    assert_int_equal (s_try_file (&server, fleet, "agent-5", seen, sizeof seen), 200);
    assert_string_equal (seen, "agent-5");
    //  Not neighbours: another agent, the operator, the coordinator, itself
    assert_int_equal (s_try_file (&server, fleet, "agent-3", seen, sizeof seen), 400);
    assert_int_equal (s_try_file (&server, fleet, "operator", seen, sizeof seen), 400);
    assert_int_equal (s_try_file (&server, fleet, "coordinator", seen, sizeof seen), 400);
    assert_int_equal (s_try_file (&server, fleet, "agent-0", seen, sizeof seen), 400);
    uint64_t counts [SS_ZAP_VERDICTS];
    assert_int_equal (ss_zap_actor_counts (zap, counts), 0);
    assert_int_equal (counts [SS_ZAP_ADMITTED], 2);
    assert_int_equal (counts [SS_ZAP_NOT_ALLOWED], 4);
    assert_int_equal (counts [SS_ZAP_UNKNOWN_KEY], 0);

    //  One handler per process: a second one cannot bind the endpoint
    zactor_t *second = ss_keys_start_zap (fleet, 1, false, err, sizeof err);
    assert_null (second);
    assert_non_null (strstr (err, "cannot bind the ZAP handler"));
    s_server_stop (&server);
    zactor_destroy (&zap);
    ss_fleet_destroy (&fleet);
}

//  ss_keys_start_zap must fail with one line containing each of the
//  phrases given (NULL-terminated)
static void
s_expect_failure (ss_fleet_t *fleet, int id, ...)
{
    char err [1024] = "";
    zactor_t *zap = ss_keys_start_zap (fleet, id, false, err, sizeof err);
    assert_null (zap);
    assert_null (strchr (err, '\n'));
    va_list args;
    va_start (args, id);
    const char *phrase;
    while ((phrase = va_arg (args, const char *))) {
        if (!strstr (err, phrase))
            fprintf (stderr, "'%s' lacks '%s'\n", err, phrase);
        assert_non_null (strstr (err, phrase));
    }
    va_end (args);
}

static void
test_bad_directory (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_ring_fleet ("bad");
    const char *keys = fleet->keys;
    char a1 [PATH_MAX + 32], a2 [PATH_MAX + 32];
    snprintf (a1, sizeof a1, "%s/agent-1.key", keys);
    snprintf (a2, sizeof a2, "%s/agent-2.key", keys);

    //  Two expected files holding the same key: one line naming both
    test_shell ("cp '%s/agent-2.key' '%s/agent-2.orig' && cp '%s' '%s'", keys, keys, a1, a2);
    s_expect_failure (fleet, SS_KEYS_COORDINATOR, a1, a2, "same public key", NULL);
    s_expect_failure (fleet, 0, a1, a2, "same public key", NULL);
    //  Operator and coordinator the same key
    test_shell ("mv '%s/agent-2.orig' '%s' && cp '%s/operator.key' '%s/operator.orig' "
             "&& cp '%s/coordinator.key' '%s/operator.key'", keys, a2, keys, keys, keys, keys);
    s_expect_failure (fleet, SS_KEYS_COORDINATOR, "operator.key", "coordinator.key",
                      "same public key", NULL);
    test_shell ("mv '%s/operator.orig' '%s/operator.key'", keys, keys);

    //  A missing and a malformed expected file
    test_shell ("mv '%s' '%s.moved'", a2, a2);
    s_expect_failure (fleet, 3, a2, "No such file", NULL);
    test_shell ("printf 'curve\\n    public-key = \"short\"\\n' > '%s'", a2);
    s_expect_failure (fleet, 3, a2, "not a CURVE certificate", NULL);
    test_shell ("mv '%s.moved' '%s'", a2, a2);

    //  Our own secret does not belong to our public file
    test_shell ("cp -p '%s/agent-3.key_secret' '%s/agent-3.orig' "
             "&& cp -p '%s/agent-4.key_secret' '%s/agent-3.key_secret'", keys, keys, keys, keys);
    s_expect_failure (fleet, 3, "agent-3.key_secret", "agent-3.key", "not the one", NULL);
    test_shell ("mv '%s/agent-3.orig' '%s/agent-3.key_secret'", keys, keys);

    //  No key directory
    test_shell ("mv '%s' '%s.gone'", keys, keys);
    s_expect_failure (fleet, 0, keys, "no key directory", NULL);
    test_shell ("mv '%s.gone' '%s'", keys, keys);

    //  Without operator.key (an older keygen): the coordinator starts
    test_shell ("rm '%s/operator.key' '%s/operator.key_secret'", keys, keys);
    zactor_t *zap = s_start_zap (fleet, SS_KEYS_COORDINATOR);
    assert_non_null (zap);
    zactor_destroy (&zap);
    ss_fleet_destroy (&fleet);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_names),
        cmocka_unit_test (test_generate),
        cmocka_unit_test (test_refuse),
        cmocka_unit_test (test_parse),
        cmocka_unit_test (test_coordinator_zap),
        cmocka_unit_test (test_agent_zap),
        cmocka_unit_test (test_bad_directory),
    };
    int rc = cmocka_run_group_tests (tests, test_tmp_setup, test_tmp_teardown);
    zsys_shutdown ();
    return rc;
}
