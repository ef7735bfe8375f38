/*  test_keyring: ss_keyring — which file names the fleet expects, adding
    and looking up keys, duplicates refused naming both files, and loading
    a key directory: the expected files only, backups, subdirectories,
    agents beyond count and other files ignored and listed, operator.key
    optional, every other expected file required. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "ss_testtmp.h"
#include "ss_keyring.h"
#include "ss_keys.h"





//  A fleet of count agents with its keys generated in test_tmp/dir
static ss_fleet_t *
s_fleet (const char *dir, int count)
{
    ss_fleet_t *fleet = calloc (1, sizeof (ss_fleet_t));
    assert_non_null (fleet);
    snprintf (fleet->name, sizeof fleet->name, "ringtest");
    fleet->count = count;
    snprintf (fleet->keys, sizeof fleet->keys, "%s/%s", test_tmp, dir);
    char err [512] = "";
    assert_int_equal (ss_keys_generate (fleet, false, err, sizeof err), count + 2);
    return fleet;
}

static void
test_expected (void **state)
{
    (void) state;
    const char *yes [] = {
        "agent-0.key", "agent-0.key_secret", "agent-5.key", "agent-10.key_secret",
        "coordinator.key", "coordinator.key_secret", "operator.key",
        "operator.key_secret"
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes [0]; i++)
        assert_true (ss_keyring_expected (yes [i], 11));
    const char *no [] = {
        "agent-11.key", "agent-01.key", "agent-.key", "agent--1.key", "agent-1",
        "agent-1.keys", "agent-1.key.bak", "agent-1.key_secret.bak", "agent-1.key~",
        ".agent-1.key.swp", "Agent-1.key", "agent-1a.key", "agent- 1.key", ".key",
        "_secret", "coordinator", "coordinator.key.old", "coordinatorx.key",
        "operator.key_secret2", "key", "", "agent-1234567.key"
    };
    for (size_t i = 0; i < sizeof no / sizeof no [0]; i++) {
        if (ss_keyring_expected (no [i], 11))
            fprintf (stderr, "expected: '%s'\n", no [i]);
        assert_false (ss_keyring_expected (no [i], 11));
    }
    assert_true (ss_keyring_expected ("agent-99999.key", 100000));
    assert_false (ss_keyring_expected ("agent-100000.key", 100000));
    assert_false (ss_keyring_expected ("agent-0.key", 0));
}

static void
test_add (void **state)
{
    (void) state;
    ss_keyring_t *ring = ss_keyring_new ();
    assert_non_null (ring);
    uint8_t a [32], b [32], c [32];
    memset (a, 1, 32);
    memset (b, 2, 32);
    memset (c, 3, 32);
    char err [512] = "";
    assert_int_equal (ss_keyring_add (ring, "agent-0", a, "k/agent-0.key", err, sizeof err), 0);
    assert_int_equal (ss_keyring_add (ring, "agent-1", b, "k/agent-1.key", err, sizeof err), 0);
    //  The same key under another name: one line naming both files
    assert_int_equal (ss_keyring_add (ring, "agent-2", a, "k/agent-2.key", err, sizeof err), -1);
    assert_string_equal (err, "k/agent-2.key: same public key as k/agent-0.key");
    //  The same name twice
    assert_int_equal (ss_keyring_add (ring, "agent-1", c, "k/x.key", err, sizeof err), -1);
    assert_non_null (strstr (err, "k/agent-1.key"));
    //  Names: empty, too long
    assert_int_equal (ss_keyring_add (ring, "", c, NULL, err, sizeof err), -1);
    char lng [SS_KEYRING_NAME_MAX + 1];
    memset (lng, 'x', sizeof lng - 1);
    lng [sizeof lng - 1] = 0;
    assert_int_equal (ss_keyring_add (ring, lng, c, NULL, err, sizeof err), -1);

    assert_int_equal (ss_keyring_size (ring), 2);
    assert_string_equal (ss_keyring_name_at (ring, 0), "agent-0");
    assert_string_equal (ss_keyring_name_at (ring, 1), "agent-1");
    assert_null (ss_keyring_name_at (ring, 2));
    assert_string_equal (ss_keyring_name (ring, b), "agent-1");
    assert_null (ss_keyring_name (ring, c));
    assert_memory_equal (ss_keyring_key (ring, "agent-0"), a, 32);
    assert_null (ss_keyring_key (ring, "agent-2"));
    assert_string_equal (ss_keyring_source (ring, "agent-1"), "k/agent-1.key");
    assert_true (ss_keyring_has (ring, "agent-0"));
    assert_false (ss_keyring_has (ring, "operator"));
    assert_int_equal (ss_keyring_ignored_total (ring), 0);

    //  Grows past its first allocation
    for (int i = 0; i < 1000; i++) {
        uint8_t key [32] = { 9 };
        memcpy (key + 1, &i, sizeof i);
        char name [32];
        snprintf (name, sizeof name, "n-%d", i);
        assert_int_equal (ss_keyring_add (ring, name, key, NULL, err, sizeof err), 0);
    }
    assert_int_equal (ss_keyring_size (ring), 1002);
    assert_string_equal (ss_keyring_name (ring, b), "agent-1");
    ss_keyring_destroy (&ring);
    ss_keyring_destroy (&ring);
    assert_null (ring);
}

static void
test_load (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet ("load", 4);
    const char *keys = fleet->keys;
    //  Strays: a backup, a subdirectory copy, an agent beyond count, other files
    test_shell ("cp '%s/agent-1.key' '%s/agent-1.key.bak' && mkdir '%s/sub' "
             "&& cp '%s/agent-2.key' '%s/agent-2.key_secret' '%s/sub/' "
             "&& cp '%s/agent-3.key' '%s/agent-7.key' && echo hi > '%s/README'",
             keys, keys, keys, keys, keys, keys, keys, keys, keys);
    char err [512] = "";
    ss_keyring_t *ring = ss_keyring_load (fleet, err, sizeof err);
    if (!ring)
        fprintf (stderr, "%s\n", err);
    assert_non_null (ring);
    assert_int_equal (ss_keyring_size (ring), 6);
    const char *names [] = { "agent-0", "agent-1", "agent-2", "agent-3", "coordinator", "operator" };
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal (ss_keyring_name_at (ring, i), names [i]);
        zcert_t *cert = ss_keys_load_public (fleet, names [i], err, sizeof err);
        assert_non_null (cert);
        assert_string_equal (ss_keyring_name (ring, zcert_public_key (cert)), names [i]);
        zcert_destroy (&cert);
        char source [PATH_MAX + 32];
        snprintf (source, sizeof source, "%s/%s.key", keys, names [i]);
        assert_string_equal (ss_keyring_source (ring, names [i]), source);
    }
    assert_int_equal (ss_keyring_ignored_total (ring), 4);
    assert_int_equal (ss_keyring_ignored_count (ring), 4);
    const char *strays [] = { "agent-1.key.bak", "sub", "agent-7.key", "README" };
    for (size_t s = 0; s < 4; s++) {
        bool found = false;
        for (size_t i = 0; i < 4; i++)
            found |= streq (ss_keyring_ignored (ring, i), strays [s]);
        assert_true (found);
    }
    assert_null (ss_keyring_ignored (ring, 4));
    ss_keyring_destroy (&ring);

    //  More strays than are kept: all counted
    test_shell ("for i in $(seq 1 70); do touch '%s/junk-'$i; done", keys);
    ring = ss_keyring_load (fleet, err, sizeof err);
    assert_non_null (ring);
    assert_int_equal (ss_keyring_ignored_total (ring), 74);
    assert_int_equal (ss_keyring_ignored_count (ring), SS_KEYRING_IGNORED_KEPT);
    ss_keyring_destroy (&ring);

    //  operator.key is optional
    test_shell ("mv '%s/operator.key' '%s/operator.moved'", keys, keys);
    ring = ss_keyring_load (fleet, err, sizeof err);
    assert_non_null (ring);
    assert_false (ss_keyring_has (ring, "operator"));
    assert_int_equal (ss_keyring_size (ring), 5);
    ss_keyring_destroy (&ring);
    //  ... but not when it is there and broken
    test_shell ("echo garbage > '%s/operator.key'", keys);
    assert_null (ss_keyring_load (fleet, err, sizeof err));
    assert_non_null (strstr (err, "operator.key: not a CURVE certificate"));
    test_shell ("mv '%s/operator.moved' '%s/operator.key'", keys, keys);

    //  The coordinator's and every agent's key are required
    test_shell ("mv '%s/coordinator.key' '%s/coordinator.moved'", keys, keys);
    assert_null (ss_keyring_load (fleet, err, sizeof err));
    assert_non_null (strstr (err, "coordinator.key: cannot read"));
    test_shell ("mv '%s/coordinator.moved' '%s/coordinator.key'", keys, keys);
    test_shell ("mv '%s/agent-3.key' '%s/agent-3.moved'", keys, keys);
    assert_null (ss_keyring_load (fleet, err, sizeof err));
    assert_non_null (strstr (err, "agent-3.key: cannot read"));
    assert_null (strchr (err, '\n'));
    test_shell ("mv '%s/agent-3.moved' '%s/agent-3.key'", keys, keys);

    //  Duplicates among expected files: refused, naming both
    test_shell ("cp '%s/agent-0.key' '%s/coordinator.key'", keys, keys);
    assert_null (ss_keyring_load (fleet, err, sizeof err));
    char want [2 * PATH_MAX + 64];
    snprintf (want, sizeof want, "%s/coordinator.key: same public key as %s/agent-0.key",
              keys, keys);
    assert_string_equal (err, want);

    //  No directory, or a file where it should be
    snprintf (fleet->keys, sizeof fleet->keys, "%s/none", test_tmp);
    assert_null (ss_keyring_load (fleet, err, sizeof err));
    assert_non_null (strstr (err, "no key directory"));
    snprintf (fleet->keys, sizeof fleet->keys, "%s/load/README", test_tmp);
    assert_null (ss_keyring_load (fleet, err, sizeof err));
    assert_non_null (strstr (err, "no key directory"));
    free (fleet);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_expected),
        cmocka_unit_test (test_add),
        cmocka_unit_test (test_load),
    };
    int rc = cmocka_run_group_tests (tests, test_tmp_setup, test_tmp_teardown);
    zsys_shutdown ();
    return rc;
}
