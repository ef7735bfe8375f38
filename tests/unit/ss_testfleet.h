/*  Write a fleet file into a temporary directory and load it. */
#ifndef SS_TESTFLEET_H
#define SS_TESTFLEET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ss_fleet.h"

//  Load a fleet from ZPL text (with overrides); the file is removed again
static inline ss_fleet_t *
test_fleet (const char *zpl, const char **sets, int n_sets)
{
    char path [] = "/tmp/ss_testfleet_XXXXXX";
    int fd = mkstemp (path);
    if (fd < 0)
        return NULL;
    FILE *file = fdopen (fd, "w");
    fputs (zpl, file);
    fclose (file);
    char err [1024] = "";
    ss_fleet_t *fleet = ss_fleet_load (path, sets, n_sets, err, sizeof err);
    if (!fleet)
        fprintf (stderr, "test_fleet: %s\n", err);
    unlink (path);
    return fleet;
}

#endif
