/*  ss_file: the one atomic file writer, the one mkdir -p and the one
    symlink-refusing reader of the tree.

    Every file a reader must never see half written (run files, fleet
    files, plan bundles, checkpoints, state files, certificates' siblings)
    goes through ss_file_write_atomic or an ss_file_t:

    1. a temporary DIR/.NAME.tmp-PID-N is created next to the target, opened
       O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC with exactly the mode
       asked (fchmod: the umask does not narrow or widen it), so it is
       never a file or a link that was there before;
    2. the bytes are written and fsynced;
    3. the temporary is renamed over NAME and the directory is fsynced, so
       after any crash NAME holds the old or the new content, whole.

    On any failure the temporary is removed, NAME is untouched and errno
    says why. Writers of the same NAME at once each use their own
    temporary; the last rename wins. A crash between 1 and 3 leaves a
    temporary behind (a hidden name, never reused or read).

    ss_file_open_read opens a file that an attacker may have replaced
    (a checkpoint, a state file): it refuses a symbolic link (O_NOFOLLOW),
    anything but a regular file, and never blocks on a FIFO.
*/
#ifndef SS_FILE_H
#define SS_FILE_H

#include <stdio.h>
#include <stddef.h>

typedef struct ss_file_t ss_file_t;

//  Begin writing path atomically: a temporary next to it, mode exactly
//  mode (e.g. 0644). NULL with errno on failure.
ss_file_t *ss_file_new (const char *path, int mode);

//  The temporary, for fprintf and friends
FILE *ss_file_stream (ss_file_t *self);

//  Flush, fsync, rename over the path, fsync the directory; destroys the
//  object. 0, or -1 with errno (the path untouched, no temporary left).
int ss_file_commit (ss_file_t **self_p);

//  Give up: the temporary is removed, the path untouched. Harmless on NULL.
void ss_file_destroy (ss_file_t **self_p);

//  Write size bytes of data to path atomically with exactly mode. 0 or -1
//  with errno.
int ss_file_write_atomic (const char *path, const void *data, size_t size, int mode);

//  Open path read-only, refusing a symbolic link (ELOOP), a directory
//  (EISDIR) or anything else that is not a regular file (EINVAL), without
//  blocking on a FIFO. A file descriptor (O_CLOEXEC), or -1 with errno.
int ss_file_open_read (const char *path);

//  fsync the directory that holds path, so a rename in it is durable.
//  0 or -1 with errno.
int ss_file_sync_dir (const char *path);

//  mkdir -p: missing parents get 0755, the directory itself mode (an
//  existing one keeps its mode); 0 or -1 (errno set; ENOTDIR if path
//  exists and is not a directory)
int ss_mkdirs (const char *path, int mode);

#endif
