/*  test_progress: the progress line (ss_progress). The live line's text
    (round/rounds, J, disagreement, live agents, rounds/s, time left,
    deaths/restarts; never wider than the terminal) and, off a terminal,
    the periodic lines: one per multiple of the period, one for a sample
    that jumped over a multiple, one for the last round, in the format
    sim always printed. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ss_progress.h"

static void
test_live_line (void **state)
{
    (void) state;
    FILE *out = tmpfile ();
    ss_progress_t *p = ss_progress_new (out, "launch", 1000, 50, SS_PROGRESS_LIVE);
    assert_non_null (p);
    ss_progress_sample_t s = { .round = 100, .J = 0.5, .disagreement = 1e-3,
                               .live = 19, .agents = 20, .deaths = 1, .restarts = 0 };
    ss_progress_update (p, &s, false, 10.0);
    s.round = 300;
    char line [512];
    ss_progress_format (p, &s, 12.0, line, sizeof line, 0);
    //  200 rounds in 2 s: 100 rounds/s, 700 left: 7 s
    assert_string_equal (line, "launch: round 300/1000 (30%)  J 0.500000  disagreement "
                               "1.00e-03  agents 19/20  100.0 rounds/s  7 s left  deaths 1"
                               "  restarts 0");
    ss_progress_format (p, &s, 12.0, line, sizeof line, 40);
    assert_int_equal (strlen (line), 39);
    ss_progress_destroy (&p);
    //  The line is drawn in place: carriage return, erase, no newline until the end
    rewind (out);
    char buf [1024] = "";
    size_t got = fread (buf, 1, sizeof buf - 1, out);
    buf [got] = 0;
    assert_non_null (strstr (buf, "\r\033[Klaunch: round 100/1000"));
    assert_int_equal (buf [got - 1], '\n');
    fclose (out);
}

static void
test_periodic_lines (void **state)
{
    (void) state;
    FILE *out = tmpfile ();
    ss_progress_t *p = ss_progress_new (out, "sim", 100, 20, SS_PROGRESS_LINES);
    for (int64_t k = 0; k <= 100; k += 10) {
        if (k == 40 || k == 60)
            continue;               //  a reader that skipped rows: 50 stands in
        ss_progress_sample_t s = { .round = k, .J = 1.0 / (k + 1), .kl = 0.25,
                                   .disagreement = 0.5, .grad = 2, .step = 1e-3 };
        ss_progress_update (p, &s, k == 100, (double) k);
    }
    ss_progress_destroy (&p);
    rewind (out);
    char buf [4096] = "";
    buf [fread (buf, 1, sizeof buf - 1, out)] = 0;
    fclose (out);
    int lines = 0;
    for (char *c = buf; *c; c++)
        lines += *c == '\n';
    //  0, 20, 50 (for 40), 70 (for 60), 80, 100
    assert_int_equal (lines, 6);
    assert_non_null (strstr (buf, "sim: round 70/100"));
    assert_null (strstr (buf, "sim: round 90/100"));
    assert_non_null (strstr (buf, "sim: round 0/100  J 1.000000  kl 0.250000  disagreement "
                                  "5.00e-01  grad 2  step 1.00e-03\n"));
    assert_non_null (strstr (buf, "sim: round 50/100"));
    assert_null (strstr (buf, "sim: round 30/100"));
    assert_non_null (strstr (buf, "sim: round 100/100"));
    assert_null (strstr (buf, "\r"));
}

static void
test_note_keeps_line (void **state)
{
    (void) state;
    FILE *out = tmpfile ();
    ss_progress_t *p = ss_progress_new (out, "launch", 0, 10, SS_PROGRESS_LIVE);
    ss_progress_sample_t s = { .round = 5, .J = 1, .live = -1, .deaths = -1, .restarts = -1 };
    ss_progress_update (p, &s, false, 1.0);
    ss_progress_note (p, "agent %d died", 3);
    ss_progress_destroy (&p);
    rewind (out);
    char buf [2048] = "";
    buf [fread (buf, 1, sizeof buf - 1, out)] = 0;
    fclose (out);
    //  the note on its own line, the live line drawn again after it
    char *note = strstr (buf, "\r\033[Kagent 3 died\n");
    assert_non_null (note);
    assert_non_null (strstr (note, "\r\033[Klaunch: round 5  J"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_live_line),
        cmocka_unit_test (test_periodic_lines),
        cmocka_unit_test (test_note_keeps_line),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
