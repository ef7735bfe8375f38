/*  ss_checkpoint: an agent's saved state, so that after a crash (kill -9)
    and a restart it resumes where it was rather than from scratch.

    Every few rounds and on SIGTERM agentd saves (x_i, x_i(0), round,
    epoch, targets applied, the target in force, theta_i, s_i) to a file in its state
    directory. Writing is atomic (ss_file_write_atomic): the bytes go to a
    new temporary beside PATH, which is fsynced and renamed over PATH, and
    the directory is fsynced, so after any crash PATH holds either the old
    or the new checkpoint, whole. The reader never follows a symbolic link
    at PATH (ss_file_open_read): a link planted in the state directory
    cannot make an agent read another file.

    A checkpoint is input like any other: on start it is read, parsed by a
    total decoder (any byte string gives a checkpoint or a reason code,
    nothing is allocated, nothing crashes) and checked against the fleet
    the agent is about to join. A corrupt, truncated or foreign checkpoint
    is reported, set aside (renamed PATH.bad-<unix time>[-n], never
    deleted, never overwritten) and the agent starts fresh.

    File format, version 3. Binary, every integer and double little-endian
    (doubles as their IEEE 754 bit pattern, so a round trip is exact):

        offset  size     field
        0       8        magic "SSCKPT\r\n" (53 53 43 4b 50 54 0d 0a)
        8       4  u32   format version (3; 1 and 2 are still read, see below)
        12      4  u32   length of the whole file in bytes, checksum included
        16      8  u64   fleet id
        24      4  u32   agent id
        28      4  u32   dim, 1..SS_MAX_DIM
        32      4  u32   k, 1..SS_MAX_K
        36      4  u32   reserved, 0
        40      8  i64   round, >= 0
        48      8  u64   epoch
        56      8  u64   targets applied so far
        64      8*dim    x
                8*dim    x0 (the agent's initial position)
                8*k      theta
                8*k      s
        T       4  u32   n, components of the target in force, 0..SS_MAX_COMPONENTS
                8*n*(dim+2)  per component: weight, mean [dim], std
                4  u32   cells, levels of its grid, 0..SS_MAX_GRID (an image
                         target; 0: none)
                cells    the levels, one byte each, first coordinate fastest
                8  u64   round at which that target was applied (0 if n =
                         cells = 0: the fleet file's target, none was injected)
        L-32    32       BLAKE2b-256 (libsodium crypto_generichash, no key)
                         of bytes 0 .. L-33

    with T = 64 + 16 * (dim + k), so L = 112 + 16 * (dim + k) + 8 * n *
    (dim + 2) + cells. Version 2 is the same without the cells field and
    the levels: L = 108 + 16 * (dim + k) + 8 * n * (dim + 2); it parses
    with cells = 0. Version 1 has no target at all (T .. L-33): L = 96 + 16
    * (dim + k); it parses with n = cells = 0. The writer always writes
    version 3. A grid needs a level above 0 somewhere; that cells is the
    model's nq^dim is checked where the model is known (agentd applies the
    target with ss_mixture_check).
    The checksum catches any truncation or bit flip; the length field and
    the magic give precise reasons for the common cases (an empty or
    half-written file, some other file). The encoding is canonical: a file
    parses only if encoding what it parses to gives back exactly the same
    bytes (for a version 1 or 2 file: the same bytes written as that
    version).
    Doubles must be finite and of magnitude at most
    SS_CHECKPOINT_MAX_MAGNITUDE, component weights and stds > 0, the
    target's round at most the checkpoint's round, a grid not all zero;
    the writer refuses to
    save what the reader would refuse to load, so a bad state never
    replaces a good checkpoint.

    Codes: functions that touch files return 0 / -1 with errno, except
    ss_checkpoint_read, which returns an ss_checkpoint_err_t so that a
    missing checkpoint (start fresh, say nothing) is told apart from an
    unreadable one (report, leave alone) and from a bad one (report, set
    aside): see ss_checkpoint_is_bad.
*/
#ifndef SS_CHECKPOINT_H
#define SS_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ss_model.h"

#define SS_CHECKPOINT_VERSION   3       //  written; 1 and 2 are still read
#define SS_CHECKPOINT_MAGIC     "SSCKPT\r\n"
#define SS_CHECKPOINT_HEADER    64      //  bytes before x
#define SS_CHECKPOINT_HASH      32      //  bytes of checksum
//  Size in bytes of a version 1 checkpoint of the given dimensions
#define SS_CHECKPOINT_SIZE_V1(dim, k) \
    (SS_CHECKPOINT_HEADER + 16 * ((size_t) (dim) + (size_t) (k)) + SS_CHECKPOINT_HASH)
//  Size in bytes of a version 2 checkpoint with a target of n components
#define SS_CHECKPOINT_SIZE_V2(dim, k, n) \
    (SS_CHECKPOINT_SIZE_V1 (dim, k) + 12 + 8 * (size_t) (n) * ((size_t) (dim) + 2))
//  Size in bytes of a (version 3) checkpoint with a target of n components
//  and a grid of cells levels
#define SS_CHECKPOINT_SIZE_G(dim, k, n, cells) \
    (SS_CHECKPOINT_SIZE_V2 (dim, k, n) + 4 + (size_t) (cells))
//  ... of n components, no grid
#define SS_CHECKPOINT_SIZE_N(dim, k, n) SS_CHECKPOINT_SIZE_G (dim, k, n, 0)
//  ... without a target
#define SS_CHECKPOINT_SIZE(dim, k) SS_CHECKPOINT_SIZE_N (dim, k, 0)
//  No checkpoint is larger; the reader reads at most one byte more
#define SS_CHECKPOINT_MAX_SIZE \
    SS_CHECKPOINT_SIZE_G (SS_MAX_DIM, SS_MAX_K, SS_MAX_COMPONENTS, SS_MAX_GRID)
//  Nor smaller (version 1, dim = k = 1)
#define SS_CHECKPOINT_MIN_SIZE  SS_CHECKPOINT_SIZE_V1 (1, 1)
//  Doubles of larger magnitude are absurd (as in ss_proto)
#define SS_CHECKPOINT_MAX_MAGNITUDE 1e6

typedef struct {
    uint64_t fleet;         //  fleet id (hash of the fleet's configuration)
    uint32_t agent;         //  agent id
    uint32_t dim;           //  length of x and x0
    uint32_t k;             //  length of theta and s
    int64_t round;          //  next round to run
    uint64_t epoch;
    uint64_t targets;       //  targets applied so far
    double x [SS_MAX_DIM];
    double x0 [SS_MAX_DIM];
    double theta [SS_MAX_K];
    double s [SS_MAX_K];
    //  The target in force: count 0 and cells 0 = the fleet file's (none
    //  injected); else its components (mean [0 .. dim-1]) and/or grid, and
    //  the round it was applied
    ss_mixture_t target;
    uint64_t target_round;
} ss_checkpoint_t;

typedef enum {
    SS_CHECKPOINT_OK = 0,
    //  The file could not be read
    SS_CHECKPOINT_ENOENT = -1,      //  no checkpoint: start fresh
    SS_CHECKPOINT_EIO = -2,         //  exists but unreadable (errno kept)
    //  The content is bad (parse)
    SS_CHECKPOINT_ETRUNCATED = -3,  //  shorter than its length says
    SS_CHECKPOINT_EMAGIC = -4,      //  not a checkpoint
    SS_CHECKPOINT_EVERSION = -5,    //  unknown format version
    SS_CHECKPOINT_ETOOBIG = -6,     //  larger than any checkpoint
    SS_CHECKPOINT_ETRAILING = -7,   //  bytes after its length
    SS_CHECKPOINT_ECHECKSUM = -8,   //  checksum mismatch
    SS_CHECKPOINT_EFORMAT = -9,     //  bad dim, k, length, reserved,
                                    //  target count or grid size
    SS_CHECKPOINT_ENONFINITE = -10, //  NaN or Inf
    SS_CHECKPOINT_ERANGE = -11,     //  absurd magnitude, negative round,
                                    //  weight or std <= 0, target round
                                    //  after round, a grid of zeros
    //  The content is valid but not ours (check)
    SS_CHECKPOINT_EFLEET = -12,     //  another fleet's checkpoint
    SS_CHECKPOINT_EAGENT = -13,     //  another agent's checkpoint
    SS_CHECKPOINT_EDIM = -14,       //  wrong dimension
    SS_CHECKPOINT_EK = -15,         //  wrong number of features
    SS_CHECKPOINT_EOUTSIDE = -16    //  x, x0 or a target mean outside the box
} ss_checkpoint_err_t;

#define SS_CHECKPOINT_ELAST SS_CHECKPOINT_EOUTSIDE

//  Encode cp into buf (at least SS_CHECKPOINT_SIZE_G (cp->dim, cp->k,
//  cp->target.count, cp->target.cells) bytes). Returns the number of bytes written, or -1 with errno EINVAL if
//  cp would not parse (bad dims, non-finite or absurd values, negative
//  round) or ENOBUFS if buf is too small.
long ss_checkpoint_encode (const ss_checkpoint_t *cp, uint8_t *buf, size_t size);

//  Write cp to path atomically, mode 0600 (a temporary beside it, write,
//  fsync, rename, fsync the directory). Returns 0, or -1 with errno; then
//  path is untouched and no temporary is left behind.
int ss_checkpoint_write (const char *path, const ss_checkpoint_t *cp);

//  Decode a checkpoint. Total over any byte string: returns 0 and fills cp,
//  or a negative ss_checkpoint_err_t with cp unspecified. Never allocates.
int ss_checkpoint_parse (const uint8_t *data, size_t size, ss_checkpoint_t *cp);

//  Read and parse the checkpoint at path, reading at most
//  SS_CHECKPOINT_MAX_SIZE + 1 bytes. Returns 0 or an ss_checkpoint_err_t:
//  ENOENT if there is no such file, EIO (errno set) if it cannot be read,
//  is a symbolic link (ELOOP) or is not a regular file, else parse's code.
int ss_checkpoint_read (const char *path, ss_checkpoint_t *cp);

//  Check that a parsed checkpoint belongs to this agent of this fleet and
//  is consistent with the model: fleet, agent, dim and k equal, x, x0 and
//  the target's means in [lo, hi]^dim, every double finite and of
//  magnitude at most SS_CHECKPOINT_MAX_MAGNITUDE, round >= 0, the target
//  as parse requires it. Returns 0 or the code of the
//  first failure.
int ss_checkpoint_check (const ss_checkpoint_t *cp, uint64_t fleet, uint32_t agent,
                         uint32_t dim, uint32_t k, double lo, double hi);

//  Rename path to path.bad-<unix time>, or path.bad-<unix time>-<n> if
//  that exists: never overwrites an earlier one. If moved_to is not NULL,
//  the new name is copied there (truncated to size). Returns 0 or -1 with
//  errno.
int ss_checkpoint_set_aside (const char *path, char *moved_to, size_t size);

//  True if a read or check code means the file is bad or foreign and
//  should be reported and set aside (not for OK, ENOENT or EIO)
bool ss_checkpoint_is_bad (int code);

//  A short static name for a code ("truncated", "checksum mismatch", ...)
const char *ss_checkpoint_strerror (int code);

#endif
