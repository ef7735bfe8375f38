/*  test_checkpoint: the agent's checkpoint file, written and read back,
    damaged every way we can think of, and checked against its fleet;
    versions 1 and 2 read, version 3 (the grid of an image target)
    written.

    Damaged files that must fail for a reason other than the checksum
    (wrong version, bad dims, NaN...) are built by changing the bytes and
    then recomputing the checksum (s_rehash), so each rejection is checked
    for its exact reason code. Files live in a fresh directory under
    $TMPDIR (or /tmp), removed at the end.
*/
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "ss_checkpoint.h"

#define FLEET 0x0123456789abcdefULL
#define AGENT 7

//  --------------------------------------------------------------------------
//  Helpers

static uint64_t
s_next (uint64_t *state)
{
    //  splitmix64
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double
s_uniform (uint64_t *state)
{
    return (double) (s_next (state) >> 11) * 0x1.0p-53;
}

//  A value of every kind a state can hold: ordinary, tiny, subnormal,
//  signed zeros, and the largest allowed magnitude
static double
s_value (uint64_t *state)
{
    switch (s_next (state) % 8) {
        case 0:  return -0.0;
        case 1:  return 4.9e-324;
        case 2:  return -SS_CHECKPOINT_MAX_MAGNITUDE;
        case 3:  return 1e-300 * s_uniform (state);
        default: return (s_uniform (state) - 0.5) * 2000.0;
    }
}

static ss_checkpoint_t *
s_sample (uint32_t dim, uint32_t k, uint64_t seed)
{
    ss_checkpoint_t *cp = calloc (1, sizeof *cp);
    assert_non_null (cp);
    uint64_t state = seed;
    cp->fleet = FLEET;
    cp->agent = AGENT;
    cp->dim = dim;
    cp->k = k;
    cp->round = 123456789;
    cp->epoch = 0xfedcba9876543210ULL;
    cp->targets = 3;
    for (uint32_t i = 0; i < dim; i++) {
        cp->x [i] = s_uniform (&state);
        cp->x0 [i] = s_uniform (&state);
    }
    for (uint32_t i = 0; i < k; i++) {
        cp->theta [i] = s_value (&state);
        cp->s [i] = s_value (&state);
    }
    return cp;
}

//  Give cp a target of n components (valid: weights and stds > 0, means
//  in [0, 1]), applied at a round before cp's
static void
s_add_target (ss_checkpoint_t *cp, int n, uint64_t seed)
{
    uint64_t state = seed;
    cp->target.count = n;
    for (int c = 0; c < n; c++) {
        ss_component_t *comp = &cp->target.comp [c];
        comp->weight = 0.01 + s_uniform (&state);
        for (uint32_t i = 0; i < cp->dim; i++)
            comp->mean [i] = s_uniform (&state);
        comp->std = 1e-3 + s_uniform (&state) / 3;
    }
    cp->target_round = n > 0? (uint64_t) cp->round - 17: 0;
}

//  Give cp a grid of cells levels (some above 0), applied before cp's round
static void
s_add_grid (ss_checkpoint_t *cp, int cells, uint64_t seed)
{
    uint64_t state = seed;
    cp->target.cells = cells;
    for (int g = 0; g < cells; g++)
        cp->target.level [g] = (uint8_t) (s_next (&state) % 3 == 0? 0: s_next (&state));
    if (cells > 0)
        cp->target.level [cells / 2] = 200;
    cp->target_round = (uint64_t) cp->round - 5;
}

//  Same target, bit for bit (means up to dim, levels up to cells)
static bool
s_same_target (const ss_checkpoint_t *a, const ss_checkpoint_t *b)
{
    if (a->target.count != b->target.count || a->target_round != b->target_round
    ||  a->target.cells != b->target.cells
    ||  memcmp (a->target.level, b->target.level, (size_t) a->target.cells) != 0)
        return false;
    for (int c = 0; c < a->target.count; c++) {
        const ss_component_t *p = &a->target.comp [c], *q = &b->target.comp [c];
        if (memcmp (&p->weight, &q->weight, sizeof (double)) != 0
        ||  memcmp (p->mean, q->mean, a->dim * sizeof (double)) != 0
        ||  memcmp (&p->std, &q->std, sizeof (double)) != 0)
            return false;
    }
    return true;
}

//  Equal bit for bit on every field that counts
static bool
s_same (const ss_checkpoint_t *a, const ss_checkpoint_t *b)
{
    return a->fleet == b->fleet && a->agent == b->agent && a->dim == b->dim
        && a->k == b->k && a->round == b->round && a->epoch == b->epoch
        && a->targets == b->targets
        && memcmp (a->x, b->x, a->dim * sizeof (double)) == 0
        && memcmp (a->x0, b->x0, a->dim * sizeof (double)) == 0
        && memcmp (a->theta, b->theta, a->k * sizeof (double)) == 0
        && memcmp (a->s, b->s, a->k * sizeof (double)) == 0
        && s_same_target (a, b);
}

//  Encode into a fresh buffer of exactly the file's size
static uint8_t *
s_encode (const ss_checkpoint_t *cp, size_t *size)
{
    uint8_t *buf = malloc (SS_CHECKPOINT_MAX_SIZE);
    assert_non_null (buf);
    long n = ss_checkpoint_encode (cp, buf, SS_CHECKPOINT_MAX_SIZE);
    assert_true (n > 0);
    assert_int_equal (n, SS_CHECKPOINT_SIZE_G (cp->dim, cp->k, cp->target.count,
                                               cp->target.cells));
    *size = (size_t) n;
    return buf;
}

//  Recompute the checksum of a (modified) file of size bytes
static void
s_rehash (uint8_t *buf, size_t size)
{
    crypto_generichash (buf + size - SS_CHECKPOINT_HASH, SS_CHECKPOINT_HASH,
                        buf, size - SS_CHECKPOINT_HASH, NULL, 0);
}

static void
s_put32 (uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p [i] = (uint8_t) (v >> (8 * i));
}

static void
s_put_double (uint8_t *p, double d)
{
    uint64_t v;
    memcpy (&v, &d, sizeof v);
    for (int i = 0; i < 8; i++)
        p [i] = (uint8_t) (v >> (8 * i));
}

static int
s_parse (const uint8_t *data, size_t size)
{
    ss_checkpoint_t *cp = malloc (sizeof *cp);
    assert_non_null (cp);
    int rc = ss_checkpoint_parse (data, size, cp);
    free (cp);
    return rc;
}

static bool
s_is_code (int rc)
{
    return rc <= 0 && rc >= SS_CHECKPOINT_ELAST;
}

//  A scratch directory per test
static int
s_setup (void **state)
{
    const char *base = getenv ("TMPDIR");
    char *dir = malloc (512);
    snprintf (dir, 512, "%s/ss-ckpt-XXXXXX", base && *base? base: "/tmp");
    if (!mkdtemp (dir)) {
        free (dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int
s_teardown (void **state)
{
    char *dir = *state;
    DIR *handle = opendir (dir);
    if (handle) {
        struct dirent *entry;
        char path [1024];
        while ((entry = readdir (handle))) {
            if (strcmp (entry->d_name, ".") && strcmp (entry->d_name, "..")) {
                snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
                if (unlink (path))
                    rmdir (path);
            }
        }
        closedir (handle);
    }
    rmdir (dir);
    free (dir);
    return 0;
}

static int
s_count_entries (const char *dir, const char *containing)
{
    DIR *handle = opendir (dir);
    assert_non_null (handle);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (handle)))
        if (strcmp (entry->d_name, ".") && strcmp (entry->d_name, "..")
        &&  strstr (entry->d_name, containing))
            count++;
    closedir (handle);
    return count;
}

static void
s_write_bytes (const char *path, const uint8_t *data, size_t size)
{
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    assert_int_equal (fclose (file), 0);
}

//  --------------------------------------------------------------------------
//  Round trips

static void
test_round_trip_memory (void **state)
{
    (void) state;
    ss_checkpoint_t *back = malloc (sizeof *back);
    for (uint32_t dim = 1; dim <= SS_MAX_DIM; dim++)
        for (uint32_t k = 1; k <= SS_MAX_K; k++) {
            ss_checkpoint_t *cp = s_sample (dim, k, dim * 100000 + k);
            size_t size;
            uint8_t *buf = s_encode (cp, &size);
            assert_int_equal (ss_checkpoint_parse (buf, size, back), 0);
            assert_true (s_same (cp, back));
            //  Canonical: encoding what was parsed gives the same bytes
            uint8_t *again = s_encode (back, &size);
            assert_memory_equal (buf, again, size);
            free (again);
            free (buf);
            free (cp);
        }
    free (back);
}

static void
test_round_trip_file (void **state)
{
    const char *dir = *state;
    char path [600];
    snprintf (path, sizeof path, "%s/agent.ckpt", dir);
    uint32_t ks [] = { 1, 2, 25, 125, 1000, SS_MAX_K };
    ss_checkpoint_t *back = malloc (sizeof *back);
    for (uint32_t dim = 1; dim <= SS_MAX_DIM; dim++)
        for (size_t i = 0; i < sizeof ks / sizeof ks [0]; i++) {
            ss_checkpoint_t *cp = s_sample (dim, ks [i], 42 + i);
            cp->round = (int64_t) i;            //  round 0 is valid
            assert_int_equal (ss_checkpoint_write (path, cp), 0);
            struct stat st;
            assert_int_equal (stat (path, &st), 0);
            assert_int_equal (st.st_size, SS_CHECKPOINT_SIZE (dim, ks [i]));
            assert_int_equal (st.st_mode & 077, 0);
            assert_int_equal (ss_checkpoint_read (path, back), 0);
            assert_true (s_same (cp, back));
            assert_int_equal (ss_checkpoint_check (back, FLEET, AGENT, dim, ks [i],
                                                   0.0, 1.0), 0);
            free (cp);
        }
    free (back);
}

//  --------------------------------------------------------------------------
//  Atomic writes

static void
test_write_atomic (void **state)
{
    const char *dir = *state;
    char path [600], tmp [700];
    snprintf (path, sizeof path, "%s/agent.ckpt", dir);
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    ss_checkpoint_t *cp = s_sample (2, 25, 1);
    ss_checkpoint_t *back = malloc (sizeof *back);

    assert_int_equal (ss_checkpoint_write (path, cp), 0);
    assert_int_equal (s_count_entries (dir, ""), 1);

    //  A leftover .tmp of a crash is left alone; a file or link planted at
    //  the names of our temporaries is never written through
    uint8_t junk [] = "half a checkpoint";
    s_write_bytes (tmp, junk, sizeof junk);
    char victim [700];
    snprintf (victim, sizeof victim, "%s/victim", dir);
    s_write_bytes (victim, junk, sizeof junk);
    for (int n = 0; n < 40; n++) {
        char link [800];
        snprintf (link, sizeof link, "%s/.agent.ckpt.tmp-%ld-%d", dir, (long) getpid (), n);
        assert_int_equal (symlink (victim, link), 0);
    }
    cp->round++;
    assert_int_equal (ss_checkpoint_write (path, cp), 0);
    assert_int_equal (ss_checkpoint_read (path, back), 0);
    assert_int_equal (back->round, cp->round);
    struct stat st;
    assert_int_equal (stat (victim, &st), 0);
    assert_int_equal (st.st_size, sizeof junk);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (s_count_entries (dir, ".agent.ckpt.tmp-"), 40);
    for (int n = 0; n < 40; n++) {
        char link [800];
        snprintf (link, sizeof link, "%s/.agent.ckpt.tmp-%ld-%d", dir, (long) getpid (), n);
        unlink (link);
    }
    unlink (victim);
    unlink (tmp);

    //  A state the reader would refuse is not written: the old file stays
    int64_t good_round = cp->round;
    cp->theta [3] = NAN;
    cp->round++;
    errno = 0;
    assert_int_equal (ss_checkpoint_write (path, cp), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (s_count_entries (dir, ""), 1);
    assert_int_equal (ss_checkpoint_read (path, back), 0);
    assert_int_equal (back->round, good_round);

    //  A directory that does not exist
    char nowhere [700];
    snprintf (nowhere, sizeof nowhere, "%s/no/such/dir/agent.ckpt", dir);
    cp->theta [3] = 0.5;
    errno = 0;
    assert_int_equal (ss_checkpoint_write (nowhere, cp), -1);
    assert_int_equal (errno, ENOENT);
    assert_int_equal (s_count_entries (dir, ""), 1);
    free (back);
    free (cp);
}

static void
test_encode_refuses (void **state)
{
    (void) state;
    uint8_t *buf = malloc (SS_CHECKPOINT_MAX_SIZE);
    ss_checkpoint_t *cp = s_sample (3, 8, 2);
    assert_true (ss_checkpoint_encode (cp, buf, SS_CHECKPOINT_MAX_SIZE) > 0);
    errno = 0;
    assert_int_equal (ss_checkpoint_encode (cp, buf, SS_CHECKPOINT_SIZE (3, 8) - 1), -1);
    assert_int_equal (errno, ENOBUFS);

    struct { int field; double value; } bad [] = {
        { 0, NAN }, { 1, INFINITY }, { 2, -INFINITY }, { 3, 1e6 * 1.0000001 },
        { 0, -2e6 }, { 2, 1e300 }
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        ss_checkpoint_t *copy = s_sample (3, 8, 2);
        double *target [] = { copy->x, copy->x0, copy->theta, copy->s };
        target [bad [i].field][1] = bad [i].value;
        errno = 0;
        assert_int_equal (ss_checkpoint_encode (copy, buf, SS_CHECKPOINT_MAX_SIZE), -1);
        assert_int_equal (errno, EINVAL);
        free (copy);
    }
    cp->round = -1;
    assert_int_equal (ss_checkpoint_encode (cp, buf, SS_CHECKPOINT_MAX_SIZE), -1);
    cp->round = 0;
    uint32_t dims [][2] = { { 0, 8 }, { 4, 8 }, { 3, 0 }, { 3, SS_MAX_K + 1 } };
    for (size_t i = 0; i < 4; i++) {
        cp->dim = dims [i][0];
        cp->k = dims [i][1];
        assert_int_equal (ss_checkpoint_encode (cp, buf, SS_CHECKPOINT_MAX_SIZE), -1);
    }
    free (cp);
    free (buf);
}

//  --------------------------------------------------------------------------
//  Damage

static void
test_truncation (void **state)
{
    (void) state;
    uint32_t shapes [][2] = { { 1, 1 }, { 2, 25 }, { 3, SS_MAX_K } };
    for (size_t s = 0; s < 3; s++) {
        ss_checkpoint_t *cp = s_sample (shapes [s][0], shapes [s][1], 3);
        size_t size;
        uint8_t *buf = s_encode (cp, &size);
        for (size_t len = 0; len < size; len++) {
            //  Copy so that ASan catches any read past the cut
            uint8_t *cut = malloc (len ? len: 1);
            memcpy (cut, buf, len);
            assert_int_equal (s_parse (cut, len), SS_CHECKPOINT_ETRUNCATED);
            free (cut);
        }
        assert_int_equal (s_parse (NULL, 0), SS_CHECKPOINT_ETRUNCATED);
        free (buf);
        free (cp);
    }
}

static void
test_truncated_file (void **state)
{
    const char *dir = *state;
    char path [600];
    snprintf (path, sizeof path, "%s/agent.ckpt", dir);
    ss_checkpoint_t *cp = s_sample (2, 25, 4);
    ss_checkpoint_t *back = malloc (sizeof *back);
    assert_int_equal (ss_checkpoint_write (path, cp), 0);
    size_t full = SS_CHECKPOINT_SIZE (2, 25);
    size_t lengths [] = { full - 1, full - 32, full / 2, 16, 7, 0 };
    for (size_t i = 0; i < sizeof lengths / sizeof lengths [0]; i++) {
        assert_int_equal (truncate (path, (off_t) lengths [i]), 0);
        int rc = ss_checkpoint_read (path, back);
        assert_int_equal (rc, SS_CHECKPOINT_ETRUNCATED);
        assert_true (ss_checkpoint_is_bad (rc));
    }
    free (back);
    free (cp);
}

static void
s_flip_all (uint32_t dim, uint32_t k)
{
    ss_checkpoint_t *cp = s_sample (dim, k, 5);
    size_t size;
    uint8_t *buf = s_encode (cp, &size);
    for (size_t bit = 0; bit < size * 8; bit++) {
        buf [bit / 8] ^= (uint8_t) (1u << (bit % 8));
        int rc = s_parse (buf, size);
        assert_true (rc < 0);
        assert_true (ss_checkpoint_is_bad (rc));
        buf [bit / 8] ^= (uint8_t) (1u << (bit % 8));
    }
    assert_int_equal (s_parse (buf, size), 0);
    free (buf);
    free (cp);
}

static void
test_bit_flips (void **state)
{
    (void) state;
    s_flip_all (1, 1);
    s_flip_all (2, 5);
    s_flip_all (3, 27);
    //  Big k: a sample of bits, plus every bit of the header
    ss_checkpoint_t *cp = s_sample (3, SS_MAX_K, 6);
    size_t size;
    uint8_t *buf = s_encode (cp, &size);
    uint64_t rng = 99;
    for (int i = 0; i < 3000; i++) {
        size_t bit = i < SS_CHECKPOINT_HEADER * 8? (size_t) i: s_next (&rng) % (size * 8);
        buf [bit / 8] ^= (uint8_t) (1u << (bit % 8));
        assert_true (ss_checkpoint_is_bad (s_parse (buf, size)));
        buf [bit / 8] ^= (uint8_t) (1u << (bit % 8));
    }
    assert_int_equal (s_parse (buf, size), 0);
    free (buf);
    free (cp);
}

static void
test_header_reasons (void **state)
{
    (void) state;
    ss_checkpoint_t *cp = s_sample (2, 5, 7);
    size_t size;
    uint8_t *buf = s_encode (cp, &size);
    uint8_t *bad = malloc (SS_CHECKPOINT_MAX_SIZE + 16);

    //  Magic: any change, even with a good checksum; a short non-prefix
    memcpy (bad, buf, size);
    bad [0] = 'X';
    s_rehash (bad, size);
    assert_int_equal (s_parse (bad, size), SS_CHECKPOINT_EMAGIC);
    assert_int_equal (s_parse ((const uint8_t *) "SSCX", 4), SS_CHECKPOINT_EMAGIC);
    assert_int_equal (s_parse ((const uint8_t *) "SSCK", 4), SS_CHECKPOINT_ETRUNCATED);
    assert_int_equal (s_parse ((const uint8_t *) "{\"x\": [0.5]}", 12), SS_CHECKPOINT_EMAGIC);

    //  Version 0, 4 and huge (1 and 2 are read: see test_version_1, _2)
    uint32_t versions [] = { 0, 4, UINT32_MAX };
    for (int i = 0; i < 3; i++) {
        memcpy (bad, buf, size);
        s_put32 (bad + 8, versions [i]);
        s_rehash (bad, size);
        assert_int_equal (s_parse (bad, size), SS_CHECKPOINT_EVERSION);
    }

    //  Trailing bytes; too big
    memcpy (bad, buf, size);
    bad [size] = 0;
    assert_int_equal (s_parse (bad, size + 1), SS_CHECKPOINT_ETRAILING);
    memset (bad + size, 0, SS_CHECKPOINT_MAX_SIZE + 16 - size);
    assert_int_equal (s_parse (bad, SS_CHECKPOINT_MAX_SIZE + 1), SS_CHECKPOINT_ETOOBIG);

    //  Length field: absurd, too small
    uint32_t lengths [] = { 0, SS_CHECKPOINT_MIN_SIZE - 1, SS_CHECKPOINT_MAX_SIZE + 1,
                            UINT32_MAX };
    for (int i = 0; i < 4; i++) {
        memcpy (bad, buf, size);
        s_put32 (bad + 12, lengths [i]);
        assert_int_equal (s_parse (bad, size), SS_CHECKPOINT_EFORMAT);
    }

    //  Checksum itself damaged
    memcpy (bad, buf, size);
    bad [size - 1] ^= 0x80;
    assert_int_equal (s_parse (bad, size), SS_CHECKPOINT_ECHECKSUM);

    //  Dims and reserved, each with a good checksum
    struct { size_t offset; uint32_t value; } fields [] = {
        { 28, 0 }, { 28, 4 }, { 28, 1 }, { 28, 3 },    //  dim (1, 3: length mismatch)
        { 32, 0 }, { 32, 4 }, { 32, SS_MAX_K + 1 },     //  k
        { 36, 1 }                                       //  reserved
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields [0]; i++) {
        memcpy (bad, buf, size);
        s_put32 (bad + fields [i].offset, fields [i].value);
        s_rehash (bad, size);
        assert_int_equal (s_parse (bad, size), SS_CHECKPOINT_EFORMAT);
    }

    //  Values: NaN, Inf, absurd, negative round (all with good checksums)
    struct { size_t offset; double value; int rc; } values [] = {
        { 64, NAN, SS_CHECKPOINT_ENONFINITE },                  //  x [0]
        { 64 + 8 * 3, INFINITY, SS_CHECKPOINT_ENONFINITE },     //  x0 [1]
        { 64 + 8 * 4, -INFINITY, SS_CHECKPOINT_ENONFINITE },    //  theta [0]
        { 64 + 8 * 13, NAN, SS_CHECKPOINT_ENONFINITE },         //  s [4]
        { 64 + 8 * 6, 1e6 + 1, SS_CHECKPOINT_ERANGE },          //  theta [2]
        { 64 + 8 * 10, -1e300, SS_CHECKPOINT_ERANGE },          //  s [1]
    };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
        memcpy (bad, buf, size);
        s_put_double (bad + values [i].offset, values [i].value);
        s_rehash (bad, size);
        assert_int_equal (s_parse (bad, size), values [i].rc);
    }
    memcpy (bad, buf, size);
    bad [47] = 0x80;                                        //  round < 0
    s_rehash (bad, size);
    assert_int_equal (s_parse (bad, size), SS_CHECKPOINT_ERANGE);

    free (bad);
    free (buf);
    free (cp);
}

//  Random bytes from a fixed seed: always a code, never a crash. Some
//  inputs get a valid magic, version and length, some a valid checksum.
static void
test_garbage (void **state)
{
    (void) state;
    uint64_t rng = 20240601;
    uint8_t *buf = malloc (SS_CHECKPOINT_MAX_SIZE + 64);
    int accepted = 0;
    for (int i = 0; i < 20000; i++) {
        int mode = (int) (s_next (&rng) % 4);
        uint32_t dim = 1 + (uint32_t) (s_next (&rng) % 3);
        uint32_t k = 1 + (uint32_t) (s_next (&rng) % (i % 8? 40: SS_MAX_K));
        size_t size;
        if (mode == 3)
            size = SS_CHECKPOINT_SIZE (dim, k);
        else
        if (i % 4 == 0)
            size = s_next (&rng) % (SS_CHECKPOINT_MAX_SIZE + 64);
        else
            size = s_next (&rng) % 400;
        for (size_t j = 0; j < size; j++)
            buf [j] = (uint8_t) s_next (&rng);
        if (mode >= 1 && size >= 16) {
            memcpy (buf, SS_CHECKPOINT_MAGIC, 8);
            s_put32 (buf + 8, SS_CHECKPOINT_VERSION);
            s_put32 (buf + 12, (uint32_t) size);
        }
        if (mode >= 2 && size >= SS_CHECKPOINT_MIN_SIZE && size <= SS_CHECKPOINT_MAX_SIZE) {
            if (mode == 3) {
                //  Well formed but for random values: small, non-negative
                //  round, finite doubles of magnitude < 2 (top byte 0x3f)
                s_put32 (buf + 28, dim);
                s_put32 (buf + 32, k);
                s_put32 (buf + 36, 0);
                buf [47] &= 0x7f;
                for (size_t j = 64; j + 8 <= size - SS_CHECKPOINT_HASH; j += 8)
                    if (s_next (&rng) % 64)
                        buf [j + 7] &= 0x3f;
                //  No target (count 0, cells 0, its round 0), mostly
                if (s_next (&rng) % 16) {
                    size_t tail = SS_CHECKPOINT_SIZE_V1 (dim, k) - SS_CHECKPOINT_HASH;
                    memset (buf + tail, 0, 8);
                    memset (buf + size - SS_CHECKPOINT_HASH - 8, 0, 8);
                }
            }
            s_rehash (buf, size);
        }
        int rc = s_parse (buf, size);
        //  A parse code: neither a file error nor a check's
        assert_true (s_is_code (rc));
        assert_true (rc == 0 || (rc <= SS_CHECKPOINT_ETRUNCATED && rc >= SS_CHECKPOINT_ERANGE));
        if (rc == 0)
            accepted++;
    }
    //  The valid-checksum inputs do reach the value checks, some pass
    assert_true (accepted > 0);
    free (buf);
}

//  --------------------------------------------------------------------------
//  Foreign or inconsistent

static void
test_check (void **state)
{
    (void) state;
    ss_checkpoint_t *cp = s_sample (2, 25, 8);
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 2, 25, 0, 1), 0);
    assert_int_equal (ss_checkpoint_check (cp, FLEET + 1, AGENT, 2, 25, 0, 1),
                      SS_CHECKPOINT_EFLEET);
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT + 1, 2, 25, 0, 1),
                      SS_CHECKPOINT_EAGENT);
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 3, 25, 0, 1),
                      SS_CHECKPOINT_EDIM);
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 2, 9, 0, 1),
                      SS_CHECKPOINT_EK);
    //  Box: x in [0, 1] is outside [2, 3] and [-1, 0.1] (probably) ...
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 2, 25, 2, 3),
                      SS_CHECKPOINT_EOUTSIDE);
    cp->x [1] = 1.0;                    //  ... and the boundary is inside
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 2, 25, 0, 1), 0);
    cp->x [1] = 1.0000001;
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 2, 25, 0, 1),
                      SS_CHECKPOINT_EOUTSIDE);
    cp->x [1] = 0.5;
    cp->x0 [0] = -0.25;
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 2, 25, 0, 1),
                      SS_CHECKPOINT_EOUTSIDE);
    cp->x0 [0] = 0.25;

    //  Non-finite and absurd, anywhere; negative round
    double *arrays [] = { cp->x, cp->x0, cp->theta, cp->s };
    double bad [] = { NAN, -NAN, INFINITY, -INFINITY, 1e6 * (1 + 1e-15), -1e7 };
    for (int a = 0; a < 4; a++)
        for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
            size_t idx = a < 2? 1: 24;
            double saved = arrays [a][idx];
            arrays [a][idx] = bad [b];
            int rc = ss_checkpoint_check (cp, FLEET, AGENT, 2, 25, 0, 1);
            assert_int_equal (rc, isfinite (bad [b])? SS_CHECKPOINT_ERANGE
                                                    : SS_CHECKPOINT_ENONFINITE);
            assert_true (ss_checkpoint_is_bad (rc));
            arrays [a][idx] = saved;
        }
    cp->round = -1;
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 2, 25, 0, 1),
                      SS_CHECKPOINT_ERANGE);
    cp->round = 0;
    //  Dims the caller passes out of range, or a struct made by hand
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 0, 25, 0, 1),
                      SS_CHECKPOINT_EDIM);
    cp->dim = 4;
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 4, 25, 0, 1),
                      SS_CHECKPOINT_EDIM);
    cp->dim = 2;
    cp->k = SS_MAX_K + 1;
    assert_int_equal (ss_checkpoint_check (cp, FLEET, AGENT, 2, SS_MAX_K + 1, 0, 1),
                      SS_CHECKPOINT_EK);
    cp->k = 25;
    assert_int_equal (ss_checkpoint_check (NULL, FLEET, AGENT, 2, 25, 0, 1),
                      SS_CHECKPOINT_EFORMAT);
    free (cp);
}

//  A checkpoint of another fleet, read from disk, is rejected by check
static void
test_foreign_file (void **state)
{
    const char *dir = *state;
    char path [600];
    snprintf (path, sizeof path, "%s/agent.ckpt", dir);
    ss_checkpoint_t *cp = s_sample (1, 5, 9);
    cp->fleet = 42;
    assert_int_equal (ss_checkpoint_write (path, cp), 0);
    ss_checkpoint_t *back = malloc (sizeof *back);
    assert_int_equal (ss_checkpoint_read (path, back), 0);
    int rc = ss_checkpoint_check (back, FLEET, AGENT, 1, 5, 0, 1);
    assert_int_equal (rc, SS_CHECKPOINT_EFLEET);
    assert_true (ss_checkpoint_is_bad (rc));
    free (back);
    free (cp);
}

//  --------------------------------------------------------------------------
//  Missing, unreadable, set aside

static void
test_missing_and_unreadable (void **state)
{
    const char *dir = *state;
    char path [600];
    ss_checkpoint_t *back = malloc (sizeof *back);
    snprintf (path, sizeof path, "%s/none.ckpt", dir);
    int rc = ss_checkpoint_read (path, back);
    assert_int_equal (rc, SS_CHECKPOINT_ENOENT);
    assert_false (ss_checkpoint_is_bad (rc));

    //  A directory is not a checkpoint, and is not set aside
    assert_int_equal (mkdir (path, 0700), 0);
    errno = 0;
    rc = ss_checkpoint_read (path, back);
    assert_int_equal (rc, SS_CHECKPOINT_EIO);
    assert_int_equal (errno, EISDIR);
    assert_false (ss_checkpoint_is_bad (rc));
    assert_int_equal (rmdir (path), 0);

    //  A symbolic link is not followed, even to a good checkpoint of ours
    //  (someone who can write the state directory must not make the agent
    //  read another file), and is not set aside
    char good [700];
    snprintf (good, sizeof good, "%s/good.ckpt", dir);
    ss_checkpoint_t *cp = s_sample (2, 25, 5);
    assert_int_equal (ss_checkpoint_write (good, cp), 0);
    assert_int_equal (ss_checkpoint_read (good, back), 0);
    assert_int_equal (symlink (good, path), 0);
    errno = 0;
    rc = ss_checkpoint_read (path, back);
    assert_int_equal (rc, SS_CHECKPOINT_EIO);
    assert_int_equal (errno, ELOOP);
    assert_false (ss_checkpoint_is_bad (rc));
    assert_int_equal (unlink (path), 0);
    assert_int_equal (unlink (good), 0);
    free (cp);

    //  A FIFO does not hang the reader
    assert_int_equal (mkfifo (path, 0600), 0);
    errno = 0;
    assert_int_equal (ss_checkpoint_read (path, back), SS_CHECKPOINT_EIO);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (unlink (path), 0);

    //  A big file is read only up to the bound, then refused
    size_t big = 1 << 20;
    uint8_t *data = calloc (1, big);
    memcpy (data, SS_CHECKPOINT_MAGIC, 8);
    s_put32 (data + 8, SS_CHECKPOINT_VERSION);
    s_write_bytes (path, data, big);
    assert_int_equal (ss_checkpoint_read (path, back), SS_CHECKPOINT_ETOOBIG);
    free (data);

    //  Distinct, non-null names for every code
    for (int a = 0; a >= SS_CHECKPOINT_ELAST; a--) {
        assert_non_null (ss_checkpoint_strerror (a));
        for (int b = 0; b > a; b--)
            assert_string_not_equal (ss_checkpoint_strerror (a),
                                     ss_checkpoint_strerror (b));
    }
    assert_non_null (ss_checkpoint_strerror (-1000));
    assert_non_null (ss_checkpoint_strerror (5));
    assert_false (ss_checkpoint_is_bad (0));
    assert_false (ss_checkpoint_is_bad (-1000));
    free (back);
}

static void
test_set_aside (void **state)
{
    const char *dir = *state;
    char path [600], first [700], second [700], third [700];
    snprintf (path, sizeof path, "%s/agent.ckpt", dir);
    uint8_t one [] = "first bad file", two [] = "second bad file";

    s_write_bytes (path, one, sizeof one);
    assert_int_equal (ss_checkpoint_set_aside (path, first, sizeof first), 0);
    assert_int_equal (access (path, F_OK), -1);
    assert_int_equal (strncmp (first, path, strlen (path)), 0);
    assert_int_equal (strncmp (first + strlen (path), ".bad-", 5), 0);
    assert_int_equal (access (first, F_OK), 0);

    //  Same second: a new name, the first one untouched
    s_write_bytes (path, two, sizeof two);
    assert_int_equal (ss_checkpoint_set_aside (path, second, sizeof second), 0);
    assert_string_not_equal (first, second);
    s_write_bytes (path, two, sizeof two);
    assert_int_equal (ss_checkpoint_set_aside (path, third, sizeof third), 0);
    assert_string_not_equal (first, third);
    assert_string_not_equal (second, third);
    assert_int_equal (access (path, F_OK), -1);
    assert_int_equal (s_count_entries (dir, ".bad-"), 3);

    char content [64] = "";
    FILE *file = fopen (first, "rb");
    assert_non_null (file);
    assert_int_equal (fread (content, 1, sizeof content, file), sizeof one);
    fclose (file);
    assert_memory_equal (content, one, sizeof one);

    //  Nothing to set aside; NULL moved_to is fine
    errno = 0;
    assert_int_equal (ss_checkpoint_set_aside (path, NULL, 0), -1);
    assert_int_equal (errno, ENOENT);
    s_write_bytes (path, one, sizeof one);
    assert_int_equal (ss_checkpoint_set_aside (path, NULL, 0), 0);
    assert_int_equal (s_count_entries (dir, ".bad-"), 4);

    //  After a set aside, a new checkpoint is written and read as usual
    ss_checkpoint_t *cp = s_sample (2, 4, 10);
    ss_checkpoint_t *back = malloc (sizeof *back);
    assert_int_equal (ss_checkpoint_write (path, cp), 0);
    assert_int_equal (ss_checkpoint_read (path, back), 0);
    assert_true (s_same (cp, back));
    free (back);
    free (cp);
}

//  --------------------------------------------------------------------------
//  Versions 2 and 3: the target in force

//  The version 1 file of cp (which has no target): its version 3 encoding
//  without the 16 target bytes, version 1, rehashed
static uint8_t *
s_encode_v1 (const ss_checkpoint_t *cp, size_t *size)
{
    assert_int_equal (cp->target.count, 0);
    assert_int_equal (cp->target.cells, 0);
    size_t v3;
    uint8_t *buf = s_encode (cp, &v3);
    size_t n = SS_CHECKPOINT_SIZE_V1 (cp->dim, cp->k);
    assert_int_equal (v3, n + 16);
    s_put32 (buf + 8, 1);
    s_put32 (buf + 12, (uint32_t) n);
    s_rehash (buf, n);
    *size = n;
    return buf;
}

//  cp through memory (parse, re-encode to the same bytes) and through the
//  file at path (write, read, check against its fleet); back is scratch
static void
s_round_trip (const ss_checkpoint_t *cp, const char *path, ss_checkpoint_t *back)
{
    size_t size;
    uint8_t *buf = s_encode (cp, &size);
    memset (back, 0x55, sizeof *back);
    assert_int_equal (ss_checkpoint_parse (buf, size, back), 0);
    assert_true (s_same (cp, back));
    uint8_t *again = malloc (SS_CHECKPOINT_MAX_SIZE);
    assert_int_equal (ss_checkpoint_encode (back, again, SS_CHECKPOINT_MAX_SIZE),
                      (long) size);
    assert_memory_equal (again, buf, size);
    assert_int_equal (ss_checkpoint_write (path, cp), 0);
    memset (back, 0, sizeof *back);
    assert_int_equal (ss_checkpoint_read (path, back), 0);
    assert_true (s_same (cp, back));
    assert_int_equal (ss_checkpoint_check (back, FLEET, AGENT, cp->dim, cp->k, 0.0, 1.0), 0);
    free (again);
    free (buf);
}

static void
test_target_round_trip (void **state)
{
    const char *dir = *state;
    char path [600];
    snprintf (path, sizeof path, "%s/agent.ckpt", dir);
    ss_checkpoint_t *back = malloc (sizeof *back);
    assert_non_null (back);
    int counts [] = { 0, 1, 2, 5, SS_MAX_COMPONENTS };
    for (uint32_t dim = 1; dim <= SS_MAX_DIM; dim++)
        for (size_t i = 0; i < sizeof counts / sizeof counts [0]; i++) {
            ss_checkpoint_t *cp = s_sample (dim, 25, 30 + dim);
            s_add_target (cp, counts [i], 40 + i);
            s_round_trip (cp, path, back);
            assert_int_equal (back->target.count, counts [i]);
            free (cp);
        }
    //  The largest checkpoint of all
    ss_checkpoint_t *cp = s_sample (SS_MAX_DIM, SS_MAX_K, 8);
    s_add_target (cp, SS_MAX_COMPONENTS, 9);
    s_add_grid (cp, SS_MAX_GRID, 10);
    size_t size;
    uint8_t *buf = s_encode (cp, &size);
    assert_int_equal (size, SS_CHECKPOINT_MAX_SIZE);
    assert_int_equal (ss_checkpoint_parse (buf, size, back), 0);
    assert_true (s_same (cp, back));
    free (buf);
    free (cp);
    free (back);
}

//  A version 1 file (no target) still parses, with count 0
static void
test_version_1 (void **state)
{
    (void) state;
    ss_checkpoint_t *back = malloc (sizeof *back);
    for (uint32_t dim = 1; dim <= SS_MAX_DIM; dim++) {
        ss_checkpoint_t *cp = s_sample (dim, 9, 50 + dim);
        size_t size;
        uint8_t *v1 = s_encode_v1 (cp, &size);
        memset (back, 0x55, sizeof *back);
        assert_int_equal (ss_checkpoint_parse (v1, size, back), 0);
        assert_true (s_same (cp, back));
        assert_int_equal (back->target.count, 0);
        assert_int_equal (back->target_round, 0);
        assert_int_equal (ss_checkpoint_check (back, FLEET, AGENT, dim, 9, 0.0, 1.0), 0);
        //  A version 1 file of a version 3 length (or the reverse) is bad
        uint8_t *v2 = malloc (SS_CHECKPOINT_MAX_SIZE);
        long n = ss_checkpoint_encode (cp, v2, SS_CHECKPOINT_MAX_SIZE);
        s_put32 (v2 + 8, 1);
        s_rehash (v2, (size_t) n);
        assert_int_equal (s_parse (v2, (size_t) n), SS_CHECKPOINT_EFORMAT);
        s_put32 (v1 + 8, 2);
        s_rehash (v1, size);
        assert_int_equal (s_parse (v1, size), SS_CHECKPOINT_EFORMAT);
        s_put32 (v1 + 8, 3);
        s_rehash (v1, size);
        assert_int_equal (s_parse (v1, size), SS_CHECKPOINT_EFORMAT);
        //  Versions 0 and 4 are unknown
        s_put32 (v1 + 8, 4);
        assert_int_equal (s_parse (v1, size), SS_CHECKPOINT_EVERSION);
        s_put32 (v1 + 8, 0);
        assert_int_equal (s_parse (v1, size), SS_CHECKPOINT_EVERSION);
        free (v2);
        free (v1);
        free (cp);
    }
    free (back);
}

//  Every truncation and every bit flip of a file with a target fails
static void
test_target_damage (void **state)
{
    (void) state;
    uint32_t dims [] = { 1, 2, 3 };
    for (size_t d = 0; d < 3; d++) {
        ss_checkpoint_t *cp = s_sample (dims [d], 5, 60 + d);
        s_add_target (cp, 3, 70 + d);
        size_t size;
        uint8_t *buf = s_encode (cp, &size);
        for (size_t n = 0; n < size; n++) {
            int rc = s_parse (buf, n);
            assert_true (rc < 0);
            assert_true (ss_checkpoint_is_bad (rc));
        }
        for (size_t bit = 0; bit < size * 8; bit++) {
            buf [bit / 8] ^= (uint8_t) (1u << (bit % 8));
            int rc = s_parse (buf, size);
            assert_true (rc < 0);
            assert_true (ss_checkpoint_is_bad (rc));
            buf [bit / 8] ^= (uint8_t) (1u << (bit % 8));
        }
        assert_int_equal (s_parse (buf, size), 0);
        free (buf);
        free (cp);
    }
}

//  Bad target values, each with its reason (rehashed); the writer refuses
//  them too
static void
test_target_values (void **state)
{
    (void) state;
    const uint32_t dim = 2, k = 5;
    ss_checkpoint_t *cp = s_sample (dim, k, 80);
    s_add_target (cp, 2, 81);
    size_t size;
    uint8_t *buf = s_encode (cp, &size);
    uint8_t *bad = malloc (size);
    size_t t = SS_CHECKPOINT_SIZE_V1 (dim, k) - SS_CHECKPOINT_HASH;
    //  Component c's weight at t + 4 + 8 * c * (dim + 2), then means, std
    size_t w0 = t + 4, m0 = w0 + 8, s0 = w0 + 8 * (dim + 1);
    size_t w1 = w0 + 8 * (dim + 2), s1 = w1 + 8 * (dim + 1);
    struct { size_t offset; double value; int rc; } values [] = {
        { w0, 0.0, SS_CHECKPOINT_ERANGE },
        { w0, -0.0, SS_CHECKPOINT_ERANGE },
        { w1, -0.5, SS_CHECKPOINT_ERANGE },
        { w0, NAN, SS_CHECKPOINT_ENONFINITE },
        { w1, INFINITY, SS_CHECKPOINT_ENONFINITE },
        { w0, 1e7, SS_CHECKPOINT_ERANGE },
        { s0, 0.0, SS_CHECKPOINT_ERANGE },
        { s1, -1e-3, SS_CHECKPOINT_ERANGE },
        { s0, NAN, SS_CHECKPOINT_ENONFINITE },
        { s1, -INFINITY, SS_CHECKPOINT_ENONFINITE },
        { m0, NAN, SS_CHECKPOINT_ENONFINITE },
        { m0 + 8, INFINITY, SS_CHECKPOINT_ENONFINITE },
        { m0, -2e6, SS_CHECKPOINT_ERANGE },
    };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
        memcpy (bad, buf, size);
        s_put_double (bad + values [i].offset, values [i].value);
        s_rehash (bad, size);
        assert_int_equal (s_parse (bad, size), values [i].rc);
    }
    //  Counts that do not match the length, or above the maximum
    uint32_t counts [] = { 0, 1, 3, SS_MAX_COMPONENTS + 1, 0xffffffffu };
    for (size_t i = 0; i < sizeof counts / sizeof counts [0]; i++) {
        memcpy (bad, buf, size);
        s_put32 (bad + t, counts [i]);
        s_rehash (bad, size);
        assert_int_equal (s_parse (bad, size), SS_CHECKPOINT_EFORMAT);
    }
    //  A count above the maximum, with the length it would need
    {
        size_t n = SS_CHECKPOINT_SIZE_N (dim, k, SS_MAX_COMPONENTS + 1);
        uint8_t *big = calloc (1, n);
        memcpy (big, buf, t);
        s_put32 (big + 12, (uint32_t) n);
        s_put32 (big + t, SS_MAX_COMPONENTS + 1);
        for (size_t j = t + 4; j + 8 <= n - 40; j += 8)
            s_put_double (big + j, 0.5);
        s_rehash (big, n);
        assert_int_equal (s_parse (big, n), SS_CHECKPOINT_EFORMAT);
        free (big);
    }
    //  The target's round after the checkpoint's
    memcpy (bad, buf, size);
    uint64_t after = (uint64_t) cp->round + 1;
    for (int i = 0; i < 8; i++)
        bad [size - SS_CHECKPOINT_HASH - 8 + i] = (uint8_t) (after >> (8 * i));
    s_rehash (bad, size);
    assert_int_equal (s_parse (bad, size), SS_CHECKPOINT_ERANGE);

    //  The writer refuses what the reader would
    uint8_t *out = malloc (SS_CHECKPOINT_MAX_SIZE);
    ss_checkpoint_t *wrong = malloc (sizeof *wrong);
    *wrong = *cp; wrong->target.comp [1].weight = 0;
    assert_int_equal (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE), -1);
    *wrong = *cp; wrong->target.comp [0].std = NAN;
    assert_int_equal (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE), -1);
    *wrong = *cp; wrong->target.count = SS_MAX_COMPONENTS + 1;
    assert_int_equal (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE), -1);
    *wrong = *cp; wrong->target.count = -1;
    assert_int_equal (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE), -1);
    *wrong = *cp; wrong->target.count = 0;          //  no target, but a round
    assert_int_equal (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE), -1);
    *wrong = *cp; wrong->target_round = (uint64_t) cp->round + 1;
    assert_int_equal (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE), -1);
    assert_int_equal (errno, EINVAL);

    //  Check: a mean outside the box
    *wrong = *cp;
    assert_int_equal (ss_checkpoint_check (wrong, FLEET, AGENT, dim, k, 0.0, 1.0), 0);
    wrong->target.comp [1].mean [1] = 1.5;
    assert_int_equal (ss_checkpoint_check (wrong, FLEET, AGENT, dim, k, 0.0, 1.0),
                      SS_CHECKPOINT_EOUTSIDE);
    wrong->target.comp [1].mean [1] = -0.01;
    assert_int_equal (ss_checkpoint_check (wrong, FLEET, AGENT, dim, k, 0.0, 1.0),
                      SS_CHECKPOINT_EOUTSIDE);
    assert_int_equal (ss_checkpoint_check (wrong, FLEET, AGENT, dim, k, -1.0, 1.0), 0);

    free (wrong);
    free (out);
    free (bad);
    free (buf);
    free (cp);
}

//  The version 2 file of cp (no grid): its version 3 encoding without the
//  cells field, version 2, rehashed
static uint8_t *
s_encode_v2 (const ss_checkpoint_t *cp, size_t *size)
{
    assert_int_equal (cp->target.cells, 0);
    size_t v3;
    uint8_t *buf = s_encode (cp, &v3);
    size_t n = SS_CHECKPOINT_SIZE_V2 (cp->dim, cp->k, cp->target.count);
    assert_int_equal (v3, n + 4);
    size_t cells = SS_CHECKPOINT_SIZE_V1 (cp->dim, cp->k) - SS_CHECKPOINT_HASH + 4
                 + 8 * (size_t) cp->target.count * (cp->dim + 2);
    memmove (buf + cells, buf + cells + 4, v3 - cells - 4);
    s_put32 (buf + 8, 2);
    s_put32 (buf + 12, (uint32_t) n);
    s_rehash (buf, n);
    *size = n;
    return buf;
}

//  A version 2 file (components, no grid) still parses, with cells 0
static void
test_version_2 (void **state)
{
    (void) state;
    ss_checkpoint_t *back = malloc (sizeof *back);
    int counts [] = { 0, 1, 3, SS_MAX_COMPONENTS };
    for (uint32_t dim = 1; dim <= SS_MAX_DIM; dim++)
        for (size_t i = 0; i < sizeof counts / sizeof counts [0]; i++) {
            ss_checkpoint_t *cp = s_sample (dim, 9, 90 + dim);
            s_add_target (cp, counts [i], 95 + i);
            size_t size;
            uint8_t *v2 = s_encode_v2 (cp, &size);
            memset (back, 0x55, sizeof *back);
            assert_int_equal (ss_checkpoint_parse (v2, size, back), 0);
            assert_true (s_same (cp, back));
            assert_int_equal (back->target.cells, 0);
            assert_int_equal (ss_checkpoint_check (back, FLEET, AGENT, dim, 9, 0.0, 1.0), 0);
            //  Read as version 3 its length is wrong
            s_put32 (v2 + 8, 3);
            s_rehash (v2, size);
            assert_int_equal (s_parse (v2, size), SS_CHECKPOINT_EFORMAT);
            free (v2);
            free (cp);
        }
    //  A version 3 file with a grid is no version 2 file
    ss_checkpoint_t *cp = s_sample (2, 9, 99);
    s_add_grid (cp, 16, 100);
    size_t size;
    uint8_t *v3 = s_encode (cp, &size);
    s_put32 (v3 + 8, 2);
    s_rehash (v3, size);
    assert_int_equal (s_parse (v3, size), SS_CHECKPOINT_EFORMAT);
    free (v3);
    free (cp);
    free (back);
}

//  Version 3: a grid target (an image), alone or with components, through
//  memory and a file, in every dimension
static void
test_grid_round_trip (void **state)
{
    const char *dir = *state;
    char path [600];
    snprintf (path, sizeof path, "%s/agent.ckpt", dir);
    ss_checkpoint_t *back = malloc (sizeof *back);
    int cells [] = { 32, 1024, 4096 };
    for (uint32_t dim = 1; dim <= SS_MAX_DIM; dim++)
        for (int n = 0; n <= 2; n += 2) {
            ss_checkpoint_t *cp = s_sample (dim, 25, 110 + dim);
            s_add_target (cp, n, 120 + dim);
            s_add_grid (cp, cells [dim - 1], 130 + dim);
            size_t size;
            uint8_t *buf = s_encode (cp, &size);
            assert_int_equal (size, SS_CHECKPOINT_SIZE_G (dim, 25, n, cells [dim - 1]));
            //  The count stays at T (tests/fault read it there)
            uint32_t count = 0;
            size_t t = SS_CHECKPOINT_SIZE_V1 (dim, 25) - SS_CHECKPOINT_HASH;
            for (int i = 0; i < 4; i++)
                count |= (uint32_t) buf [t + i] << (8 * i);
            assert_int_equal (count, n);
            free (buf);
            s_round_trip (cp, path, back);
            assert_int_equal (back->target.cells, cells [dim - 1]);
            free (cp);
        }
    free (back);
}

//  A damaged grid fails, each way with its reason; the writer refuses
//  what the reader would
static void
test_grid_damage (void **state)
{
    (void) state;
    const uint32_t dim = 2, k = 5;
    ss_checkpoint_t *cp = s_sample (dim, k, 140);
    s_add_target (cp, 1, 141);
    s_add_grid (cp, 64, 142);
    size_t size;
    uint8_t *buf = s_encode (cp, &size);
    for (size_t n = 0; n < size; n++)
        assert_true (ss_checkpoint_is_bad (s_parse (buf, n)));
    for (size_t bit = 0; bit < size * 8; bit++) {
        buf [bit / 8] ^= (uint8_t) (1u << (bit % 8));
        assert_true (ss_checkpoint_is_bad (s_parse (buf, size)));
        buf [bit / 8] ^= (uint8_t) (1u << (bit % 8));
    }
    assert_int_equal (s_parse (buf, size), 0);

    size_t at = SS_CHECKPOINT_SIZE_V1 (dim, k) - SS_CHECKPOINT_HASH + 4 + 8 * (dim + 2);
    uint8_t *bad = malloc (size + SS_MAX_GRID + 64);
    //  Cells that do not match the length, or above the maximum
    uint32_t wrong_cells [] = { 0, 63, 65, SS_MAX_GRID + 1, 0xffffffffu };
    for (size_t i = 0; i < sizeof wrong_cells / sizeof wrong_cells [0]; i++) {
        memcpy (bad, buf, size);
        s_put32 (bad + at, wrong_cells [i]);
        s_rehash (bad, size);
        assert_int_equal (s_parse (bad, size), SS_CHECKPOINT_EFORMAT);
    }
    //  Above the maximum with the length it would need
    {
        size_t n = SS_CHECKPOINT_SIZE_G (dim, k, 1, SS_MAX_GRID + 1);
        uint8_t *big = calloc (1, n);
        memcpy (big, buf, at);
        s_put32 (big + 12, (uint32_t) n);
        s_put32 (big + at, SS_MAX_GRID + 1);
        memset (big + at + 4, 9, SS_MAX_GRID + 1);
        s_rehash (big, n);
        assert_int_equal (s_parse (big, n), SS_CHECKPOINT_EFORMAT);
        free (big);
    }
    //  Every level 0
    memcpy (bad, buf, size);
    memset (bad + at + 4, 0, 64);
    s_rehash (bad, size);
    assert_int_equal (s_parse (bad, size), SS_CHECKPOINT_ERANGE);
    //  A grid alone, and its round: 0 is allowed only without any target
    ss_checkpoint_t *wrong = malloc (sizeof *wrong);
    *wrong = *cp; wrong->target.count = 0;
    uint8_t *out = malloc (SS_CHECKPOINT_MAX_SIZE);
    assert_true (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE) > 0);
    *wrong = *cp; wrong->target.cells = -1;
    assert_int_equal (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE), -1);
    *wrong = *cp; wrong->target.cells = SS_MAX_GRID + 1;
    assert_int_equal (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE), -1);
    *wrong = *cp; memset (wrong->target.level, 0, 64);
    assert_int_equal (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE), -1);
    *wrong = *cp; wrong->target.count = 0; wrong->target.cells = 0;
    assert_int_equal (ss_checkpoint_encode (wrong, out, SS_CHECKPOINT_MAX_SIZE), -1);
    //  Too small a buffer for the grid
    assert_int_equal (ss_checkpoint_encode (cp, out, size - 1), -1);
    assert_int_equal (errno, ENOBUFS);
    free (out);
    free (wrong);
    free (bad);
    free (buf);
    free (cp);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_round_trip_memory),
        cmocka_unit_test_setup_teardown (test_round_trip_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_write_atomic, s_setup, s_teardown),
        cmocka_unit_test (test_encode_refuses),
        cmocka_unit_test (test_truncation),
        cmocka_unit_test_setup_teardown (test_truncated_file, s_setup, s_teardown),
        cmocka_unit_test (test_bit_flips),
        cmocka_unit_test (test_header_reasons),
        cmocka_unit_test (test_garbage),
        cmocka_unit_test (test_check),
        cmocka_unit_test_setup_teardown (test_foreign_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_missing_and_unreadable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_set_aside, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_target_round_trip, s_setup, s_teardown),
        cmocka_unit_test (test_version_1),
        cmocka_unit_test (test_target_damage),
        cmocka_unit_test (test_target_values),
        cmocka_unit_test (test_version_2),
        cmocka_unit_test_setup_teardown (test_grid_round_trip, s_setup, s_teardown),
        cmocka_unit_test (test_grid_damage),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
