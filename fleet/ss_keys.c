/*  ss_keys: the fleet's CURVE certificates and the ZAP handler.

    A certificate is a pair of CZMQ zcert files in the fleet's key directory:
    NAME.key (public key + metadata) and NAME.key_secret (both keys, 0600).
    Each carries metadata `name` (agent-<i> | coordinator) and `fleet`.

    Secret certificates are read with zconfig rather than zcert_load, for
    three reasons: zcert_load silently falls back to the public file when the
    secret one is missing, it truncates paths at 255 characters, and it does
    not check that the two keys belong together (we do, with
    zmq_curve_public). Permissions are checked with stat before reading.

    Authentication: zauth (CZMQ 4.2) looks the client key up in a zcertstore
    of the key directory and returns the certificate's metadata in its ZAP
    reply; libzmq then attaches it to every message received from that peer,
    so zframe_meta (frame, "name") on a frame received by a CURVE server
    names the authenticated sender. tests/unit/test_keys.c checks this
    against a real ROUTER/DEALER pair.
*/

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "ss_keys.h"
#include "ss_file.h"

void
ss_keys_name (int agent_id, char *out, size_t out_size)
{
    if (agent_id < 0)
        snprintf (out, out_size, "coordinator");
    else
        snprintf (out, out_size, "agent-%d", agent_id);
}

//  Save a certificate as zcert_save lays it out, both files atomically
//  (ss_file), the secret one 0600 from its first byte
static int
s_save_cert (zcert_t *cert, const char *path, const char *secret)
{
    int rc = 0;
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        zconfig_t *root = zconfig_new ("root", NULL);
        char *now = zclock_timestr ();
        zconfig_set_comment (root, "   ****  Generated on %s by swarmshape keygen  ****", now);
        zstr_free (&now);
        zconfig_set_comment (root, pass? "   ZeroMQ CURVE **Secret** Certificate":
                                         "   ZeroMQ CURVE Public Certificate");
        zconfig_set_comment (root, pass? "   DO NOT PROVIDE THIS FILE TO OTHER USERS "
                                         "nor change its permissions.":
                                         "   Exchange securely, or verify it after exchange.");
        zconfig_t *meta = zconfig_new ("metadata", root);
        zlist_t *keys = zcert_meta_keys (cert);
        for (const char *key = keys? zlist_first (keys): NULL; key; key = zlist_next (keys))
            zconfig_set_value (zconfig_new (key, meta), "%s", zcert_meta (cert, key));
        zlist_destroy (&keys);
        zconfig_put (root, "/curve/public-key", zcert_public_txt (cert));
        if (pass)
            zconfig_put (root, "/curve/secret-key", zcert_secret_txt (cert));
        char *text = zconfig_str_save (root);
        rc = text? ss_file_write_atomic (pass? secret: path, text, strlen (text),
                                         pass? 0600: 0644): -1;
        zstr_free (&text);
        zconfig_destroy (&root);
    }
    return rc;
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

int
ss_keys_generate (const ss_fleet_t *fleet, bool force, char *err, size_t err_size)
{
    assert (fleet);
    if (ss_mkdirs (fleet->keys, 0700)) {
        snprintf (err, err_size, "%s: cannot create the key directory: %s",
                  fleet->keys, strerror (errno));
        return -1;
    }
    chmod (fleet->keys, 0700);
    int written = 0;
    for (int i = -1; i < fleet->count; i++) {
        char name [64], path [PATH_MAX + 64], secret [PATH_MAX + 80];
        ss_keys_name (i, name, sizeof (name));
        if (snprintf (path, sizeof (path), "%s/%s.key", fleet->keys, name)
                >= (int) sizeof (path)
        ||  snprintf (secret, sizeof (secret), "%s_secret", path)
                >= (int) sizeof (secret)) {
            snprintf (err, err_size, "%s: key directory path too long", fleet->keys);
            return -1;
        }
        if (!force && s_exists (path) && s_exists (secret))
            continue;
        zcert_t *cert = zcert_new ();
        if (!cert) {
            snprintf (err, err_size, "%s: cannot create a certificate", path);
            return -1;
        }
        zcert_set_meta (cert, "name", "%s", name);
        zcert_set_meta (cert, "fleet", "%s", fleet->name);
        int rc = s_save_cert (cert, path, secret);
        zcert_destroy (&cert);
        if (rc) {
            snprintf (err, err_size, "%s: cannot write the certificate: %s",
                      path, strerror (errno));
            return -1;
        }
        written++;
    }
    return written;
}

//  Read one Z85 key of a zcert file into out (41 bytes); 0 or -1
static int
s_read_key (zconfig_t *root, const char *key_path, char *out)
{
    const char *text = zconfig_get (root, key_path, NULL);
    if (!text || strlen (text) != 40)
        return -1;
    uint8_t bin [32];
    if (!zmq_z85_decode (bin, text))
        return -1;
    memcpy (out, text, 41);
    return 0;
}

//  Build a zcert from a zconfig tree (public and, if secret_z85, secret)
static zcert_t *
s_cert_from (zconfig_t *root, const char *public_z85, const char *secret_z85)
{
    uint8_t public_key [32], secret_key [32] = { 0 };
    zmq_z85_decode (public_key, public_z85);
    if (secret_z85)
        zmq_z85_decode (secret_key, secret_z85);
    zcert_t *cert = zcert_new_from (public_key, secret_key);
    if (!cert)
        return NULL;
    zconfig_t *meta = zconfig_locate (root, "metadata");
    for (zconfig_t *item = meta? zconfig_child (meta): NULL; item;
         item = zconfig_next (item))
        zcert_set_meta (cert, zconfig_name (item), "%s", zconfig_value (item));
    return cert;
}

zcert_t *
ss_keys_load_secret (const ss_fleet_t *fleet, const char *name,
                     char *err, size_t err_size)
{
    assert (fleet);
    assert (name);
    char path [PATH_MAX + 80];
    snprintf (path, sizeof (path), "%s/%s.key_secret", fleet->keys, name);
    struct stat st;
    if (stat (path, &st)) {
        snprintf (err, err_size, "%s: cannot read the secret certificate: %s%s",
                  path, strerror (errno),
                  errno == ENOENT? " (run swarmshape keygen)": "");
        return NULL;
    }
    if (!S_ISREG (st.st_mode)) {
        snprintf (err, err_size, "%s: secret certificate is not a regular file", path);
        return NULL;
    }
    if (st.st_mode & 077) {
        snprintf (err, err_size, "%s: secret certificate is readable by others "
                  "(mode %04o); chmod 600 it", path, (unsigned) (st.st_mode & 07777));
        return NULL;
    }
    if (access (path, R_OK)) {
        snprintf (err, err_size, "%s: cannot read the secret certificate: %s",
                  path, strerror (errno));
        return NULL;
    }
    zconfig_t *root = zconfig_load (path);
    char public_z85 [41], secret_z85 [41], derived [41];
    if (!root
    ||  s_read_key (root, "curve/public-key", public_z85)
    ||  s_read_key (root, "curve/secret-key", secret_z85)) {
        snprintf (err, err_size, "%s: not a CURVE secret certificate "
                  "(curve/public-key and curve/secret-key, 40 Z85 characters each)", path);
        zconfig_destroy (&root);
        return NULL;
    }
    if (zmq_curve_public (derived, secret_z85) || strcmp (derived, public_z85)) {
        snprintf (err, err_size, "%s: the public key does not match the secret key", path);
        zconfig_destroy (&root);
        return NULL;
    }
    zcert_t *cert = s_cert_from (root, public_z85, secret_z85);
    zconfig_destroy (&root);
    if (!cert)
        snprintf (err, err_size, "%s: cannot create a certificate", path);
    return cert;
}

zcert_t *
ss_keys_load_public (const ss_fleet_t *fleet, const char *name,
                     char *err, size_t err_size)
{
    assert (fleet);
    assert (name);
    char path [PATH_MAX + 80];
    snprintf (path, sizeof (path), "%s/%s.key", fleet->keys, name);
    if (access (path, R_OK)) {
        snprintf (err, err_size, "%s: cannot read the public certificate: %s%s",
                  path, strerror (errno),
                  errno == ENOENT? " (run swarmshape keygen)": "");
        return NULL;
    }
    zconfig_t *root = zconfig_load (path);
    char public_z85 [41];
    if (!root || s_read_key (root, "curve/public-key", public_z85)) {
        snprintf (err, err_size, "%s: not a CURVE certificate "
                  "(curve/public-key, 40 Z85 characters)", path);
        zconfig_destroy (&root);
        return NULL;
    }
    zcert_t *cert = s_cert_from (root, public_z85, NULL);
    zconfig_destroy (&root);
    if (!cert)
        snprintf (err, err_size, "%s: cannot create a certificate", path);
    return cert;
}

zactor_t *
ss_keys_start_auth (const ss_fleet_t *fleet, bool verbose,
                    char *err, size_t err_size)
{
    assert (fleet);
    struct stat st;
    if (stat (fleet->keys, &st) || !S_ISDIR (st.st_mode)) {
        snprintf (err, err_size, "%s: no key directory (run swarmshape keygen)",
                  fleet->keys);
        return NULL;
    }
    zactor_t *auth = zactor_new (zauth, NULL);
    if (!auth) {
        snprintf (err, err_size, "cannot start the ZAP handler (zauth)");
        return NULL;
    }
    if (verbose) {
        zstr_send (auth, "VERBOSE");
        zsock_wait (auth);
    }
    zstr_sendx (auth, "CURVE", fleet->keys, NULL);
    zsock_wait (auth);
    return auth;
}

void
ss_keys_apply_server (zsock_t *sock, zcert_t *cert)
{
    assert (sock);
    assert (cert);
    zcert_apply (cert, sock);
    zsock_set_curve_server (sock, 1);
}

void
ss_keys_apply_client (zsock_t *sock, zcert_t *cert, const char *server_public)
{
    assert (sock);
    assert (cert);
    assert (server_public);
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, server_public);
}

const char *
ss_keys_peer_name (zframe_t *frame)
{
    assert (frame);
    return zframe_meta (frame, "name");
}
