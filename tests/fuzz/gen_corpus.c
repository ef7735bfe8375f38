/*  gen_corpus: write seed frames (protocol version 2) for the fuzzers.

    Usage: gen_corpus DIR   (writes DIR/<name>/<name>-<n>.bin)
    A few valid frames per message type, from the library's own encoders:
    small, typical and boundary values (masses 0, 1, 2^63, 2^64-1; every
    heartbeat state, want 0 and set; targets with a mixture, a grid, both,
    the largest grid). The header and msg fuzzers get all of them.
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
s_mkdir (const char *path)
{
    if (mkdir (path, 0755) && errno != EEXIST) {
        perror (path);
        exit (1);
    }
}

//  Write one frame (the encoder's code rc, data freed here) as seed n of
//  `name`, and of the header and msg fuzzers
static void
s_write (const char *name, int n, int rc, uint8_t *data, size_t size)
{
    if (rc != 0) {
        fprintf (stderr, "gen_corpus: %s-%d: %s\n", name, n, ss_proto_strerror (rc));
        exit (1);
    }
    //  Every seed decodes, as the type its name says
    static const char *names [] = { NULL, "estimate", "heartbeat", "report",
                                    "target", "control" };
    static ss_msg_t msg;
    rc = ss_msg_decode (data, size, &msg);
    if (rc != 0 || strcmp (names [msg.hdr.type], name) != 0) {
        fprintf (stderr, "gen_corpus: %s-%d does not decode as a %s: %s\n",
                 name, n, name, ss_proto_strerror (rc));
        exit (1);
    }
    const char *targets [] = { name, "header", "msg" };
    for (int t = 0; t < 3; t++) {
        char path [512];
        snprintf (path, sizeof path, "%s/%s", s_dir, targets [t]);
        s_mkdir (path);
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
    s_mkdir (s_dir);
    //  The encoder runs first, then s_write reads data and size: as
    //  arguments of one call, their order of evaluation is unspecified
    uint8_t *data = NULL;
    size_t size = 0;
    int rc;
    ss_header_t hdr = { .fleet = 0x0123456789abcdefULL, .epoch = 2,
                        .round = 1000, .sender = 7 };
    ss_header_t top = { .fleet = UINT64_MAX, .epoch = UINT64_MAX,
                        .round = UINT64_MAX, .sender = SS_PROTO_COORDINATOR };

    static const uint64_t masses [] = { 0, 1, 1ULL << 63, UINT64_MAX, 4503599627370496ULL };
    for (int n = 0; n < 3; n++) {
        static ss_estimate_t est;
        memset (&est, 0, sizeof est);
        est.hdr = n == 2? top: hdr;
        est.degree = (uint32_t) n * 3;
        est.k = n == 0? 1: n == 1? 25: 64;
        for (uint32_t i = 0; i < est.k; i++) {
            est.theta [i] = n == 2? (i % 2? 1e6: -1e6): 0.1 * i - 1;
            est.mass [i] = n == 0? 1: masses [i % 5] + i;
        }
        rc = ss_estimate_encode (&est, &data, &size);
        s_write ("estimate", n, rc, data, size);
    }
    for (int n = 0; n < 4; n++) {
        ss_heartbeat_t hb = { .hdr = n == 3? top: hdr, .degree = 4,
                              .state = (uint32_t) n,
                              .want = n == 2? 1000: n == 3? UINT64_MAX: 0 };
        rc = ss_heartbeat_encode (&hb, &data, &size);
        s_write ("heartbeat", n, rc, data, size);
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
        rc = ss_report_encode (&rep, &data, &size);
        s_write ("report", n, rc, data, size);
    }
    //  Targets: 0 a mixture of 1 (1-D), 1 a mixture of 2 and a grid of
    //  16x16 (2-D), 2 a grid of 8x8x8 only (3-D), 3 every component and the
    //  largest grid
    for (int n = 0; n < 4; n++) {
        static ss_target_t tgt;
        memset (&tgt, 0, sizeof tgt);
        tgt.hdr = n >= 2? top: hdr;
        tgt.switch_round = 5000;
        tgt.dim = n == 3? SS_MAX_DIM: (uint32_t) n + 1;
        tgt.mixture.count = n == 0? 1: n == 1? 2: n == 2? 0: SS_MAX_COMPONENTS;
        for (int i = 0; i < tgt.mixture.count; i++) {
            tgt.mixture.comp [i].weight = 1.0 / tgt.mixture.count;
            tgt.mixture.comp [i].std = 0.1;
            for (uint32_t j = 0; j < tgt.dim; j++)
                tgt.mixture.comp [i].mean [j] = 0.05 * (i + j);
        }
        tgt.mixture.cells = n == 0? 0: n == 1? 256: n == 2? 512: SS_PROTO_MAX_GRID;
        for (int g = 0; g < tgt.mixture.cells; g++)
            tgt.mixture.level [g] = (uint8_t) ((g * 37) ^ (g >> 4));
        rc = ss_target_encode (&tgt, &data, &size);
        s_write ("target", n, rc, data, size);
    }
    for (int n = 0; n < 3; n++) {
        ss_control_t ctl = { .hdr = n == 1? top: hdr,
                             .command = n == 2? SS_CONTROL_STATUS: SS_CONTROL_STOP,
                             .arg = n == 1? UINT64_MAX: 2000 };
        rc = ss_control_encode (&ctl, &data, &size);
        s_write ("control", n, rc, data, size);
    }
    return 0;
}
