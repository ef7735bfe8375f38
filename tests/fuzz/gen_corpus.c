/*  gen_corpus: write seed frames for the fuzzers.

    Usage: gen_corpus DIR   (writes DIR/<name>/<name>-<n>.bin)
    A few valid frames per message type, from the library's own encoders:
    small, typical and boundary values. The header fuzzer gets all of them.
    Not built by CMake (its name is not fuzz_*.c); build it by hand, see
    README.md.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ss_proto.h"

static const char *s_dir;

static void
s_write (const char *name, int n, int rc, uint8_t *data, size_t size)
{
    if (rc != 0) {
        fprintf (stderr, "gen_corpus: %s-%d: %s\n", name, n, ss_proto_strerror (rc));
        exit (1);
    }
    const char *targets [] = { name, "header" };
    for (int t = 0; t < 2; t++) {
        char path [512];
        snprintf (path, sizeof path, "%s/%s", s_dir, targets [t]);
        if (mkdir (path, 0755) && errno != EEXIST) {
            perror (path);
            exit (1);
        }
        snprintf (path, sizeof path, "%s/%s/%s-%d.bin", s_dir, targets [t], name, n);
        FILE *file = fopen (path, "wb");
        if (!file || fwrite (data, 1, size, file) != size || fclose (file)) {
            perror (path);
            exit (1);
        }
    }
    free (data);
}

int
main (int argc, char *argv [])
{
    if (argc != 2) {
        fprintf (stderr, "usage: gen_corpus DIR\n");
        return 1;
    }
    s_dir = argv [1];
    if (mkdir (s_dir, 0755) && errno != EEXIST) {
        perror (s_dir);
        return 1;
    }
    uint8_t *data;
    size_t size;
    ss_header_t hdr = { .fleet = 0x0123456789abcdefULL, .epoch = 2,
                        .round = 1000, .sender = 7 };
    ss_header_t top = { .fleet = UINT64_MAX, .epoch = UINT64_MAX,
                        .round = UINT64_MAX, .sender = SS_PROTO_COORDINATOR };

    for (int n = 0; n < 3; n++) {
        static ss_estimate_t est;
        memset (&est, 0, sizeof est);
        est.hdr = n == 2? top: hdr;
        est.degree = (uint32_t) n * 3;
        est.k = n == 0? 1: n == 1? 25: 64;
        for (uint32_t i = 0; i < est.k; i++) {
            est.theta [i] = n == 2? (i % 2? 1e6: -1e6): 0.1 * i - 1;
            est.s [i] = 1.0 / (i + 1);
        }
        s_write ("estimate", n, ss_estimate_encode (&est, &data, &size), data, size);
    }
    for (int n = 0; n < 2; n++) {
        ss_heartbeat_t hb = { .hdr = n? top: hdr, .degree = 4, .state = (uint32_t) n };
        s_write ("heartbeat", n, ss_heartbeat_encode (&hb, &data, &size), data, size);
    }
    for (int n = 0; n < 3; n++) {
        static ss_report_t rep;
        memset (&rep, 0, sizeof rep);
        rep.hdr = n == 2? top: hdr;
        rep.dim = (uint32_t) n + 1;
        for (uint32_t i = 0; i < rep.dim; i++) {
            rep.x [i] = 0.25 + 0.1 * i;
            rep.x0 [i] = 0.5;
        }
        rep.step = 0.01 * n;
        rep.k = n == 0? 1: 9;
        for (uint32_t i = 0; i < rep.k; i++)
            rep.theta [i] = rep.s [i] = 0.5 * i;
        rep.n_counters = n == 0? 0: n == 1? 3: SS_PROTO_MAX_COUNTERS;
        for (uint32_t i = 0; i < rep.n_counters; i++)
            rep.counters [i] = n == 2? UINT64_MAX: i * 1000;
        s_write ("report", n, ss_report_encode (&rep, &data, &size), data, size);
    }
    for (int n = 0; n < 3; n++) {
        ss_target_t tgt;
        memset (&tgt, 0, sizeof tgt);
        tgt.hdr = n == 2? top: hdr;
        tgt.switch_round = 5000;
        tgt.dim = (uint32_t) n + 1;
        tgt.mixture.count = n == 0? 1: n == 1? 2: SS_MAX_COMPONENTS;
        for (int i = 0; i < tgt.mixture.count; i++) {
            tgt.mixture.comp [i].weight = 1.0 / tgt.mixture.count;
            tgt.mixture.comp [i].std = 0.1;
            for (uint32_t j = 0; j < tgt.dim; j++)
                tgt.mixture.comp [i].mean [j] = 0.05 * (i + j);
        }
        s_write ("target", n, ss_target_encode (&tgt, &data, &size), data, size);
    }
    for (int n = 0; n < 2; n++) {
        ss_control_t ctl = { .hdr = n? top: hdr, .command = SS_CONTROL_STOP,
                             .arg = n? UINT64_MAX: 2000 };
        s_write ("control", n, ss_control_encode (&ctl, &data, &size), data, size);
    }
    return 0;
}
