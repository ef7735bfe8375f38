/*  fuzz_checkpoint: libFuzzer target for ss_checkpoint_parse.

    Any input must parse to a checkpoint or a parse code (never a file or
    check code). A parsed checkpoint must re-encode to exactly the input
    bytes (the format is canonical; the encoder writes version 3, so a
    version 1 or 2 input is compared with that encoding cut back to its
    version: no target bytes (1) or no cells field (2), version and length
    fields of that version, rehashed), hold a valid target (count
    0..SS_MAX_COMPONENTS, cells 0..SS_MAX_GRID with a level above 0, none
    but in version 3, round 0 without a target) and pass or fail
    ss_checkpoint_check with a valid code; otherwise abort ().

    The checksum stops almost every mutated input at ECHECKSUM, so each
    input is parsed twice: as it is, and with its last 32 bytes replaced
    by the right checksum of the rest. The second pass lets the fuzzer
    reach the length, dimension and value checks behind the checksum.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "ss_checkpoint.h"

static void
s_parse_one (const uint8_t *data, size_t size)
{
    static ss_checkpoint_t cp;
    int rc = ss_checkpoint_parse (data, size, &cp);
    if (rc > 0 || rc < SS_CHECKPOINT_ERANGE
    ||  rc == SS_CHECKPOINT_ENOENT || rc == SS_CHECKPOINT_EIO
    ||  ss_checkpoint_strerror (rc) == NULL)
        abort ();
    if (rc != 0)
        return;
    if (cp.dim < 1 || cp.dim > SS_MAX_DIM || cp.k < 1 || cp.k > SS_MAX_K)
        abort ();

    const ss_mixture_t *t = &cp.target;
    if (t->count < 0 || t->count > SS_MAX_COMPONENTS
    ||  t->cells < 0 || t->cells > SS_MAX_GRID
    ||  (t->cells > 0 && data [8] < 3)
    ||  (t->count == 0 && t->cells == 0 && cp.target_round != 0))
        abort ();
    if (t->cells > 0) {
        int g = 0;
        while (g < t->cells && t->level [g] == 0)
            g++;
        if (g == t->cells)
            abort ();
    }

    static uint8_t again [SS_CHECKPOINT_MAX_SIZE];
    long n = ss_checkpoint_encode (&cp, again, sizeof again);
    if (n < 0 || (size_t) n != SS_CHECKPOINT_SIZE_G (cp.dim, cp.k, t->count, t->cells))
        abort ();
    size_t old = 0;
    if (data [8] == 1) {
        //  Version 1: no target, the same bytes up to s
        old = SS_CHECKPOINT_SIZE_V1 (cp.dim, cp.k);
        if (t->count != 0 || (size_t) n != old + 16)
            abort ();
    }
    else
    if (data [8] == 2) {
        //  Version 2: no cells field before the target's round
        old = SS_CHECKPOINT_SIZE_V2 (cp.dim, cp.k, t->count);
        if ((size_t) n != old + 4)
            abort ();
        size_t cells = SS_CHECKPOINT_SIZE_V1 (cp.dim, cp.k) - SS_CHECKPOINT_HASH + 4
                     + 8 * (size_t) t->count * (cp.dim + 2);
        memmove (again + cells, again + cells + 4, (size_t) n - cells - 4);
    }
    if (old) {
        again [8] = data [8];
        for (int i = 0; i < 4; i++)
            again [12 + i] = (uint8_t) (old >> (8 * i));
        crypto_generichash (again + old - SS_CHECKPOINT_HASH, SS_CHECKPOINT_HASH,
                            again, old - SS_CHECKPOINT_HASH, NULL, 0);
        n = (long) old;
    }
    if ((size_t) n != size || memcmp (again, data, size) != 0)
        abort ();

    //  Fixed expectations: the checkpoint's own, then a foreign fleet
    rc = ss_checkpoint_check (&cp, cp.fleet, cp.agent, cp.dim, cp.k, -1e6, 1e6);
    if (rc != 0)
        abort ();
    rc = ss_checkpoint_check (&cp, 0x0123456789abcdefULL, 3, 2, 25, 0.0, 1.0);
    if (rc > 0 || rc < SS_CHECKPOINT_ELAST || rc == SS_CHECKPOINT_ENOENT
    ||  rc == SS_CHECKPOINT_EIO)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_parse_one (data, size);
    if (size >= SS_CHECKPOINT_HASH && size <= SS_CHECKPOINT_MAX_SIZE + 1) {
        //  Exactly size bytes, so that ASan sees any read past the end
        uint8_t *fixed = malloc (size);
        if (!fixed)
            abort ();
        memcpy (fixed, data, size);
        crypto_generichash (fixed + size - SS_CHECKPOINT_HASH, SS_CHECKPOINT_HASH,
                            fixed, size - SS_CHECKPOINT_HASH, NULL, 0);
        s_parse_one (fixed, size);
        free (fixed);
    }
    return 0;
}
