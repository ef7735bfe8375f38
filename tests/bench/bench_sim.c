/*  bench_sim: the simulator's agent-rounds per second (all agents, ring of
    degree 4, no scoring), in one run:
    1. the dense path (the original arithmetic) against the tensor path,
       N = 1000, on the default model and on d = 3, m = 4, n_q = 16;
    2. the tensor path at N = 1000, 10000, 100000 on the default model,
       with one exact scoring (lower-level solve + hypergradient) and the
       peak resident memory, to see it grow linearly in N.
    Each case runs in a child process of its own, so that maxrss is that
    case's. Prints figures; asserts nothing.
    Usage: bench_sim [seconds per case] [largest N]
*/

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ss_sim.h"

//  CPU time of this process: on a shared, loaded machine it counts only the
//  time this process ran, which wall-clock time does not
static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static ss_fleet_t *
s_fleet (int count, int d, int m, int nq, char *err, size_t err_size)
{
    char path [] = "/tmp/ss_bench_XXXXXX";
    int fd = mkstemp (path);
    FILE *file = fdopen (fd, "w");
    fprintf (file, "fleet\n    name = bench\n    agents\n        count = %d\n"
                   "    model\n        dim = %d\n        m = %d\n        nq = %d\n",
             count, d, m, nq);
    fclose (file);
    ss_fleet_t *fleet = ss_fleet_load (path, NULL, 0, err, err_size);
    unlink (path);
    return fleet;
}

typedef struct {
    int n, d, m, nq;
    ss_path_t path;
    bool score;
} s_case_t;

//  Runs in the child: prints one line
static int
s_run (const s_case_t *c, double budget)
{
    char err [512];
    ss_fleet_t *fleet = s_fleet (c->n, c->d, c->m, c->nq, err, sizeof err);
    if (!fleet) {
        printf ("%6d  %-6s  refused: %s\n", c->n, c->path == SS_PATH_DENSE? "dense": "tensor", err);
        return 1;
    }
    double t0 = s_now ();
    ss_sim_t *sim = ss_sim_new (fleet, false, err, sizeof err);
    if (!sim) {
        printf ("%6d  sim: %s\n", c->n, err);
        return 1;
    }
    //  The problem belongs to the sim; the bench switches its path
    if (ss_problem_set_path ((ss_problem_t *) ss_sim_problem (sim), c->path))
        return 1;
    double setup = s_now () - t0;
    long rounds = 0;
    double start = s_now (), now;
    do {
        ss_sim_step (sim);
        rounds++;
        now = s_now ();
    } while (now - start < budget || rounds < 2);
    double rate = rounds / (now - start);
    double scoring = 0;
    if (c->score) {
        ss_sim_score_t score;
        t0 = s_now ();
        ss_sim_score (sim, &score);
        scoring = s_now () - t0;
    }
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    printf ("%6d  %-6s %2d %2d %3d  %9.3f %14.0f %10.2f %10.2f %11.1f %9.2f\n",
            c->n, c->path == SS_PATH_DENSE? "dense": "tensor", c->d, c->m, c->nq,
            rate, rate * c->n, setup, scoring * 1e3, usage.ru_maxrss / 1024.0,
            usage.ru_maxrss / 1024.0 * 1e3 / c->n);
    fflush (stdout);
    ss_sim_destroy (&sim);
    ss_fleet_destroy (&fleet);
    return 0;
}

static void
s_case (const s_case_t *c, double budget)
{
    fflush (stdout);
    pid_t pid = fork ();
    if (pid == 0) {
        int rc = s_run (c, budget);
        fflush (stdout);
        _exit (rc);
    }
    int status;
    waitpid (pid, &status, 0);
}

static void
s_header (void)
{
    printf ("%6s  %-6s %2s %2s %3s  %9s %14s %10s %10s %11s %9s\n", "N", "path",
            "d", "m", "nq", "rounds/s", "agent-rounds/s", "setup (s)", "score (ms)",
            "maxrss (MB)", "kB/agent");
}

int
main (int argc, char **argv)
{
    double budget = argc > 1? atof (argv [1]): 2.0;
    int largest = argc > 2? atoi (argv [2]): 100000;
    printf ("sim, ring of degree 4, %.1f s of CPU time per case (at least 2 rounds)\n\n", budget);
    printf ("1. dense path against tensor path, N = 1000\n");
    s_header ();
    const int models [][3] = { { 2, 5, 32 }, { 3, 4, 16 } };
    for (int mdl = 0; mdl < 2; mdl++)
        for (int path = SS_PATH_DENSE; path >= SS_PATH_TENSOR; path--) {
            s_case_t c = { 1000, models [mdl][0], models [mdl][1], models [mdl][2],
                           (ss_path_t) path, false };
            s_case (&c, budget);
        }
    printf ("\n2. tensor path, default model, growing N\n");
    s_header ();
    for (int n = 1000; n <= largest; n *= 10) {
        s_case_t c = { n, 2, 5, 32, SS_PATH_TENSOR, true };
        s_case (&c, budget);
    }
    return 0;
}
