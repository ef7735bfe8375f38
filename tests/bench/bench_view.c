/*  bench_view: what the live page costs the coordinator at fleet sizes.
    For N agents (2-D, the default model) it fills a view with 10000 rows
    (the trace thinned to at most SS_VIEW_TRACE points), then times the
    reactor's side, ss_view_row and ss_view_run (each under the lock the
    HTTP thread takes), and the HTTP thread's, ss_view_metrics and
    ss_view_json (rendering, of which the part under the lock is the copy
    into text or a jansson tree), and prints the sizes served. Prints
    figures; asserts nothing. Last, the reactor's wait: the longest
    ss_view_row + ss_view_run while another thread renders /state.json and
    /metrics without pause (the lock is held only to copy the snapshot).
    Usage: bench_view [N...]   (default 20 500 5000)
*/

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <czmq.h>
#include "ss_members.h"
#include "ss_view.h"

#define S_ROWS 10000

static double
s_now (void)
{
    return zclock_usecs () * 1e-6;
}

typedef struct {
    ss_view_t *view;
    volatile bool stop;
    int renders;
} s_renderer_t;

static void *
s_render (void *arg)
{
    s_renderer_t *r = (s_renderer_t *) arg;
    while (!r->stop) {
        free (ss_view_json (r->view, 100.0));
        free (ss_view_metrics (r->view, 100.0));
        r->renders++;
    }
    return NULL;
}

static void
s_bench (int n)
{
    ss_model_t model;
    ss_model_defaults (&model);
    ss_mixture_t target;
    ss_mixture_defaults (&target, model.dim, model.lo, model.hi);
    ss_problem_t *P = ss_problem_new (&model, &target);
    double *x = malloc ((size_t) n * 2 * sizeof (double));
    for (int i = 0; i < 2 * n; i++)
        x [i] = (i % 97) / 97.0;
    ss_members_t *members = ss_members_new (n, 2, x, 5000, 5000, 0);
    static const char *const reasons [] = { "undecodable frame", "wrong fleet id" };
    ss_view_t *view = ss_view_new ("bench", &model, n, 0, reasons, 2);
    uint64_t drops [2] = { 0, 0 };
    ss_view_run_t run = { .highest = S_ROWS * 10, .final_round = -1, .drops = drops };
    double t0 = s_now ();
    for (int r = 0; r < S_ROWS; r++) {
        ss_view_row_t row = { .round = 10 * r, .agents = n, .x = x,
                              .score = { .J = 1.0 / (r + 1) }, .seconds = r * 0.01 };
        ss_view_row (view, &row, P, r * 0.01);
    }
    double t1 = s_now ();
    int runs = 200;
    for (int k = 0; k < runs; k++)
        ss_view_run (view, members, &run, 1000);
    double t2 = s_now ();
    int renders = 20;
    size_t metrics_size = 0, json_size = 0;
    for (int k = 0; k < renders; k++) {
        char *text = ss_view_metrics (view, 100.0);
        metrics_size = strlen (text);
        free (text);
    }
    double t3 = s_now ();
    for (int k = 0; k < renders; k++) {
        char *text = ss_view_json (view, 100.0);
        json_size = strlen (text);
        free (text);
    }
    double t4 = s_now ();
    printf ("%6d agents: ss_view_row %7.1f us, ss_view_run %7.1f us; /metrics %8.1f us "
            "(%zu bytes), /state.json %8.1f us (%zu bytes)\n", n,
            (t1 - t0) / S_ROWS * 1e6, (t2 - t1) / runs * 1e6, (t3 - t2) / renders * 1e6,
            metrics_size, (t4 - t3) / renders * 1e6, json_size);
    s_renderer_t renderer = { .view = view };
    pthread_t thread;
    pthread_create (&thread, NULL, s_render, &renderer);
    double longest = 0, sum = 0;
    int updates = 0;
    double until = s_now () + 1.0;
    while (s_now () < until) {
        ss_view_row_t row = { .round = 10 * (S_ROWS + updates), .agents = n, .x = x,
                              .score = { .J = 0.5 } };
        double a = s_now ();
        ss_view_row (view, &row, P, 100.0);
        ss_view_run (view, members, &run, 1000);
        double took = s_now () - a;
        longest = took > longest? took: longest;
        sum += took;
        updates++;
        zclock_sleep (1);
    }
    renderer.stop = true;
    pthread_join (thread, NULL);
    printf ("%6d agents: while renders run (%d in 1 s): row + run updates %.1f us on "
            "average, %.1f us at the longest (%d updates)\n", n, renderer.renders,
            sum / updates * 1e6, longest * 1e6, updates);
    ss_view_destroy (&view);
    ss_members_destroy (&members);
    ss_problem_destroy (&P);
    free (x);
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        s_bench (20);
        s_bench (500);
        s_bench (5000);
    }
    for (int a = 1; a < argc; a++)
        s_bench (atoi (argv [a]));
    return 0;
}
