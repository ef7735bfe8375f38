/*  ss_keyring: the fleet's public keys, named by file name. See ss_keyring.h.

    Two hash tables (zhashx) map a name and a key (Z85 text) to an entry of
    one array; values are entry indices + 1, so the array may grow.
*/

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "ss_keyring.h"
#include "ss_keys.h"

typedef struct {
    char name [SS_KEYRING_NAME_MAX];
    uint8_t key [32];
    char *source;
} s_entry_t;

struct _ss_keyring_t {
    s_entry_t *entries;
    size_t size, capacity;
    zhashx_t *by_name;
    zhashx_t *by_key;
    char *ignored [SS_KEYRING_IGNORED_KEPT];
    size_t n_ignored, ignored_total;
};

ss_keyring_t *
ss_keyring_new (void)
{
    ss_keyring_t *self = calloc (1, sizeof (ss_keyring_t));
    if (!self)
        return NULL;
    self->by_name = zhashx_new ();
    self->by_key = zhashx_new ();
    if (!self->by_name || !self->by_key)
        ss_keyring_destroy (&self);
    return self;
}

void
ss_keyring_destroy (ss_keyring_t **self_p)
{
    assert (self_p);
    ss_keyring_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->size; i++)
        free (self->entries [i].source);
    free (self->entries);
    for (size_t i = 0; i < self->n_ignored; i++)
        free (self->ignored [i]);
    zhashx_destroy (&self->by_name);
    zhashx_destroy (&self->by_key);
    free (self);
    *self_p = NULL;
}

static const s_entry_t *
s_find (const ss_keyring_t *self, zhashx_t *table, const char *text)
{
    uintptr_t at = (uintptr_t) zhashx_lookup (table, text);
    return at? &self->entries [at - 1]: NULL;
}

int
ss_keyring_add (ss_keyring_t *self, const char *name, const uint8_t *key,
                const char *source, char *err, size_t err_size)
{
    assert (self);
    assert (name);
    assert (key);
    if (!source)
        source = name;
    size_t length = strlen (name);
    if (length == 0 || length >= SS_KEYRING_NAME_MAX) {
        snprintf (err, err_size, "%s: key name '%.40s' is empty or too long", source, name);
        return -1;
    }
    char z85 [41];
    zmq_z85_encode (z85, key, 32);
    const s_entry_t *other = s_find (self, self->by_key, z85);
    if (other) {
        snprintf (err, err_size, "%s: same public key as %s", source, other->source);
        return -1;
    }
    other = s_find (self, self->by_name, name);
    if (other) {
        snprintf (err, err_size, "%s: a key named %s was already read from %s",
                  source, name, other->source);
        return -1;
    }
    if (self->size == self->capacity) {
        size_t capacity = self->capacity? 2 * self->capacity: 16;
        s_entry_t *entries = realloc (self->entries, capacity * sizeof (s_entry_t));
        if (!entries) {
            snprintf (err, err_size, "%s: out of memory", source);
            return -1;
        }
        self->entries = entries;
        self->capacity = capacity;
    }
    s_entry_t *entry = &self->entries [self->size];
    memcpy (entry->name, name, length + 1);
    memcpy (entry->key, key, 32);
    entry->source = strdup (source);
    if (!entry->source) {
        snprintf (err, err_size, "%s: out of memory", source);
        return -1;
    }
    void *at = (void *) (uintptr_t) (self->size + 1);
    if (zhashx_insert (self->by_name, name, at)
    ||  zhashx_insert (self->by_key, z85, at)) {
        zhashx_delete (self->by_name, name);
        free (entry->source);
        snprintf (err, err_size, "%s: out of memory", source);
        return -1;
    }
    self->size++;
    return 0;
}

//  Parse "agent-<i>" with i canonical decimal in [0, count); true if so
static bool
s_agent_name (const char *text, size_t length, int count)
{
    if (length < 7 || memcmp (text, "agent-", 6))
        return false;
    const char *digits = text + 6;
    size_t n = length - 6;
    if (n > 6 || (n > 1 && digits [0] == '0'))
        return false;
    long value = 0;
    for (size_t i = 0; i < n; i++) {
        if (digits [i] < '0' || digits [i] > '9')
            return false;
        value = 10 * value + (digits [i] - '0');
    }
    return value < count;
}

bool
ss_keyring_expected (const char *file, int count)
{
    assert (file);
    size_t length = strlen (file);
    size_t stem;
    if (length > 11 && streq (file + length - 11, ".key_secret"))
        stem = length - 11;
    else
    if (length > 4 && streq (file + length - 4, ".key"))
        stem = length - 4;
    else
        return false;
    return (stem == 11 && memcmp (file, "coordinator", 11) == 0)
        || (stem == 8 && memcmp (file, "operator", 8) == 0)
        || s_agent_name (file, stem, count);
}

//  Read one expected public file into the ring; 1 if absent and optional
static int
s_load_one (ss_keyring_t *self, const ss_fleet_t *fleet, const char *name,
            bool optional, char *err, size_t err_size)
{
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/%s.key", fleet->keys, name);
    zcert_t *cert = ss_keys_load_public (fleet, name, err, err_size);
    if (!cert) {
        struct stat st;
        if (optional && lstat (path, &st) && errno == ENOENT)
            return 1;
        return -1;
    }
    int rc = ss_keyring_add (self, name, zcert_public_key (cert), path, err, err_size);
    zcert_destroy (&cert);
    return rc;
}

ss_keyring_t *
ss_keyring_load (const ss_fleet_t *fleet, char *err, size_t err_size)
{
    assert (fleet);
    struct stat st;
    if (stat (fleet->keys, &st) || !S_ISDIR (st.st_mode)) {
        snprintf (err, err_size, "%s: no key directory (run swarmshape keygen)",
                  fleet->keys);
        return NULL;
    }
    ss_keyring_t *self = ss_keyring_new ();
    if (!self) {
        snprintf (err, err_size, "%s: out of memory", fleet->keys);
        return NULL;
    }
    int rc = 0;
    char name [SS_KEYRING_NAME_MAX];
    for (int i = 0; rc == 0 && i < fleet->count; i++) {
        ss_keys_name (i, name, sizeof name);
        rc = s_load_one (self, fleet, name, false, err, err_size);
    }
    if (rc == 0)
        rc = s_load_one (self, fleet, "coordinator", false, err, err_size);
    if (rc == 0 && s_load_one (self, fleet, "operator", true, err, err_size) < 0)
        rc = -1;
    DIR *dir = rc == 0? opendir (fleet->keys): NULL;
    if (rc == 0 && !dir) {
        snprintf (err, err_size, "%s: cannot list the key directory: %s",
                  fleet->keys, strerror (errno));
        rc = -1;
    }
    struct dirent *entry;
    while (dir && (entry = readdir (dir))) {
        if (streq (entry->d_name, ".") || streq (entry->d_name, "..")
        ||  ss_keyring_expected (entry->d_name, fleet->count))
            continue;
        if (self->n_ignored < SS_KEYRING_IGNORED_KEPT) {
            char *copy = strdup (entry->d_name);
            if (copy)
                self->ignored [self->n_ignored++] = copy;
        }
        self->ignored_total++;
    }
    if (dir)
        closedir (dir);
    if (rc)
        ss_keyring_destroy (&self);
    return self;
}

const char *
ss_keyring_name (const ss_keyring_t *self, const uint8_t *key)
{
    assert (self);
    assert (key);
    char z85 [41];
    zmq_z85_encode (z85, key, 32);
    const s_entry_t *entry = s_find (self, self->by_key, z85);
    return entry? entry->name: NULL;
}

const uint8_t *
ss_keyring_key (const ss_keyring_t *self, const char *name)
{
    assert (self);
    const s_entry_t *entry = name? s_find (self, self->by_name, name): NULL;
    return entry? entry->key: NULL;
}

const char *
ss_keyring_source (const ss_keyring_t *self, const char *name)
{
    assert (self);
    const s_entry_t *entry = name? s_find (self, self->by_name, name): NULL;
    return entry? entry->source: NULL;
}

bool
ss_keyring_has (const ss_keyring_t *self, const char *name)
{
    return ss_keyring_key (self, name) != NULL;
}

size_t
ss_keyring_size (const ss_keyring_t *self)
{
    assert (self);
    return self->size;
}

const char *
ss_keyring_name_at (const ss_keyring_t *self, size_t index)
{
    assert (self);
    return index < self->size? self->entries [index].name: NULL;
}

size_t
ss_keyring_ignored_total (const ss_keyring_t *self)
{
    assert (self);
    return self->ignored_total;
}

size_t
ss_keyring_ignored_count (const ss_keyring_t *self)
{
    assert (self);
    return self->n_ignored;
}

const char *
ss_keyring_ignored (const ss_keyring_t *self, size_t index)
{
    assert (self);
    return index < self->n_ignored? self->ignored [index]: NULL;
}
