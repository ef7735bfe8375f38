/*  bench_keys: what the key ring and the ZAP handler cost at fleet sizes.
    For N agents it generates a key directory (not timed), then times
    ss_keyring_load (every agent loads the whole ring at start, to refuse
    duplicates across the fleet), ss_zap_new (the handler's copy) and
    ss_zap_answer per request. Prints figures; asserts nothing.
    Usage: bench_keys [N...]   (default 100 1000 10000)
*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ss_keys.h"
#include "ss_keyring.h"
#include "ss_zap.h"

static double
s_now (void)
{
    return zclock_usecs () * 1e-6;
}

static void
s_bench (int n)
{
    char dir [] = "/tmp/bench_keys.XXXXXX";
    if (!mkdtemp (dir))
        return;
    ss_fleet_t *fleet = calloc (1, sizeof (ss_fleet_t));
    snprintf (fleet->name, sizeof fleet->name, "bench");
    fleet->count = n;
    snprintf (fleet->keys, sizeof fleet->keys, "%s/keys", dir);
    char err [512];
    if (ss_keys_generate (fleet, false, err, sizeof err) < 0) {
        fprintf (stderr, "bench_keys: %s\n", err);
        return;
    }
    double t0 = s_now ();
    ss_keyring_t *ring = ss_keyring_load (fleet, err, sizeof err);
    double t1 = s_now ();
    if (!ring) {
        fprintf (stderr, "bench_keys: %s\n", err);
        return;
    }
    ss_zap_t *zap = ss_zap_new (ring, "agent-1", "operator", NULL);
    double t2 = s_now ();
    //  Requests: an admitted key, a key not admitted, an unknown key
    const uint8_t *keys [3] = { ss_keyring_key (ring, "agent-1"),
                                ss_keyring_key (ring, "agent-0"), NULL };
    uint8_t stranger [32];
    memset (stranger, 0x5a, 32);
    keys [2] = stranger;
    zmsg_t *requests [3];
    for (int r = 0; r < 3; r++) {
        requests [r] = zmsg_new ();
        zmsg_addstr (requests [r], "1.0");
        zmsg_addstr (requests [r], "1");
        zmsg_addstr (requests [r], "");
        zmsg_addstr (requests [r], "127.0.0.1");
        zmsg_addstr (requests [r], "");
        zmsg_addstr (requests [r], "CURVE");
        zmsg_addmem (requests [r], keys [r], 32);
    }
    long calls = 0;
    double t3 = s_now (), t4;
    do {
        for (int i = 0; i < 1000; i++) {
            zmsg_t *reply = ss_zap_answer (zap, requests [i % 3], NULL);
            zmsg_destroy (&reply);
        }
        calls += 1000;
    } while ((t4 = s_now ()) - t3 < 0.5);
    printf ("N %6d: ring load %8.2f ms (%5.1f us a key file), handler copy %7.2f ms, "
            "answer %5.2f us a request\n", n, 1e3 * (t1 - t0), 1e6 * (t1 - t0) / (n + 2),
            1e3 * (t2 - t1), 1e6 * (t4 - t3) / calls);
    for (int r = 0; r < 3; r++)
        zmsg_destroy (&requests [r]);
    ss_zap_destroy (&zap);
    ss_keyring_destroy (&ring);
    free (fleet);
    char cmd [64];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "bench_keys: cannot remove %s\n", dir);
}

int
main (int argc, char **argv)
{
    int defaults [] = { 100, 1000, 10000 };
    if (argc > 1)
        for (int i = 1; i < argc; i++)
            s_bench (atoi (argv [i]));
    else
        for (int i = 0; i < 3; i++)
            s_bench (defaults [i]);
    zsys_shutdown ();
    return 0;
}
