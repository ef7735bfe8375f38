/*  ss_file: atomic writes, mkdir -p, a reader that refuses links.
    See ss_file.h for the guarantees.
*/

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "ss_file.h"

struct ss_file_t {
    char path [PATH_MAX];
    char tmp [PATH_MAX];
    FILE *stream;
};

//  Split path into its directory ("." or "/" when it has none) and base
static int
s_dir_of (const char *path, char *dir, size_t size)
{
    const char *slash = strrchr (path, '/');
    int len;
    if (!slash)
        len = snprintf (dir, size, ".");
    else
    if (slash == path)
        len = snprintf (dir, size, "/");
    else
        len = snprintf (dir, size, "%.*s", (int) (slash - path), path);
    if (len < 0 || (size_t) len >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int
ss_file_sync_dir (const char *path)
{
    assert (path);
    char dir [PATH_MAX];
    if (s_dir_of (path, dir, sizeof dir))
        return -1;
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

ss_file_t *
ss_file_new (const char *path, int mode)
{
    assert (path);
    const char *slash = strrchr (path, '/');
    const char *base = slash? slash + 1: path;
    if (!*base) {
        errno = EISDIR;
        return NULL;
    }
    ss_file_t *self = calloc (1, sizeof (ss_file_t));
    if (!self)
        return NULL;
    if (snprintf (self->path, sizeof self->path, "%s", path) >= (int) sizeof self->path) {
        free (self);
        errno = ENAMETOOLONG;
        return NULL;
    }
    //  A name of our own: a concurrent writer, or a temporary left by a
    //  crash, is never opened, truncated or followed
    static unsigned counter = 0;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
        unsigned n = __atomic_fetch_add (&counter, 1, __ATOMIC_RELAXED);
        int len = snprintf (self->tmp, sizeof self->tmp, "%.*s.%s.tmp-%ld-%u",
                            (int) (base - path), path, base, (long) getpid (), n);
        if (len < 0 || (size_t) len >= sizeof self->tmp) {
            free (self);
            errno = ENAMETOOLONG;
            return NULL;
        }
        fd = open (self->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   (mode_t) mode);
        if (fd < 0 && errno != EEXIST) {
            int saved = errno;
            free (self);
            errno = saved;
            return NULL;
        }
    }
    if (fd < 0) {
        free (self);
        errno = EEXIST;
        return NULL;
    }
    if (fchmod (fd, (mode_t) mode) || !(self->stream = fdopen (fd, "w"))) {
        int saved = errno;
        close (fd);
        unlink (self->tmp);
        free (self);
        errno = saved;
        return NULL;
    }
    return self;
}

FILE *
ss_file_stream (ss_file_t *self)
{
    assert (self);
    return self->stream;
}

void
ss_file_destroy (ss_file_t **self_p)
{
    assert (self_p);
    ss_file_t *self = *self_p;
    if (self) {
        int saved = errno;
        if (self->stream)
            fclose (self->stream);
        unlink (self->tmp);
        free (self);
        *self_p = NULL;
        errno = saved;
    }
}

int
ss_file_commit (ss_file_t **self_p)
{
    assert (self_p);
    ss_file_t *self = *self_p;
    assert (self);
    FILE *stream = self->stream;
    self->stream = NULL;
    errno = 0;
    bool ok = !ferror (stream) && fflush (stream) == 0 && fsync (fileno (stream)) == 0;
    if (!ok && errno == 0)
        errno = EIO;
    int saved = errno;
    if (fclose (stream) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename (self->tmp, self->path) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        errno = saved;
        ss_file_destroy (self_p);
        errno = saved;
        return -1;
    }
    //  The new file is in place; this only makes the rename durable
    int rc = ss_file_sync_dir (self->path);
    saved = errno;
    free (self);
    *self_p = NULL;
    errno = saved;
    return rc;
}

int
ss_file_write_atomic (const char *path, const void *data, size_t size, int mode)
{
    assert (path);
    assert (data || size == 0);
    ss_file_t *file = ss_file_new (path, mode);
    if (!file)
        return -1;
    if (size > 0 && fwrite (data, 1, size, ss_file_stream (file)) != size) {
        int saved = errno? errno: EIO;
        ss_file_destroy (&file);
        errno = saved;
        return -1;
    }
    return ss_file_commit (&file);
}

int
ss_file_open_read (const char *path)
{
    assert (path);
    //  Non-blocking, so that a FIFO planted at path cannot hang the reader
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        int saved = errno;
        if (fstat (fd, &st) == 0)
            saved = S_ISDIR (st.st_mode)? EISDIR: EINVAL;
        close (fd);
        errno = saved;
        return -1;
    }
    //  A regular file: blocking reads from here on
    int flags = fcntl (fd, F_GETFL);
    if (flags != -1)
        fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

int
ss_mkdirs (const char *path, int mode)
{
    assert (path);
    char buf [PATH_MAX];
    if (snprintf (buf, sizeof buf, "%s", path) >= (int) sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (buf, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir (buf, (mode_t) mode) && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat (buf, &st))
        return -1;
    if (!S_ISDIR (st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}
