/*  ss_checkpoint: an agent's saved state. The format is in ss_checkpoint.h.

    The decoder reads fields at fixed offsets with explicit little-endian
    loads, so it is independent of the host's byte order and alignment. It
    checks, in this order, what the file claims to be (magic, version 1 to 3),
    how long it claims to be (length field against the bytes at hand), that
    it is intact (checksum) and only then what it says (dims, values): the
    first failure is the reason reported.
*/
#define _GNU_SOURCE             //  renameat2, RENAME_NOREPLACE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "ss_checkpoint.h"
#include "ss_file.h"

#define MAGIC_SIZE 8

//  --------------------------------------------------------------------------
//  Little-endian loads and stores

static void
s_put32 (uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p [i] = (uint8_t) (v >> (8 * i));
}

static void
s_put64 (uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p [i] = (uint8_t) (v >> (8 * i));
}

static uint32_t
s_get32 (const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t) p [i] << (8 * i);
    return v;
}

static uint64_t
s_get64 (const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t) p [i] << (8 * i);
    return v;
}

static void
s_put_double (uint8_t *p, double d)
{
    uint64_t v;
    memcpy (&v, &d, sizeof v);
    s_put64 (p, v);
}

static double
s_get_double (const uint8_t *p)
{
    uint64_t v = s_get64 (p);
    double d;
    memcpy (&d, &v, sizeof d);
    return d;
}

//  0 if every value is finite and not absurd, else the code
static int
s_check_values (const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite (v [i]))
            return SS_CHECKPOINT_ENONFINITE;
        if (fabs (v [i]) > SS_CHECKPOINT_MAX_MAGNITUDE)
            return SS_CHECKPOINT_ERANGE;
    }
    return 0;
}

//  What parse would say about the target of cp
static int
s_check_target (const ss_checkpoint_t *cp)
{
    const ss_mixture_t *t = &cp->target;
    if (t->count < 0 || t->count > SS_MAX_COMPONENTS
    ||  t->cells < 0 || t->cells > SS_MAX_GRID)
        return SS_CHECKPOINT_EFORMAT;
    if (t->count == 0 && t->cells == 0)
        return cp->target_round == 0? 0: SS_CHECKPOINT_EFORMAT;
    if (t->cells > 0) {
        //  A grid of zeros is no target (ss_mixture_check)
        int g = 0;
        while (g < t->cells && t->level [g] == 0)
            g++;
        if (g == t->cells)
            return SS_CHECKPOINT_ERANGE;
    }
    for (int c = 0; c < t->count; c++) {
        const ss_component_t *comp = &t->comp [c];
        int rc;
        if ((rc = s_check_values (&comp->weight, 1))
        ||  (rc = s_check_values (comp->mean, cp->dim))
        ||  (rc = s_check_values (&comp->std, 1)))
            return rc;
        if (!(comp->weight > 0) || !(comp->std > 0))
            return SS_CHECKPOINT_ERANGE;
    }
    //  Applied at or before the round the checkpoint holds
    if (cp->target_round > (uint64_t) cp->round)
        return SS_CHECKPOINT_ERANGE;
    return 0;
}

//  What parse would say about the fields of cp (dims first)
static int
s_check_fields (const ss_checkpoint_t *cp)
{
    if (cp->dim < 1 || cp->dim > SS_MAX_DIM || cp->k < 1 || cp->k > SS_MAX_K
    ||  cp->target.count < 0 || cp->target.count > SS_MAX_COMPONENTS)
        return SS_CHECKPOINT_EFORMAT;
    int rc;
    if ((rc = s_check_values (cp->x, cp->dim))
    ||  (rc = s_check_values (cp->x0, cp->dim))
    ||  (rc = s_check_values (cp->theta, cp->k))
    ||  (rc = s_check_values (cp->s, cp->k)))
        return rc;
    if (cp->round < 0)
        return SS_CHECKPOINT_ERANGE;
    return s_check_target (cp);
}

static void
s_hash (const uint8_t *data, size_t size, uint8_t *out)
{
    //  Idempotent and thread-safe (a lock, then "already done"). For
    //  BLAKE2b it only selects the fastest implementation; without it the
    //  portable one gives the same digest, so a failure is harmless.
    int initialised = sodium_init ();
    (void) initialised;
    crypto_generichash (out, SS_CHECKPOINT_HASH, data, size, NULL, 0);
}

//  --------------------------------------------------------------------------
//  Encode cp into buf; returns bytes written or -1 with errno

long
ss_checkpoint_encode (const ss_checkpoint_t *cp, uint8_t *buf, size_t size)
{
    if (!cp || !buf || s_check_fields (cp) != 0) {
        errno = EINVAL;
        return -1;
    }
    size_t length = SS_CHECKPOINT_SIZE_G (cp->dim, cp->k, cp->target.count,
                                          cp->target.cells);
    if (size < length) {
        errno = ENOBUFS;
        return -1;
    }
    memcpy (buf, SS_CHECKPOINT_MAGIC, MAGIC_SIZE);
    s_put32 (buf + 8, SS_CHECKPOINT_VERSION);
    s_put32 (buf + 12, (uint32_t) length);
    s_put64 (buf + 16, cp->fleet);
    s_put32 (buf + 24, cp->agent);
    s_put32 (buf + 28, cp->dim);
    s_put32 (buf + 32, cp->k);
    s_put32 (buf + 36, 0);
    s_put64 (buf + 40, (uint64_t) cp->round);
    s_put64 (buf + 48, cp->epoch);
    s_put64 (buf + 56, cp->targets);
    uint8_t *p = buf + SS_CHECKPOINT_HEADER;
    for (uint32_t i = 0; i < cp->dim; i++, p += 8)
        s_put_double (p, cp->x [i]);
    for (uint32_t i = 0; i < cp->dim; i++, p += 8)
        s_put_double (p, cp->x0 [i]);
    for (uint32_t i = 0; i < cp->k; i++, p += 8)
        s_put_double (p, cp->theta [i]);
    for (uint32_t i = 0; i < cp->k; i++, p += 8)
        s_put_double (p, cp->s [i]);
    s_put32 (p, (uint32_t) cp->target.count);
    p += 4;
    for (int c = 0; c < cp->target.count; c++) {
        const ss_component_t *comp = &cp->target.comp [c];
        s_put_double (p, comp->weight);
        p += 8;
        for (uint32_t i = 0; i < cp->dim; i++, p += 8)
            s_put_double (p, comp->mean [i]);
        s_put_double (p, comp->std);
        p += 8;
    }
    s_put32 (p, (uint32_t) cp->target.cells);
    p += 4;
    memcpy (p, cp->target.level, (size_t) cp->target.cells);
    p += cp->target.cells;
    s_put64 (p, cp->target_round);
    p += 8;
    s_hash (buf, length - SS_CHECKPOINT_HASH, p);
    return (long) length;
}

//  --------------------------------------------------------------------------
//  Decode; total over any byte string

int
ss_checkpoint_parse (const uint8_t *data, size_t size, ss_checkpoint_t *cp)
{
    if (!cp || (!data && size > 0))
        return SS_CHECKPOINT_EFORMAT;
    //  A prefix of the magic (an empty or cut file) is truncated
    if (size < MAGIC_SIZE)
        return size == 0 || memcmp (data, SS_CHECKPOINT_MAGIC, size) == 0
             ? SS_CHECKPOINT_ETRUNCATED: SS_CHECKPOINT_EMAGIC;
    if (memcmp (data, SS_CHECKPOINT_MAGIC, MAGIC_SIZE) != 0)
        return SS_CHECKPOINT_EMAGIC;
    if (size < 12)
        return SS_CHECKPOINT_ETRUNCATED;
    uint32_t version = s_get32 (data + 8);
    if (version < 1 || version > SS_CHECKPOINT_VERSION)
        return SS_CHECKPOINT_EVERSION;
    if (size < 16)
        return SS_CHECKPOINT_ETRUNCATED;
    if (size > SS_CHECKPOINT_MAX_SIZE)
        return SS_CHECKPOINT_ETOOBIG;
    uint32_t length = s_get32 (data + 12);
    if (length < SS_CHECKPOINT_MIN_SIZE || length > SS_CHECKPOINT_MAX_SIZE)
        return SS_CHECKPOINT_EFORMAT;
    if (size < length)
        return SS_CHECKPOINT_ETRUNCATED;
    if (size > length)
        return SS_CHECKPOINT_ETRAILING;

    uint8_t hash [SS_CHECKPOINT_HASH];
    s_hash (data, length - SS_CHECKPOINT_HASH, hash);
    if (sodium_memcmp (hash, data + length - SS_CHECKPOINT_HASH, SS_CHECKPOINT_HASH) != 0)
        return SS_CHECKPOINT_ECHECKSUM;

    uint32_t dim = s_get32 (data + 28);
    uint32_t k = s_get32 (data + 32);
    if (dim < 1 || dim > SS_MAX_DIM || k < 1 || k > SS_MAX_K
    ||  s_get32 (data + 36) != 0)
        return SS_CHECKPOINT_EFORMAT;
    //  Version 1 ends after s; versions 2 and 3 have the target's count
    //  there, version 3 the grid's cells after the components
    size_t tail = SS_CHECKPOINT_SIZE_V1 (dim, k) - SS_CHECKPOINT_HASH;
    uint32_t count = 0, cells = 0;
    if (version == 1) {
        if (length != SS_CHECKPOINT_SIZE_V1 (dim, k))
            return SS_CHECKPOINT_EFORMAT;
    }
    else
    if (version == 2) {
        if (length < SS_CHECKPOINT_SIZE_V2 (dim, k, 0))
            return SS_CHECKPOINT_EFORMAT;
        count = s_get32 (data + tail);
        if (count > SS_MAX_COMPONENTS
        ||  length != SS_CHECKPOINT_SIZE_V2 (dim, k, count))
            return SS_CHECKPOINT_EFORMAT;
    }
    else {
        if (length < SS_CHECKPOINT_SIZE (dim, k))
            return SS_CHECKPOINT_EFORMAT;
        count = s_get32 (data + tail);
        if (count > SS_MAX_COMPONENTS
        ||  length < SS_CHECKPOINT_SIZE_N (dim, k, count))
            return SS_CHECKPOINT_EFORMAT;
        cells = s_get32 (data + tail + 4 + 8 * (size_t) count * (dim + 2));
        if (cells > SS_MAX_GRID
        ||  length != SS_CHECKPOINT_SIZE_G (dim, k, count, cells))
            return SS_CHECKPOINT_EFORMAT;
    }

    memset (cp, 0, sizeof *cp);
    cp->fleet = s_get64 (data + 16);
    cp->agent = s_get32 (data + 24);
    cp->dim = dim;
    cp->k = k;
    cp->round = (int64_t) s_get64 (data + 40);
    cp->epoch = s_get64 (data + 48);
    cp->targets = s_get64 (data + 56);
    const uint8_t *p = data + SS_CHECKPOINT_HEADER;
    for (uint32_t i = 0; i < dim; i++, p += 8)
        cp->x [i] = s_get_double (p);
    for (uint32_t i = 0; i < dim; i++, p += 8)
        cp->x0 [i] = s_get_double (p);
    for (uint32_t i = 0; i < k; i++, p += 8)
        cp->theta [i] = s_get_double (p);
    for (uint32_t i = 0; i < k; i++, p += 8)
        cp->s [i] = s_get_double (p);
    if (version != 1) {
        p += 4;                 //  count, read above
        cp->target.count = (int) count;
        for (uint32_t c = 0; c < count; c++) {
            ss_component_t *comp = &cp->target.comp [c];
            comp->weight = s_get_double (p);
            p += 8;
            for (uint32_t i = 0; i < dim; i++, p += 8)
                comp->mean [i] = s_get_double (p);
            comp->std = s_get_double (p);
            p += 8;
        }
        if (version >= 3) {
            p += 4;             //  cells, read above
            cp->target.cells = (int) cells;
            memcpy (cp->target.level, p, cells);
            p += cells;
        }
        cp->target_round = s_get64 (p);
    }
    return s_check_fields (cp);
}

//  --------------------------------------------------------------------------
//  Files

int
ss_checkpoint_write (const char *path, const ss_checkpoint_t *cp)
{
    if (!path || !cp) {
        errno = EINVAL;
        return -1;
    }
    uint8_t buf [SS_CHECKPOINT_MAX_SIZE];
    long length = ss_checkpoint_encode (cp, buf, sizeof buf);
    if (length < 0)
        return -1;
    return ss_file_write_atomic (path, buf, (size_t) length, 0600);
}

int
ss_checkpoint_read (const char *path, ss_checkpoint_t *cp)
{
    if (!path || !cp) {
        errno = EINVAL;
        return SS_CHECKPOINT_EIO;
    }
    //  Not through a symbolic link, not a FIFO (it would hang the agent)
    int fd = ss_file_open_read (path);
    if (fd < 0)
        return errno == ENOENT ? SS_CHECKPOINT_ENOENT: SS_CHECKPOINT_EIO;
    uint8_t buf [SS_CHECKPOINT_MAX_SIZE + 1];
    size_t size = 0;
    while (size < sizeof buf) {
        ssize_t n = read (fd, buf + size, sizeof buf - size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            close (fd);
            errno = saved;
            return SS_CHECKPOINT_EIO;
        }
        if (n == 0)
            break;
        size += (size_t) n;
    }
    close (fd);
    return ss_checkpoint_parse (buf, size, cp);
}

//  --------------------------------------------------------------------------
//  Is it ours?

static int
s_inside (const double *v, uint32_t n, double lo, double hi)
{
    for (uint32_t i = 0; i < n; i++)
        if (!(v [i] >= lo && v [i] <= hi))
            return 0;
    return 1;
}

int
ss_checkpoint_check (const ss_checkpoint_t *cp, uint64_t fleet, uint32_t agent,
                     uint32_t dim, uint32_t k, double lo, double hi)
{
    if (!cp)
        return SS_CHECKPOINT_EFORMAT;
    if (cp->fleet != fleet)
        return SS_CHECKPOINT_EFLEET;
    if (cp->agent != agent)
        return SS_CHECKPOINT_EAGENT;
    if (cp->dim != dim || dim < 1 || dim > SS_MAX_DIM)
        return SS_CHECKPOINT_EDIM;
    if (cp->k != k || k < 1 || k > SS_MAX_K)
        return SS_CHECKPOINT_EK;
    int rc = s_check_fields (cp);
    if (rc != 0)
        return rc;
    if (!s_inside (cp->x, dim, lo, hi) || !s_inside (cp->x0, dim, lo, hi))
        return SS_CHECKPOINT_EOUTSIDE;
    for (int c = 0; c < cp->target.count; c++)
        if (!s_inside (cp->target.comp [c].mean, dim, lo, hi))
            return SS_CHECKPOINT_EOUTSIDE;
    return 0;
}

//  --------------------------------------------------------------------------
//  Set a bad checkpoint aside

//  Rename from to to unless to exists; 0, or -1 with errno (EEXIST)
static int
s_rename_noreplace (const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
    if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
#endif
    //  File system without RENAME_NOREPLACE: link refuses to replace
    if (link (from, to) == 0)
        return unlink (from);
    if (errno == EEXIST)
        return -1;
    //  Nor hard links: check, then rename (racy, but we own the directory)
    struct stat st;
    if (lstat (to, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename (from, to);
}

int
ss_checkpoint_set_aside (const char *path, char *moved_to, size_t size)
{
    if (!path) {
        errno = EINVAL;
        return -1;
    }
    long long now = (long long) time (NULL);
    char to [PATH_MAX];
    for (int n = 0; n < 1000; n++) {
        int len = n == 0
            ? snprintf (to, sizeof to, "%s.bad-%lld", path, now)
            : snprintf (to, sizeof to, "%s.bad-%lld-%d", path, now, n);
        if (len < 0 || len >= (int) sizeof to) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (s_rename_noreplace (path, to) == 0) {
            if (moved_to && size > 0)
                snprintf (moved_to, size, "%s", to);
            ss_file_sync_dir (path);
            return 0;
        }
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

bool
ss_checkpoint_is_bad (int code)
{
    return code <= SS_CHECKPOINT_ETRUNCATED && code >= SS_CHECKPOINT_ELAST;
}

const char *
ss_checkpoint_strerror (int code)
{
    switch (code) {
        case SS_CHECKPOINT_OK:          return "ok";
        case SS_CHECKPOINT_ENOENT:      return "no checkpoint";
        case SS_CHECKPOINT_EIO:         return "cannot read checkpoint";
        case SS_CHECKPOINT_ETRUNCATED:  return "truncated";
        case SS_CHECKPOINT_EMAGIC:      return "not a checkpoint";
        case SS_CHECKPOINT_EVERSION:    return "unknown checkpoint version";
        case SS_CHECKPOINT_ETOOBIG:     return "too big";
        case SS_CHECKPOINT_ETRAILING:   return "trailing bytes";
        case SS_CHECKPOINT_ECHECKSUM:   return "checksum mismatch";
        case SS_CHECKPOINT_EFORMAT:     return "bad dimensions or header";
        case SS_CHECKPOINT_ENONFINITE:  return "non-finite value";
        case SS_CHECKPOINT_ERANGE:      return "value out of range";
        case SS_CHECKPOINT_EFLEET:      return "another fleet's checkpoint";
        case SS_CHECKPOINT_EAGENT:      return "another agent's checkpoint";
        case SS_CHECKPOINT_EDIM:        return "wrong dimension";
        case SS_CHECKPOINT_EK:          return "wrong number of features";
        case SS_CHECKPOINT_EOUTSIDE:    return "position or target mean outside the box";
        default:                        return "unknown checkpoint error";
    }
}
