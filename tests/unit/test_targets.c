/*  targets: switch rounds (highest + margin, later when asked, always after
    the previous one), refusals, which are in force at a round, targets.txt
    written and read back (mixtures and grids; an older line without the
    grid field). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ss_testutil.h"
#include "ss_targets.h"

static void
test_announce (void **state)
{
    (void) state;
    ss_model_t model;
    ss_model_defaults (&model);
    ss_targets_t *self = ss_targets_new (&model);
    ss_mixture_t mix;
    memset (&mix, 0, sizeof mix);
    ss_mixture_defaults (&mix, 2, 0, 1);
    const char *why;
    assert_int_equal (ss_targets_announce (self, &mix, 0, 120, 50, &why), 170);
    assert_int_equal (ss_targets_announce (self, &mix, 900, 120, 50, &why), 900);    //  asked later
    assert_int_equal (ss_targets_announce (self, &mix, 0, 120, 50, &why), 901);      //  after the last
    assert_int_equal (ss_targets_count (self), 3);
    assert_int_equal (ss_targets_in_force (self, 170), 0);
    assert_int_equal (ss_targets_in_force (self, 171), 1);
    assert_int_equal (ss_targets_in_force (self, 902), 3);
    mix.comp [0].std = -1;
    assert_int_equal (ss_targets_announce (self, &mix, 0, 120, 50, &why), -1);
    assert_non_null (why);
    ss_targets_destroy (&self);
}

static void
test_file (void **state)
{
    (void) state;
    ss_model_t model;
    ss_model_defaults (&model);
    model.nq = 4;
    ss_targets_t *self = ss_targets_new (&model);
    ss_mixture_t *mix = calloc (1, sizeof *mix);
    ss_mixture_defaults (mix, 2, 0, 1);
    const char *why;
    assert_true (ss_targets_announce (self, mix, 0, 10, 50, &why) == 60);
    memset (mix, 0, sizeof *mix);
    mix->cells = 16;
    for (int g = 0; g < 16; g++)
        mix->level [g] = (uint8_t) (g * 17);
    assert_true (ss_targets_announce (self, mix, 0, 10, 50, &why) == 61);
    char *text = ss_targets_text (self, 2);
    assert_non_null (text);
    char path [] = "/tmp/test_targets_XXXXXX";
    int fd = mkstemp (path);
    FILE *file = fdopen (fd, "w");
    fputs (text, file);
    fputs ("900 1 0.5 0.5 0.5 0.1\n", file);       //  an older line: no grid field
    fclose (file);
    ss_targets_t *again = ss_targets_new (&model);
    assert_int_equal (ss_targets_load (again, path, 2), 3);
    const ss_target_entry_t *t = ss_targets_get (again, 1);
    assert_int_equal (t->switch_round, 61);
    assert_int_equal (t->mixture.cells, 16);
    assert_int_equal (t->mixture.level [15], 255);
    assert_true (ss_targets_get (again, 0)->mixture.comp [1].mean [0]
              == ss_targets_get (self, 0)->mixture.comp [1].mean [0]);
    assert_int_equal (ss_targets_get (again, 2)->mixture.count, 1);
    unlink (path);
    free (text);
    free (mix);
    ss_targets_destroy (&again);
    ss_targets_destroy (&self);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_announce),
        cmocka_unit_test (test_file),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
