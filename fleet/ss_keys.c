/*  ss_keys: the fleet's CURVE certificates. See ss_keys.h.

    A certificate is a pair of CZMQ zcert files in the fleet's key directory:
    NAME.key (public key + metadata) and NAME.key_secret (both keys, 0600).
    keygen writes metadata `name` and `fleet` for the humans reading them;
    nothing reads it back: a key is named by its file (ss_keyring).

    Files are read here rather than with zcert_load or zconfig_load:
    zcert_load silently falls back to the public file when the secret one
    is missing and truncates paths at 255 characters, neither checks that
    the two keys belong together (we do, with zmq_curve_public), and
    zconfig logs its own line about a syntax error, where we owe the
    operator one line naming the file. A file is read whole, bounded by
    SS_KEYS_MAX_FILE, after fstat says it is a regular file (and, for a
    secret, private to its owner).

    Authentication is ss_zap, started by ss_keys_start_zap: its replies set
    the ZAP user id to the key's name, which libzmq attaches to every
    message received from that peer (ss_keys_peer_name).
*/

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "ss_keys.h"
#include "ss_file.h"
#include "ss_keyring.h"
#include "ss_runlog.h"
#include "ss_zap.h"

void
ss_keys_name (int agent_id, char *out, size_t out_size)
{
    if (agent_id == SS_KEYS_OPERATOR)
        snprintf (out, out_size, "operator");
    else
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
    for (int i = SS_KEYS_OPERATOR; i < fleet->count; i++) {
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

//  A ZPL name token: what zconfig accepts in a name
static bool
s_name_char (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || strchr ("$-_@.&+/", c);
}

//  Take one Z85 key value into out [41]; 0 or -1
static int
s_key_value (const char *value, size_t length, char *out)
{
    if (length != 40)
        return -1;
    char text [41];
    memcpy (text, value, 40);
    text [40] = 0;
    uint8_t bin [32];
    if (!zmq_z85_decode (bin, text))
        return -1;
    memcpy (out, text, 41);
    return 0;
}

int
ss_keys_parse (const char *text, size_t size, char *public_z85,
               char *secret_z85, const char **problem)
{
    assert (text || size == 0);
    assert (public_z85);
    const char *local;
    if (!problem)
        problem = &local;
    bool in_curve = false, have_public = false, have_secret = false;
    size_t at = 0;
    while (at < size) {
        const char *line = text + at;
        size_t length = 0;
        while (at + length < size && line [length] != '\n')
            length++;
        at += length + 1;
        if (length && line [length - 1] == '\r')
            length--;
        for (size_t i = 0; i < length; i++)
            if ((unsigned char) line [i] < 32 && line [i] != '\t') {
                *problem = "not a text file";
                return -1;
            }
        size_t indent = 0;
        while (indent < length && line [indent] == ' ')
            indent++;
        if (indent == length || line [indent] == '#')
            continue;
        size_t end = indent;
        while (end < length && s_name_char (line [end]))
            end++;
        if (indent == 0) {
            //  A section: "curve", then nothing but blanks or a comment
            size_t rest = end;
            while (rest < length && (line [rest] == ' ' || line [rest] == '\t'))
                rest++;
            in_curve = end == 5 && memcmp (line, "curve", 5) == 0
                    && (rest == length || line [rest] == '#');
            continue;
        }
        if (!in_curve || indent != 4)
            continue;
        const char *name = line + indent;
        size_t name_length = end - indent;
        bool is_public = name_length == 10 && memcmp (name, "public-key", 10) == 0;
        bool is_secret = name_length == 10 && memcmp (name, "secret-key", 10) == 0;
        if (!is_public && !is_secret)
            continue;
        while (end < length && line [end] == ' ')
            end++;
        if (end == length || line [end] != '=') {
            *problem = is_public? "curve/public-key has no value": "curve/secret-key has no value";
            return -1;
        }
        end++;
        while (end < length && line [end] == ' ')
            end++;
        const char *value = line + end;
        size_t value_length = 0;
        if (end < length && (line [end] == '"' || line [end] == '\'')) {
            char quote = line [end];
            value++;
            while (end + 1 + value_length < length && value [value_length] != quote)
                value_length++;
            if (end + 1 + value_length == length) {
                *problem = "an unterminated quoted value";
                return -1;
            }
        }
        else
            while (end + value_length < length && value [value_length] != ' '
               &&  value [value_length] != '\t' && value [value_length] != '#')
                value_length++;
        if (is_public) {
            if (have_public) {
                *problem = "two curve/public-key values";
                return -1;
            }
            if (s_key_value (value, value_length, public_z85)) {
                *problem = "curve/public-key is not 40 Z85 characters";
                return -1;
            }
            have_public = true;
        }
        else
        if (secret_z85) {
            if (have_secret) {
                *problem = "two curve/secret-key values";
                return -1;
            }
            if (s_key_value (value, value_length, secret_z85)) {
                *problem = "curve/secret-key is not 40 Z85 characters";
                return -1;
            }
            have_secret = true;
        }
    }
    if (!have_public) {
        *problem = "no curve/public-key";
        return -1;
    }
    if (secret_z85 && !have_secret) {
        *problem = "no curve/secret-key";
        return -1;
    }
    return 0;
}

//  Read a certificate file whole into a fresh buffer; secret: refuse a
//  mode wider than 0600. NULL and a line in err (what names the file).
static char *
s_read (const char *path, const char *what, bool secret, size_t *size,
        char *err, size_t err_size)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        snprintf (err, err_size, "%s: cannot read the %s: %s%s", path, what,
                  strerror (errno), errno == ENOENT? " (run swarmshape keygen)": "");
        return NULL;
    }
    struct stat st;
    char *text = NULL;
    if (fstat (fd, &st))
        snprintf (err, err_size, "%s: cannot read the %s: %s", path, what, strerror (errno));
    else
    if (!S_ISREG (st.st_mode))
        snprintf (err, err_size, "%s: %s is not a regular file", path, what);
    else
    if (secret && (st.st_mode & 077))
        snprintf (err, err_size, "%s: secret certificate is readable by others "
                  "(mode %04o); chmod 600 it", path, (unsigned) (st.st_mode & 07777));
    else
    if (st.st_size > SS_KEYS_MAX_FILE)
        snprintf (err, err_size, "%s: %s is larger than %d bytes", path, what,
                  SS_KEYS_MAX_FILE);
    else
    if ((text = malloc ((size_t) st.st_size + 1)) == NULL)
        snprintf (err, err_size, "%s: out of memory", path);
    else {
        //  One byte more than fstat said: a file that grew is refused
        size_t have = 0, room = (size_t) st.st_size + 1;
        ssize_t got = 1;
        while (have < room && (got = read (fd, text + have, room - have)) > 0)
            have += (size_t) got;
        if (got < 0 || have > (size_t) st.st_size) {
            snprintf (err, err_size, "%s: cannot read the %s: %s", path, what,
                      got < 0? strerror (errno): "it grew while read");
            free (text);
            text = NULL;
        }
        else
            *size = have;
    }
    close (fd);
    return text;
}

zcert_t *
ss_keys_load_secret (const ss_fleet_t *fleet, const char *name,
                     char *err, size_t err_size)
{
    assert (fleet);
    assert (name);
    char path [PATH_MAX + 80];
    snprintf (path, sizeof (path), "%s/%s.key_secret", fleet->keys, name);
    size_t size = 0;
    char *text = s_read (path, "secret certificate", true, &size, err, err_size);
    if (!text)
        return NULL;
    char public_z85 [41], secret_z85 [41], derived [41];
    const char *problem = NULL;
    int rc = ss_keys_parse (text, size, public_z85, secret_z85, &problem);
    free (text);
    if (rc) {
        snprintf (err, err_size, "%s: not a CURVE secret certificate (%s)", path, problem);
        return NULL;
    }
    if (zmq_curve_public (derived, secret_z85) || strcmp (derived, public_z85)) {
        snprintf (err, err_size, "%s: the public key does not match the secret key", path);
        return NULL;
    }
    uint8_t public_key [32], secret_key [32];
    zmq_z85_decode (public_key, public_z85);
    zmq_z85_decode (secret_key, secret_z85);
    zcert_t *cert = zcert_new_from (public_key, secret_key);
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
    size_t size = 0;
    char *text = s_read (path, "public certificate", false, &size, err, err_size);
    if (!text)
        return NULL;
    char public_z85 [41];
    const char *problem = NULL;
    int rc = ss_keys_parse (text, size, public_z85, NULL, &problem);
    free (text);
    if (rc) {
        snprintf (err, err_size, "%s: not a CURVE certificate (%s)", path, problem);
        return NULL;
    }
    uint8_t public_key [32], secret_key [32] = { 0 };
    zmq_z85_decode (public_key, public_z85);
    zcert_t *cert = zcert_new_from (public_key, secret_key);
    if (!cert)
        snprintf (err, err_size, "%s: cannot create a certificate", path);
    return cert;
}

//  Log the files of the key directory the ring did not read, once
static void
s_log_ignored (const ss_fleet_t *fleet, const ss_keyring_t *ring)
{
    size_t kept = ss_keyring_ignored_count (ring), total = ss_keyring_ignored_total (ring);
    for (size_t i = 0; i < kept && i < 10; i++)
        zsys_warning ("%s/%s: not a key file of this fleet, ignored", fleet->keys,
                      ss_keyring_ignored (ring, i));
    if (total > 10)
        zsys_warning ("%s: %zu more files that are not key files of this fleet, ignored",
                      fleet->keys, total - 10);
}

ss_zap_t *
ss_keys_zap_new (const ss_fleet_t *fleet, int agent_id, bool verbose,
                 char *err, size_t err_size)
{
    assert (fleet);
    assert (agent_id < fleet->count);
    ss_keyring_t *ring = ss_keyring_load (fleet, err, err_size);
    if (!ring)
        return NULL;
    //  Our own secret must be the one our peers know
    char name [64];
    ss_keys_name (agent_id < 0? SS_KEYS_COORDINATOR: agent_id, name, sizeof name);
    zcert_t *mine = ss_keys_load_secret (fleet, name, err, err_size);
    if (mine && memcmp (zcert_public_key (mine), ss_keyring_key (ring, name), 32)) {
        snprintf (err, err_size, "%s/%s.key_secret: its public key is not the one "
                  "in %s/%s.key", fleet->keys, name, fleet->keys, name);
        zcert_destroy (&mine);
    }
    if (!mine) {
        ss_keyring_destroy (&ring);
        return NULL;
    }
    zcert_destroy (&mine);
    s_log_ignored (fleet, ring);
    ss_zap_t *zap = ss_zap_new (ring, NULL);
    ss_graph_t *graph = NULL;
    if (zap && agent_id >= 0) {
        graph = ss_fleet_graph (fleet, err, err_size);
        if (!graph)
            ss_zap_destroy (&zap);
        int degree = graph? ss_graph_degree (graph, agent_id): 0;
        const int *neighbours = graph? ss_graph_neighbours (graph, agent_id): NULL;
        for (int p = 0; p < degree; p++) {
            ss_keys_name (neighbours [p], name, sizeof name);
            ss_zap_allow (zap, name);
        }
        ss_graph_destroy (&graph);
    }
    else
    if (zap) {
        for (int i = 0; i < fleet->count; i++) {
            ss_keys_name (i, name, sizeof name);
            ss_zap_allow (zap, name);
        }
        if (ss_zap_allow (zap, "operator"))
            zsys_warning ("%s/operator.key: missing: swarmshape target and status "
                          "will be refused (run swarmshape keygen, then restart the "
                          "coordinator)", fleet->keys);
    }
    else
        snprintf (err, err_size, "%s: out of memory for the ZAP handler", fleet->keys);
    ss_keyring_destroy (&ring);
    if (zap)
        ss_zap_set_verbose (zap, verbose);
    return zap;
}

zactor_t *
ss_keys_start_zap (const ss_fleet_t *fleet, int agent_id, bool verbose,
                   char *err, size_t err_size)
{
    ss_zap_t *zap = ss_keys_zap_new (fleet, agent_id, verbose, err, err_size);
    if (!zap)
        return NULL;
    zactor_t *actor = ss_zap_start (&zap);
    if (!actor) {
        snprintf (err, err_size, "cannot bind the ZAP handler at %s (another "
                  "handler in this process?)", SS_ZAP_ENDPOINT);
        ss_zap_destroy (&zap);
    }
    return actor;
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

zsock_t *
ss_keys_handshake_watch (zsock_t *sock)
{
    assert (sock);
    static int s_watches = 0;
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://ss-keys-handshake-%d-%d",
              (int) getpid (), __atomic_fetch_add (&s_watches, 1, __ATOMIC_RELAXED));
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
        return NULL;
    zsock_t *monitor = zsock_new_pair (endpoint);
    if (!monitor)
        zmq_socket_monitor (zsock_resolve (sock), NULL, 0);
    return monitor;
}

int
ss_keys_handshake_wait (zsock_t *monitor, int timeout, volatile sig_atomic_t *stop)
{
    assert (monitor);
    int status = 0;
    zpoller_t *poller = zpoller_new (monitor, NULL);
    int64_t until = zclock_mono () + timeout;
    while (status == 0 && !(stop && *stop) && zclock_mono () < until) {
        int64_t left = until - zclock_mono ();
        if (zpoller_wait (poller, (int) (left < 100? left: 100)) != monitor)
            continue;
        zmsg_t *msg = zmsg_recv (monitor);
        zframe_t *head = msg? zmsg_first (msg): NULL;
        if (head && zframe_size (head) >= 6) {
            uint16_t event;
            uint32_t value;
            memcpy (&event, zframe_data (head), 2);
            memcpy (&value, zframe_data (head) + 2, 4);
            status = event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED? 200:
                     event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH? (value? (int) value: 400):
                     -1;
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return status;
}

void
ss_keys_handshake_unwatch (zsock_t *sock, zsock_t **monitor_p)
{
    assert (monitor_p);
    if (*monitor_p && sock)
        zmq_socket_monitor (zsock_resolve (sock), NULL, 0);
    zsock_destroy (monitor_p);
}

const char *
ss_keys_peer_name (zframe_t *frame)
{
    assert (frame);
    const char *name = zframe_meta (frame, "User-Id");
    return name && *name? name: NULL;
}
