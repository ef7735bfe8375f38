/*  ss_proto: encoders and decoders of the swarmshape wire protocol.

    Encoding goes through msgpack-c's packer into a buffer: the caller's
    (a fixed buffer: the `_into` encoders, which allocate nothing) or an
    sbuffer handed to the caller. Before packing, every encoder runs the
    same checks as the decoder (lengths, ranges, finiteness), so what we
    send is what a peer accepts.

    Decoding is a hand-written cursor over (data, size). It reads exactly
    the schema of one message: an outer array, then each field in order,
    each one a scalar of the expected msgpack family or an array whose
    length is checked against its bounds BEFORE any element is read. It
    allocates nothing, never recurses, never reads past size, and turns
    every problem into an ss_proto_err_t. Where an integer is expected it
    accepts every msgpack int/uint encoding (so a peer may pack compactly
    or not); where a double is expected it accepts float64, float32 and
    integers. Containers, nil, bool, str, bin and ext where a scalar is
    expected are ETYPE; a grid is a msgpack bin (str is ETYPE there).

    Order of checks on the outer array: its length must be at least 6
    (the header), then version and type are checked, and only then the
    exact length of the message. So a frame from a future version is
    reported as "wrong version", not as "wrong length".

    Length fields that an array already carries (k, n_counters, the
    number of mixture components, the grid's size) are not on the wire;
    dim is, because several arrays (x, x0, every mean) must agree with it.
*/
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include "ss_proto.h"

#define SS_HEADER_FIELDS    6
#define SS_ESTIMATE_FIELDS  (SS_HEADER_FIELDS + 3)  //  degree, theta, mass
#define SS_HEARTBEAT_FIELDS (SS_HEADER_FIELDS + 3)  //  degree, state, want
#define SS_REPORT_FIELDS    (SS_HEADER_FIELDS + 7)  //  dim x x0 step theta s counters
#define SS_TARGET_FIELDS    (SS_HEADER_FIELDS + 4)  //  switch_round, dim, mixture, grid
#define SS_CONTROL_FIELDS   (SS_HEADER_FIELDS + 2)  //  command, arg
#define SS_COMPONENT_FIELDS 3                       //  weight, mean, std

#define SS_HEARTBEAT_MAX_STATE SS_STATE_STOPPING

//  --------------------------------------------------------------------------
//  Checks shared by encoders and decoders

static int
s_check_double (double value)
{
    if (!isfinite (value))
        return SS_PROTO_ENONFINITE;
    if (fabs (value) > SS_PROTO_MAX_MAGNITUDE)
        return SS_PROTO_ERANGE;
    return 0;
}

static int
s_check_doubles (const double *values, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int rc = s_check_double (values [i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_check_positive (double value)
{
    int rc = s_check_double (value);
    if (rc)
        return rc;
    return value > 0? 0: SS_PROTO_ERANGE;
}

static int
s_check_estimate (const ss_estimate_t *msg)
{
    if (msg->k < 1 || msg->k > SS_MAX_K)
        return SS_PROTO_ELENGTH;
    return s_check_doubles (msg->theta, msg->k);
}

static int
s_check_heartbeat (const ss_heartbeat_t *msg)
{
    return msg->state > SS_HEARTBEAT_MAX_STATE? SS_PROTO_ERANGE: 0;
}

static int
s_check_step (double step)
{
    int rc = s_check_double (step);
    if (rc)
        return rc;
    return step < 0? SS_PROTO_ERANGE: 0;
}

static int
s_check_report (const ss_report_t *msg)
{
    if (msg->dim < 1 || msg->dim > SS_MAX_DIM)
        return SS_PROTO_ERANGE;
    if (msg->k < 1 || msg->k > SS_MAX_K
    ||  msg->n_counters > SS_PROTO_MAX_COUNTERS)
        return SS_PROTO_ELENGTH;
    int rc = s_check_doubles (msg->x, msg->dim);
    if (rc == 0)
        rc = s_check_doubles (msg->x0, msg->dim);
    if (rc == 0)
        rc = s_check_step (msg->step);
    if (rc == 0)
        rc = s_check_doubles (msg->theta, msg->k);
    if (rc == 0)
        rc = s_check_doubles (msg->s, msg->k);
    return rc;
}

static int
s_check_target (const ss_target_t *msg)
{
    if (msg->dim < 1 || msg->dim > SS_MAX_DIM)
        return SS_PROTO_ERANGE;
    const ss_mixture_t *mix = &msg->mixture;
    if (mix->count < 0 || mix->count > SS_MAX_COMPONENTS
    ||  mix->cells < 0 || mix->cells > SS_PROTO_MAX_GRID
    ||  (mix->count == 0 && mix->cells == 0))
        return SS_PROTO_ELENGTH;
    for (int i = 0; i < mix->count; i++) {
        const ss_component_t *comp = &mix->comp [i];
        int rc = s_check_positive (comp->weight);
        if (rc == 0)
            rc = s_check_doubles (comp->mean, msg->dim);
        if (rc == 0)
            rc = s_check_positive (comp->std);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_check_control (const ss_control_t *msg)
{
    return msg->command == SS_CONTROL_STOP || msg->command == SS_CONTROL_STATUS?
           0: SS_PROTO_ERANGE;
}

//  --------------------------------------------------------------------------
//  Encoding: one packer over a sink, the caller's fixed buffer or an sbuffer

typedef struct {
    uint8_t *buf;               //  fixed buffer (NULL: the sbuffer)
    size_t cap, used;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    int failed;                 //  sticky: any packer call failed
} s_encoder_t;

static int
s_fixed_write (void *data, const char *bytes, size_t len)
{
    s_encoder_t *self = (s_encoder_t *) data;
    if (self->cap - self->used < len)
        return -1;
    memcpy (self->buf + self->used, bytes, len);
    self->used += len;
    return 0;
}

static void
s_encoder_init (s_encoder_t *self, uint8_t *buf, size_t cap)
{
    self->buf = buf;
    self->cap = cap;
    self->used = 0;
    self->failed = 0;
    if (buf)
        msgpack_packer_init (&self->pk, self, s_fixed_write);
    else {
        msgpack_sbuffer_init (&self->sbuf);
        msgpack_packer_init (&self->pk, &self->sbuf, msgpack_sbuffer_write);
    }
}

static void
s_pack_array (s_encoder_t *self, size_t n)
{
    if (msgpack_pack_array (&self->pk, n))
        self->failed = 1;
}

static void
s_pack_uint (s_encoder_t *self, uint64_t value)
{
    if (msgpack_pack_uint64 (&self->pk, value))
        self->failed = 1;
}

static void
s_pack_double (s_encoder_t *self, double value)
{
    if (msgpack_pack_double (&self->pk, value))
        self->failed = 1;
}

static void
s_pack_doubles (s_encoder_t *self, const double *values, size_t count)
{
    s_pack_array (self, count);
    for (size_t i = 0; i < count; i++)
        s_pack_double (self, values [i]);
}

static void
s_pack_uints (s_encoder_t *self, const uint64_t *values, size_t count)
{
    s_pack_array (self, count);
    for (size_t i = 0; i < count; i++)
        s_pack_uint (self, values [i]);
}

static void
s_pack_bin (s_encoder_t *self, const uint8_t *bytes, size_t len)
{
    if (msgpack_pack_bin_with_body (&self->pk, bytes, len))
        self->failed = 1;
}

//  Outer array and header; version and type are the encoder's, not the
//  caller's, so a caller need not fill them.
static void
s_pack_header (s_encoder_t *self, size_t fields, uint32_t type,
               const ss_header_t *hdr)
{
    s_pack_array (self, fields);
    s_pack_uint (self, SS_PROTO_VERSION);
    s_pack_uint (self, type);
    s_pack_uint (self, hdr->fleet);
    s_pack_uint (self, hdr->epoch);
    s_pack_uint (self, hdr->round);
    s_pack_uint (self, hdr->sender);
}

//  0 and the frame's size, or an error (an sbuffer is freed on error)
static int
s_encoder_size (s_encoder_t *self, size_t *size)
{
    size_t used = self->buf? self->used: self->sbuf.size;
    int rc = self->failed? SS_PROTO_ENOMEM
           : used > SS_PROTO_MAX_FRAME? SS_PROTO_ETOOBIG: 0;
    if (rc && !self->buf)
        msgpack_sbuffer_destroy (&self->sbuf);
    if (rc == 0)
        *size = used;
    return rc;
}

//  Hand the sbuffer to the caller, or free it and return an error
static int
s_encoder_release (s_encoder_t *self, uint8_t **data, size_t *size)
{
    int rc = s_encoder_size (self, size);
    if (rc == 0)
        *data = (uint8_t *) msgpack_sbuffer_release (&self->sbuf);
    return rc;
}

//  The body of each message, packed by one function per type
static void
s_pack_estimate (s_encoder_t *enc, const ss_estimate_t *msg)
{
    s_pack_header (enc, SS_ESTIMATE_FIELDS, SS_MSG_ESTIMATE, &msg->hdr);
    s_pack_uint (enc, msg->degree);
    s_pack_doubles (enc, msg->theta, msg->k);
    s_pack_uints (enc, msg->mass, msg->k);
}

static void
s_pack_heartbeat (s_encoder_t *enc, const ss_heartbeat_t *msg)
{
    s_pack_header (enc, SS_HEARTBEAT_FIELDS, SS_MSG_HEARTBEAT, &msg->hdr);
    s_pack_uint (enc, msg->degree);
    s_pack_uint (enc, msg->state);
    s_pack_uint (enc, msg->want);
}

static void
s_pack_report (s_encoder_t *enc, const ss_report_t *msg)
{
    s_pack_header (enc, SS_REPORT_FIELDS, SS_MSG_REPORT, &msg->hdr);
    s_pack_uint (enc, msg->dim);
    s_pack_doubles (enc, msg->x, msg->dim);
    s_pack_doubles (enc, msg->x0, msg->dim);
    s_pack_double (enc, msg->step);
    s_pack_doubles (enc, msg->theta, msg->k);
    s_pack_doubles (enc, msg->s, msg->k);
    s_pack_uints (enc, msg->counters, msg->n_counters);
}

static void
s_pack_target (s_encoder_t *enc, const ss_target_t *msg)
{
    s_pack_header (enc, SS_TARGET_FIELDS, SS_MSG_TARGET, &msg->hdr);
    s_pack_uint (enc, msg->switch_round);
    s_pack_uint (enc, msg->dim);
    s_pack_array (enc, (size_t) msg->mixture.count);
    for (int i = 0; i < msg->mixture.count; i++) {
        const ss_component_t *comp = &msg->mixture.comp [i];
        s_pack_array (enc, SS_COMPONENT_FIELDS);
        s_pack_double (enc, comp->weight);
        s_pack_doubles (enc, comp->mean, msg->dim);
        s_pack_double (enc, comp->std);
    }
    s_pack_bin (enc, msg->mixture.level, (size_t) msg->mixture.cells);
}

static void
s_pack_control (s_encoder_t *enc, const ss_control_t *msg)
{
    s_pack_header (enc, SS_CONTROL_FIELDS, SS_MSG_CONTROL, &msg->hdr);
    s_pack_uint (enc, msg->command);
    s_pack_uint (enc, msg->arg);
}

//  Both encoders of each message type: check, pack, finish
#define S_ENCODERS(name) \
int \
ss_##name##_encode_into (const ss_##name##_t *msg, uint8_t *buf, size_t cap, \
                         size_t *size) \
{ \
    assert (msg && buf && size); \
    int rc = s_check_##name (msg); \
    if (rc) \
        return rc; \
    s_encoder_t enc; \
    s_encoder_init (&enc, buf, cap); \
    s_pack_##name (&enc, msg); \
    return s_encoder_size (&enc, size); \
} \
int \
ss_##name##_encode (const ss_##name##_t *msg, uint8_t **data, size_t *size) \
{ \
    assert (msg && data && size); \
    int rc = s_check_##name (msg); \
    if (rc) \
        return rc; \
    s_encoder_t enc; \
    s_encoder_init (&enc, NULL, 0); \
    s_pack_##name (&enc, msg); \
    return s_encoder_release (&enc, data, size); \
}

S_ENCODERS (estimate)
S_ENCODERS (heartbeat)
S_ENCODERS (report)
S_ENCODERS (target)
S_ENCODERS (control)

//  Bounds of the largest frames: header 6 x 9 bytes + 5 (array32), each
//  array 5 bytes of header, 9 bytes a value
size_t
ss_estimate_max_size (uint32_t k)
{
    return 5 + 6 * 9 + 9 + 2 * (5 + 9 * (size_t) k);
}

size_t
ss_report_max_size (uint32_t k)
{
    return 5 + 6 * 9 + 9 + 2 * (5 + 9 * SS_MAX_DIM) + 9
         + 2 * (5 + 9 * (size_t) k) + 5 + 9 * SS_PROTO_MAX_COUNTERS;
}

//  --------------------------------------------------------------------------
//  Decoding: a bounded cursor

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;                 //  invariant: pos <= size
} s_cursor_t;

//  Take n bytes, or fail without moving
static const uint8_t *
s_take (s_cursor_t *self, size_t n)
{
    if (self->size - self->pos < n)
        return NULL;
    const uint8_t *bytes = self->data + self->pos;
    self->pos += n;
    return bytes;
}

static uint64_t
s_be (const uint8_t *bytes, size_t n)
{
    uint64_t value = 0;
    for (size_t i = 0; i < n; i++)
        value = (value << 8) | bytes [i];
    return value;
}

//  Read an array header; its length goes to *count
static int
s_read_array (s_cursor_t *self, uint32_t *count)
{
    const uint8_t *tag = s_take (self, 1);
    if (!tag)
        return SS_PROTO_ETRUNCATED;
    size_t width;
    if ((*tag & 0xf0) == 0x90) {
        *count = *tag & 0x0f;
        return 0;
    }
    else
    if (*tag == 0xdc)
        width = 2;
    else
    if (*tag == 0xdd)
        width = 4;
    else
        return SS_PROTO_ETYPE;
    const uint8_t *bytes = s_take (self, width);
    if (!bytes)
        return SS_PROTO_ETRUNCATED;
    *count = (uint32_t) s_be (bytes, width);
    return 0;
}

//  Read any msgpack integer. A non-negative value goes to *value with
//  *negative false; a negative one goes to *signed_value with *negative
//  true.
static int
s_read_int (s_cursor_t *self, uint64_t *value, int64_t *signed_value,
            bool *negative)
{
    const uint8_t *tag = s_take (self, 1);
    if (!tag)
        return SS_PROTO_ETRUNCATED;
    uint8_t t = *tag;
    *negative = false;
    if (t <= 0x7f) {
        *value = t;
        return 0;
    }
    if (t >= 0xe0) {
        *negative = true;
        *signed_value = (int8_t) t;
        return 0;
    }
    size_t width;
    bool is_signed;
    switch (t) {
        case 0xcc: width = 1; is_signed = false; break;
        case 0xcd: width = 2; is_signed = false; break;
        case 0xce: width = 4; is_signed = false; break;
        case 0xcf: width = 8; is_signed = false; break;
        case 0xd0: width = 1; is_signed = true; break;
        case 0xd1: width = 2; is_signed = true; break;
        case 0xd2: width = 4; is_signed = true; break;
        case 0xd3: width = 8; is_signed = true; break;
        default: return SS_PROTO_ETYPE;
    }
    const uint8_t *bytes = s_take (self, width);
    if (!bytes)
        return SS_PROTO_ETRUNCATED;
    uint64_t raw = s_be (bytes, width);
    if (is_signed && (bytes [0] & 0x80)) {
        //  Sign-extend from width bytes
        unsigned shift = (unsigned) (64 - 8 * width);
        *negative = true;
        *signed_value = (int64_t) (raw << shift) >> shift;
    }
    else
        *value = raw;
    return 0;
}

//  Read an unsigned integer no larger than max
static int
s_read_uint (s_cursor_t *self, uint64_t max, uint64_t *value)
{
    int64_t signed_value;
    bool negative;
    int rc = s_read_int (self, value, &signed_value, &negative);
    if (rc)
        return rc;
    if (negative || *value > max)
        return SS_PROTO_ERANGE;
    return 0;
}

static int
s_read_u32 (s_cursor_t *self, uint32_t *value)
{
    uint64_t wide;
    int rc = s_read_uint (self, UINT32_MAX, &wide);
    if (rc == 0)
        *value = (uint32_t) wide;
    return rc;
}

static int
s_read_u64 (s_cursor_t *self, uint64_t *value)
{
    return s_read_uint (self, UINT64_MAX, value);
}

//  Read a number as a double: float64, float32 or any integer. Checks
//  finiteness and magnitude.
static int
s_read_double (s_cursor_t *self, double *value)
{
    if (self->pos >= self->size)
        return SS_PROTO_ETRUNCATED;
    uint8_t t = self->data [self->pos];
    if (t == 0xca || t == 0xcb) {
        self->pos++;
        size_t width = t == 0xca? 4: 8;
        const uint8_t *bytes = s_take (self, width);
        if (!bytes)
            return SS_PROTO_ETRUNCATED;
        uint64_t raw = s_be (bytes, width);
        if (width == 4) {
            uint32_t raw32 = (uint32_t) raw;
            float single;
            memcpy (&single, &raw32, sizeof single);
            *value = single;
        }
        else
            memcpy (value, &raw, sizeof *value);
    }
    else
    if (t <= 0x7f || t >= 0xcc) {
        uint64_t wide;
        int64_t signed_value;
        bool negative;
        int rc = s_read_int (self, &wide, &signed_value, &negative);
        if (rc)
            return rc;
        *value = negative? (double) signed_value: (double) wide;
    }
    else
        return SS_PROTO_ETYPE;
    return s_check_double (*value);
}

//  Read an array of exactly `expected` doubles
static int
s_read_doubles_exact (s_cursor_t *self, uint32_t expected, double *values)
{
    uint32_t count;
    int rc = s_read_array (self, &count);
    if (rc)
        return rc;
    if (count != expected)
        return SS_PROTO_ELENGTH;
    for (uint32_t i = 0; i < count; i++) {
        rc = s_read_double (self, &values [i]);
        if (rc)
            return rc;
    }
    return 0;
}

//  Read an array of 1..max doubles, its length to *count
static int
s_read_doubles_upto (s_cursor_t *self, uint32_t max, double *values,
                     uint32_t *count)
{
    int rc = s_read_array (self, count);
    if (rc)
        return rc;
    if (*count < 1 || *count > max)
        return SS_PROTO_ELENGTH;
    for (uint32_t i = 0; i < *count; i++) {
        rc = s_read_double (self, &values [i]);
        if (rc)
            return rc;
    }
    return 0;
}

//  Read theta and s: two arrays of the same length 1..SS_MAX_K
static int
s_read_theta_s (s_cursor_t *self, uint32_t *k, double *theta, double *s)
{
    int rc = s_read_doubles_upto (self, SS_MAX_K, theta, k);
    if (rc == 0)
        rc = s_read_doubles_exact (self, *k, s);
    return rc;
}

//  Read an array of exactly `expected` uint64
static int
s_read_uints_exact (s_cursor_t *self, uint32_t expected, uint64_t *values)
{
    uint32_t count;
    int rc = s_read_array (self, &count);
    if (rc)
        return rc;
    if (count != expected)
        return SS_PROTO_ELENGTH;
    for (uint32_t i = 0; rc == 0 && i < count; i++)
        rc = s_read_u64 (self, &values [i]);
    return rc;
}

//  Read a bin of at most max bytes into out, its length to *len
static int
s_read_bin (s_cursor_t *self, size_t max, uint8_t *out, int *len)
{
    const uint8_t *tag = s_take (self, 1);
    if (!tag)
        return SS_PROTO_ETRUNCATED;
    size_t width;
    switch (*tag) {
        case 0xc4: width = 1; break;
        case 0xc5: width = 2; break;
        case 0xc6: width = 4; break;
        default: return SS_PROTO_ETYPE;
    }
    const uint8_t *bytes = s_take (self, width);
    if (!bytes)
        return SS_PROTO_ETRUNCATED;
    uint64_t n = s_be (bytes, width);
    if (n > max)
        return SS_PROTO_ELENGTH;
    const uint8_t *body = s_take (self, (size_t) n);
    if (!body)
        return SS_PROTO_ETRUNCATED;
    memcpy (out, body, (size_t) n);
    *len = (int) n;
    return 0;
}

//  Start a decode: frame size, outer array, header. *fields gets the
//  outer array's length (at least 6).
static int
s_read_header (s_cursor_t *self, const uint8_t *data, size_t size,
               ss_header_t *hdr, uint32_t *fields)
{
    if (size > SS_PROTO_MAX_FRAME)
        return SS_PROTO_ETOOBIG;
    self->data = data;
    self->size = data? size: 0;
    self->pos = 0;

    int rc = s_read_array (self, fields);
    if (rc)
        return rc;
    if (*fields < SS_HEADER_FIELDS)
        return SS_PROTO_ELENGTH;
    rc = s_read_u32 (self, &hdr->version);
    if (rc && rc != SS_PROTO_ERANGE)
        return rc;
    if (rc == SS_PROTO_ERANGE || hdr->version != SS_PROTO_VERSION)
        return SS_PROTO_EVERSION;
    rc = s_read_u32 (self, &hdr->type);
    if (rc)
        return rc == SS_PROTO_ERANGE? SS_PROTO_EMSGTYPE: rc;
    if (hdr->type < SS_MSG_ESTIMATE || hdr->type > SS_MSG_CONTROL)
        return SS_PROTO_EMSGTYPE;
    rc = s_read_u64 (self, &hdr->fleet);
    if (rc == 0)
        rc = s_read_u64 (self, &hdr->epoch);
    if (rc == 0)
        rc = s_read_u64 (self, &hdr->round);
    if (rc == 0)
        rc = s_read_u32 (self, &hdr->sender);
    return rc;
}

//  Header of a given message type with a given field count
static int
s_begin (s_cursor_t *self, const uint8_t *data, size_t size,
         ss_header_t *hdr, uint32_t type, uint32_t expected_fields)
{
    uint32_t fields;
    int rc = s_read_header (self, data, size, hdr, &fields);
    if (rc)
        return rc;
    if (hdr->type != type)
        return SS_PROTO_EMSGTYPE;
    if (fields != expected_fields)
        return SS_PROTO_ELENGTH;
    return 0;
}

static int
s_end (s_cursor_t *self)
{
    return self->pos == self->size? 0: SS_PROTO_ETRAILING;
}

static int
s_read_dim (s_cursor_t *self, uint32_t *dim)
{
    uint64_t wide;
    int rc = s_read_uint (self, SS_MAX_DIM, &wide);
    if (rc)
        return rc;
    if (wide < 1)
        return SS_PROTO_ERANGE;
    *dim = (uint32_t) wide;
    return 0;
}

//  The bodies: each reads the fields after the header, then the end

static int
s_estimate_body (s_cursor_t *cursor, ss_estimate_t *msg)
{
    int rc = s_read_u32 (cursor, &msg->degree);
    if (rc == 0)
        rc = s_read_doubles_upto (cursor, SS_MAX_K, msg->theta, &msg->k);
    if (rc == 0)
        rc = s_read_uints_exact (cursor, msg->k, msg->mass);
    return rc? rc: s_end (cursor);
}

static int
s_heartbeat_body (s_cursor_t *cursor, ss_heartbeat_t *msg)
{
    int rc = s_read_u32 (cursor, &msg->degree);
    if (rc == 0)
        rc = s_read_u32 (cursor, &msg->state);
    if (rc == 0)
        rc = s_read_u64 (cursor, &msg->want);
    if (rc == 0)
        rc = s_end (cursor);
    return rc? rc: s_check_heartbeat (msg);
}

static int
s_report_body (s_cursor_t *cursor, ss_report_t *msg)
{
    int rc = s_read_dim (cursor, &msg->dim);
    if (rc == 0)
        rc = s_read_doubles_exact (cursor, msg->dim, msg->x);
    if (rc == 0)
        rc = s_read_doubles_exact (cursor, msg->dim, msg->x0);
    if (rc == 0)
        rc = s_read_double (cursor, &msg->step);
    if (rc == 0 && msg->step < 0)
        rc = SS_PROTO_ERANGE;
    if (rc == 0)
        rc = s_read_theta_s (cursor, &msg->k, msg->theta, msg->s);
    if (rc == 0)
        rc = s_read_array (cursor, &msg->n_counters);
    if (rc == 0 && msg->n_counters > SS_PROTO_MAX_COUNTERS)
        rc = SS_PROTO_ELENGTH;
    for (uint32_t i = 0; rc == 0 && i < msg->n_counters; i++)
        rc = s_read_u64 (cursor, &msg->counters [i]);
    return rc? rc: s_end (cursor);
}

static int
s_target_body (s_cursor_t *cursor, ss_target_t *msg)
{
    int rc = s_read_u64 (cursor, &msg->switch_round);
    if (rc == 0)
        rc = s_read_dim (cursor, &msg->dim);
    uint32_t count = 0;
    if (rc == 0)
        rc = s_read_array (cursor, &count);
    if (rc == 0 && count > SS_MAX_COMPONENTS)
        rc = SS_PROTO_ELENGTH;
    for (uint32_t i = 0; rc == 0 && i < count; i++) {
        ss_component_t *comp = &msg->mixture.comp [i];
        uint32_t fields;
        rc = s_read_array (cursor, &fields);
        if (rc == 0 && fields != SS_COMPONENT_FIELDS)
            rc = SS_PROTO_ELENGTH;
        if (rc == 0)
            rc = s_read_double (cursor, &comp->weight);
        if (rc == 0 && comp->weight <= 0)
            rc = SS_PROTO_ERANGE;
        if (rc == 0)
            rc = s_read_doubles_exact (cursor, msg->dim, comp->mean);
        if (rc == 0)
            rc = s_read_double (cursor, &comp->std);
        if (rc == 0 && comp->std <= 0)
            rc = SS_PROTO_ERANGE;
        //  Unused mean coordinates are zero, not stale
        for (uint32_t j = msg->dim; rc == 0 && j < SS_MAX_DIM; j++)
            comp->mean [j] = 0;
    }
    if (rc == 0)
        rc = s_read_bin (cursor, SS_PROTO_MAX_GRID, msg->mixture.level,
                         &msg->mixture.cells);
    if (rc == 0 && count == 0 && msg->mixture.cells == 0)
        rc = SS_PROTO_ELENGTH;         //  neither a mixture nor a grid
    if (rc == 0)
        msg->mixture.count = (int) count;
    return rc? rc: s_end (cursor);
}

static int
s_control_body (s_cursor_t *cursor, ss_control_t *msg)
{
    int rc = s_read_u32 (cursor, &msg->command);
    if (rc == 0)
        rc = s_read_u64 (cursor, &msg->arg);
    if (rc == 0)
        rc = s_end (cursor);
    return rc? rc: s_check_control (msg);
}

int
ss_header_decode (const uint8_t *data, size_t size, ss_header_t *hdr)
{
    assert (hdr);
    s_cursor_t cursor;
    uint32_t fields;
    return s_read_header (&cursor, data, size, hdr, &fields);
}

//  The decoder of one type: header of that type and field count, then body
#define S_DECODER(name, NAME) \
int \
ss_##name##_decode (const uint8_t *data, size_t size, ss_##name##_t *msg) \
{ \
    assert (msg); \
    s_cursor_t cursor; \
    int rc = s_begin (&cursor, data, size, &msg->hdr, SS_MSG_##NAME, \
                      SS_##NAME##_FIELDS); \
    return rc? rc: s_##name##_body (&cursor, msg); \
}

S_DECODER (estimate, ESTIMATE)
S_DECODER (heartbeat, HEARTBEAT)
S_DECODER (report, REPORT)
S_DECODER (target, TARGET)
S_DECODER (control, CONTROL)

int
ss_msg_decode (const uint8_t *data, size_t size, ss_msg_t *msg)
{
    assert (msg);
    s_cursor_t cursor;
    uint32_t fields;
    ss_header_t hdr;
    int rc = s_read_header (&cursor, data, size, &hdr, &fields);
    if (rc)
        return rc;
    static const uint32_t expected [] = {
        0, SS_ESTIMATE_FIELDS, SS_HEARTBEAT_FIELDS, SS_REPORT_FIELDS,
        SS_TARGET_FIELDS, SS_CONTROL_FIELDS
    };
    if (fields != expected [hdr.type])
        return SS_PROTO_ELENGTH;
    msg->hdr = hdr;
    switch (hdr.type) {
        case SS_MSG_ESTIMATE:  return s_estimate_body (&cursor, &msg->estimate);
        case SS_MSG_HEARTBEAT: return s_heartbeat_body (&cursor, &msg->heartbeat);
        case SS_MSG_REPORT:    return s_report_body (&cursor, &msg->report);
        case SS_MSG_TARGET:    return s_target_body (&cursor, &msg->target);
        default:               return s_control_body (&cursor, &msg->control);
    }
}

const char *
ss_proto_strerror (int err)
{
    switch (err) {
        case SS_PROTO_OK:         return "ok";
        case SS_PROTO_ETRUNCATED: return "truncated";
        case SS_PROTO_ETYPE:      return "wrong type";
        case SS_PROTO_EVERSION:   return "wrong version";
        case SS_PROTO_EMSGTYPE:   return "wrong message type";
        case SS_PROTO_ELENGTH:    return "wrong length";
        case SS_PROTO_ENONFINITE: return "non-finite number";
        case SS_PROTO_ERANGE:     return "out of range";
        case SS_PROTO_ETRAILING:  return "trailing bytes";
        case SS_PROTO_ETOOBIG:    return "frame too big";
        case SS_PROTO_ENOMEM:     return "out of memory";
        default:                  return "unknown error";
    }
}
