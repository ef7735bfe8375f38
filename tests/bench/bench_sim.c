/*  bench_sim: the simulator's rounds per second (all agents, no scoring)
    for N = 50 and N = 1000 on the default model, and one exact scoring
    (lower-level solve + hypergradient), with the peak resident memory.
    Usage: bench_sim [seconds per case]
*/

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "ss_sim.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static ss_fleet_t *
s_fleet (int count)
{
    char path [] = "/tmp/ss_bench_XXXXXX";
    int fd = mkstemp (path);
    FILE *file = fdopen (fd, "w");
    fprintf (file, "fleet\n    name = bench\n    agents\n        count = %d\n", count);
    fclose (file);
    char err [512];
    ss_fleet_t *fleet = ss_fleet_load (path, NULL, 0, err, sizeof err);
    unlink (path);
    if (!fleet)
        fprintf (stderr, "bench_sim: %s\n", err);
    return fleet;
}

int
main (int argc, char **argv)
{
    double budget = argc > 1? atof (argv [1]): 2.0;
    printf ("sim, default model (K = 25, G = 1024), ring degree 4, %.1f s per case\n", budget);
    printf ("%6s %12s %14s %14s %12s\n", "N", "rounds/s", "agent-rounds/s", "score (ms)", "maxrss (MB)");
    const int sizes [] = { 50, 1000 };
    for (int c = 0; c < 2; c++) {
        ss_fleet_t *fleet = s_fleet (sizes [c]);
        char err [512];
        ss_sim_t *sim = ss_sim_new (fleet, false, err, sizeof err);
        if (!sim)
            return 1;
        long rounds = 0;
        double start = s_now (), now;
        do {
            ss_sim_step (sim);
            rounds++;
            now = s_now ();
        } while (now - start < budget);
        double rate = rounds / (now - start);
        ss_sim_score_t score;
        double t0 = s_now ();
        ss_sim_score (sim, &score);
        double scoring = s_now () - t0;
        struct rusage usage;
        getrusage (RUSAGE_SELF, &usage);
        printf ("%6d %12.1f %14.0f %14.2f %12.1f\n", sizes [c], rate,
                rate * sizes [c], scoring * 1e3, usage.ru_maxrss / 1024.0);
        ss_sim_destroy (&sim);
        ss_fleet_destroy (&fleet);
    }
    return 0;
}
