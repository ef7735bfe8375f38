/*  ss_keyring: the fleet's public keys, each named by the file it came from.

    The key directory is read as the list of files the fleet expects, never
    as "every file found there":

        agent-<i>.key       for 0 <= i < count (decimal, no leading zero)
        coordinator.key
        operator.key        (optional: a directory made by an older keygen
                            lacks it; ss_keyring_has tells)

    and their NAME.key_secret companions, which the ring does not read (a
    program reads its own with ss_keys_load_secret). A missing, unreadable
    or malformed expected file is an error naming it; two expected files
    holding the same public key are an error naming both. Every other
    entry of the directory (other names, backups such as agent-1.key.bak,
    subdirectories, agents beyond count) is listed by ss_keyring_ignored
    and never read. The ring is loaded once: files dropped into the
    directory later change nothing.

    A loaded ring is read-only: threads may share it.
*/
#ifndef SS_KEYRING_H
#define SS_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ss_fleet.h"

typedef struct _ss_keyring_t ss_keyring_t;

#define SS_KEYRING_NAME_MAX 32      //  longest name + 1 ("agent-99999")

//  An empty ring; ss_keyring_add fills it (tests, fuzzing)
ss_keyring_t *ss_keyring_new (void);
void ss_keyring_destroy (ss_keyring_t **self_p);

//  Add name (shorter than SS_KEYRING_NAME_MAX) with its 32-byte public key,
//  read from source (a path, for messages). -1 and one line in err if the
//  name is already there or the key is ("SOURCE: same public key as
//  OTHER"), or the name is empty or too long.
int ss_keyring_add (ss_keyring_t *self, const char *name, const uint8_t *key,
                    const char *source, char *err, size_t err_size);

//  Load the fleet's key directory (fleet->keys) as described above. NULL
//  and one line in err ("DIR/agent-3.key: ...").
ss_keyring_t *ss_keyring_load (const ss_fleet_t *fleet, char *err, size_t err_size);

//  Is this file name (no directory) one the fleet expects in its key
//  directory (NAME.key or NAME.key_secret of an expected name)?
bool ss_keyring_expected (const char *file, int count);

//  The name of a 32-byte public key, or NULL if the ring does not hold it
const char *ss_keyring_name (const ss_keyring_t *self, const uint8_t *key);

//  The 32-byte public key of name, or NULL
const uint8_t *ss_keyring_key (const ss_keyring_t *self, const char *name);

//  The file a name's key came from, or NULL
const char *ss_keyring_source (const ss_keyring_t *self, const char *name);

bool ss_keyring_has (const ss_keyring_t *self, const char *name);

//  Number of names, and the index-th (0 <= index < size), in load order
size_t ss_keyring_size (const ss_keyring_t *self);
const char *ss_keyring_name_at (const ss_keyring_t *self, size_t index);

//  Entries of the key directory that were not read (file names without
//  the directory), in directory order; at most SS_KEYRING_IGNORED_KEPT are
//  kept, ss_keyring_ignored_total counts them all
#define SS_KEYRING_IGNORED_KEPT 64
size_t ss_keyring_ignored_total (const ss_keyring_t *self);
size_t ss_keyring_ignored_count (const ss_keyring_t *self);
const char *ss_keyring_ignored (const ss_keyring_t *self, size_t index);

#endif
