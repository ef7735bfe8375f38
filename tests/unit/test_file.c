/*  test_file: the atomic writer, mkdir -p and the symlink-refusing reader.

    Every test works in one mkdtemp directory under $TMPDIR (or /tmp),
    removed at the end.
*/
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ss_file.h"

static char s_dir [512];

static void
s_path (char *out, size_t size, const char *name)
{
    snprintf (out, size, "%s/%s", s_dir, name);
}

static char *
s_slurp (const char *path)
{
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char *text = calloc (1, 4096);
    size_t got = fread (text, 1, 4095, file);
    text [got] = 0;
    fclose (file);
    return text;
}

//  Entries of s_dir whose name contains part
static int
s_count (const char *part)
{
    DIR *dir = opendir (s_dir);
    assert_non_null (dir);
    int count = 0;
    for (struct dirent *entry = readdir (dir); entry; entry = readdir (dir))
        if (strcmp (entry->d_name, ".") && strcmp (entry->d_name, "..")
        &&  strstr (entry->d_name, part))
            count++;
    closedir (dir);
    return count;
}

static void
test_write_atomic (void **state)
{
    (void) state;
    char path [600];
    s_path (path, sizeof path, "run.txt");
    //  Exactly the mode asked, whatever the umask
    mode_t old = umask (0077);
    assert_int_equal (ss_file_write_atomic (path, "one\n", 4, 0644), 0);
    umask (old);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0644);
    char *text = s_slurp (path);
    assert_string_equal (text, "one\n");
    free (text);
    //  Replaced whole, mode of the new file
    assert_int_equal (ss_file_write_atomic (path, "two\n", 4, 0600), 0);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    text = s_slurp (path);
    assert_string_equal (text, "two\n");
    free (text);
    assert_int_equal (ss_file_write_atomic (path, "", 0, 0644), 0);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_size, 0);
    assert_int_equal (s_count (".tmp"), 0);

    //  A folder that does not exist: -1, ENOENT, nothing left
    char nowhere [700];
    s_path (nowhere, sizeof nowhere, "no/such/file");
    errno = 0;
    assert_int_equal (ss_file_write_atomic (nowhere, "x", 1, 0644), -1);
    assert_int_equal (errno, ENOENT);
    //  A directory in the way: the rename fails, the temporary goes
    char sub [700];
    s_path (sub, sizeof sub, "sub");
    assert_int_equal (mkdir (sub, 0755), 0);
    char inside [800];
    snprintf (inside, sizeof inside, "%s/x", sub);
    assert_int_equal (ss_file_write_atomic (inside, "x", 1, 0644), 0);
    errno = 0;
    assert_int_equal (ss_file_write_atomic (sub, "x", 1, 0644), -1);
    assert_int_not_equal (errno, 0);
    assert_int_equal (s_count (".tmp"), 0);
    unlink (inside);
    rmdir (sub);
    unlink (path);
}

static void
test_stream (void **state)
{
    (void) state;
    char path [600];
    s_path (path, sizeof path, "stream.txt");
    assert_int_equal (ss_file_write_atomic (path, "old\n", 4, 0644), 0);
    //  Nothing is visible before the commit
    ss_file_t *file = ss_file_new (path, 0644);
    assert_non_null (file);
    fprintf (ss_file_stream (file), "new %d\n", 42);
    char *text = s_slurp (path);
    assert_string_equal (text, "old\n");
    free (text);
    assert_int_equal (s_count (".stream.txt.tmp-"), 1);
    //  Two writers at once: each its own temporary, the last commit wins
    ss_file_t *other = ss_file_new (path, 0644);
    assert_non_null (other);
    fprintf (ss_file_stream (other), "other\n");
    assert_int_equal (s_count (".stream.txt.tmp-"), 2);
    assert_int_equal (ss_file_commit (&file), 0);
    assert_null (file);
    text = s_slurp (path);
    assert_string_equal (text, "new 42\n");
    free (text);
    //  Given up: the path stays, the temporary goes
    ss_file_destroy (&other);
    assert_null (other);
    ss_file_destroy (&other);
    text = s_slurp (path);
    assert_string_equal (text, "new 42\n");
    free (text);
    assert_int_equal (s_count (".tmp"), 0);

    //  A link planted at the names of our temporaries is never followed
    char victim [600];
    s_path (victim, sizeof victim, "victim");
    assert_int_equal (ss_file_write_atomic (victim, "safe\n", 5, 0644), 0);
    for (int n = 0; n < 50; n++) {
        char link [800];
        snprintf (link, sizeof link, "%s/.stream.txt.tmp-%ld-%d", s_dir,
                  (long) getpid (), n);
        assert_int_equal (symlink (victim, link), 0);
    }
    assert_int_equal (ss_file_write_atomic (path, "third\n", 6, 0644), 0);
    text = s_slurp (victim);
    assert_string_equal (text, "safe\n");
    free (text);
    text = s_slurp (path);
    assert_string_equal (text, "third\n");
    free (text);
    for (int n = 0; n < 50; n++) {
        char link [800];
        snprintf (link, sizeof link, "%s/.stream.txt.tmp-%ld-%d", s_dir,
                  (long) getpid (), n);
        unlink (link);
    }
    assert_int_equal (s_count (".tmp"), 0);
    unlink (victim);
    unlink (path);
    //  A name with no file part
    errno = 0;
    char slash [600];
    s_path (slash, sizeof slash, "");
    assert_null (ss_file_new (slash, 0644));
    assert_int_equal (errno, EISDIR);
}

static void
test_open_read (void **state)
{
    (void) state;
    char path [600], link [600], fifo [600];
    s_path (path, sizeof path, "plain");
    s_path (link, sizeof link, "link");
    s_path (fifo, sizeof fifo, "fifo");
    assert_int_equal (ss_file_write_atomic (path, "data", 4, 0600), 0);
    int fd = ss_file_open_read (path);
    assert_true (fd >= 0);
    char buf [8];
    assert_int_equal (read (fd, buf, sizeof buf), 4);
    assert_int_equal (fcntl (fd, F_GETFL) & O_NONBLOCK, 0);
    assert_true (fcntl (fd, F_GETFD) & FD_CLOEXEC);
    close (fd);

    assert_int_equal (symlink (path, link), 0);
    errno = 0;
    assert_int_equal (ss_file_open_read (link), -1);
    assert_int_equal (errno, ELOOP);
    assert_int_equal (mkfifo (fifo, 0600), 0);
    errno = 0;
    assert_int_equal (ss_file_open_read (fifo), -1);
    assert_int_equal (errno, EINVAL);
    errno = 0;
    assert_int_equal (ss_file_open_read (s_dir), -1);
    assert_int_equal (errno, EISDIR);
    char none [600];
    s_path (none, sizeof none, "none");
    errno = 0;
    assert_int_equal (ss_file_open_read (none), -1);
    assert_int_equal (errno, ENOENT);
    unlink (link);
    unlink (fifo);
    unlink (path);
}

static void
test_mkdirs (void **state)
{
    (void) state;
    char deep [600], file [600];
    s_path (deep, sizeof deep, "a/b/c");
    assert_int_equal (ss_mkdirs (deep, 0700), 0);
    struct stat st;
    assert_int_equal (stat (deep, &st), 0);
    assert_true (S_ISDIR (st.st_mode));
    assert_int_equal (st.st_mode & 0777, 0700);
    //  Existing: fine, mode kept
    assert_int_equal (ss_mkdirs (deep, 0755), 0);
    assert_int_equal (stat (deep, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    //  A file in the way
    s_path (file, sizeof file, "a/file");
    assert_int_equal (ss_file_write_atomic (file, "x", 1, 0644), 0);
    errno = 0;
    assert_int_equal (ss_mkdirs (file, 0755), -1);
    assert_int_equal (errno, ENOTDIR);
    char under [700];
    snprintf (under, sizeof under, "%s/below", file);
    errno = 0;
    assert_int_equal (ss_mkdirs (under, 0755), -1);
    assert_int_equal (errno, ENOTDIR);
    //  Too long
    char *longest = malloc (PATH_MAX + 16);
    memset (longest, 'a', PATH_MAX + 8);
    longest [PATH_MAX + 8] = 0;
    errno = 0;
    assert_int_equal (ss_mkdirs (longest, 0755), -1);
    assert_int_equal (errno, ENAMETOOLONG);
    free (longest);
    unlink (file);
    rmdir (deep);
    s_path (deep, sizeof deep, "a/b");
    rmdir (deep);
    s_path (deep, sizeof deep, "a");
    rmdir (deep);
    //  The directory of a bare name is "."
    assert_int_equal (ss_file_sync_dir ("bare-name"), 0);
}

static int
s_setup (void **state)
{
    (void) state;
    const char *tmp = getenv ("TMPDIR");
    snprintf (s_dir, sizeof s_dir, "%s/test_file.XXXXXX", tmp && *tmp? tmp: "/tmp");
    return mkdtemp (s_dir)? 0: -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    return rmdir (s_dir);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_write_atomic),
        cmocka_unit_test (test_stream),
        cmocka_unit_test (test_open_read),
        cmocka_unit_test (test_mkdirs),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
