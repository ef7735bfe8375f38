/*  test_proto: the wire protocol's codecs, round trips and rejections.

    Valid frames come from the library's encoders. Bad frames are built
    two ways: a test-side packer that writes a sample message field by
    field and lets one top-level field be replaced by an arbitrary msgpack
    value (s_build), and a byte splice that replaces one marker double
    inside a nested array (s_patch_double). Every rejection is checked for
    its exact reason code.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include "ss_proto.h"

//  --------------------------------------------------------------------------
//  Sample messages

#define MARK_A 0.3125       //  marker doubles, exact in binary, unique in
#define MARK_B -2.5625      //  their frame
#define MARK_C 0.6875

static ss_header_t
s_header (uint32_t type)
{
    ss_header_t hdr = {
        .version = SS_PROTO_VERSION, .type = type,
        .fleet = 0x0123456789abcdefULL, .epoch = 7, .round = 100000,
        .sender = 3
    };
    return hdr;
}

static ss_estimate_t
s_sample_estimate (void)
{
    ss_estimate_t msg = { .hdr = s_header (SS_MSG_ESTIMATE), .degree = 4, .k = 5 };
    double theta [] = { 0.5, -1.25, MARK_A, 3.0, 0 };
    double s [] = { 0.1, 0.2, 0.3, 0.4, MARK_B };
    memcpy (msg.theta, theta, sizeof theta);
    memcpy (msg.s, s, sizeof s);
    return msg;
}

static ss_heartbeat_t
s_sample_heartbeat (void)
{
    ss_heartbeat_t msg = { .hdr = s_header (SS_MSG_HEARTBEAT), .degree = 2, .state = 1 };
    return msg;
}

static ss_report_t
s_sample_report (void)
{
    ss_report_t msg = {
        .hdr = s_header (SS_MSG_REPORT), .dim = 2,
        .x = { MARK_A, 0.25 }, .x0 = { 0.75, MARK_B }, .step = 0.015,
        .k = 3, .theta = { 1, 2, MARK_C }, .s = { -1, -2, -3 },
        .n_counters = 4, .counters = { 0, 1, 70000, UINT64_MAX }
    };
    return msg;
}

static ss_target_t
s_sample_target (void)
{
    ss_target_t msg = {
        .hdr = s_header (SS_MSG_TARGET), .switch_round = 5000, .dim = 2,
        .mixture = { .count = 2, .comp = {
            { .weight = MARK_A, .mean = { 0.25, 0.70 }, .std = 0.1 },
            { .weight = 0.6875 - 0.0, .mean = { 0.75, MARK_B }, .std = 0.125 }
        } }
    };
    msg.mixture.comp [1].weight = 0.5;
    msg.mixture.comp [1].std = MARK_C;
    return msg;
}

static ss_control_t
s_sample_control (void)
{
    ss_control_t msg = { .hdr = s_header (SS_MSG_CONTROL),
                         .command = SS_CONTROL_STOP, .arg = 123456 };
    return msg;
}

//  --------------------------------------------------------------------------
//  Equality over the used part of each struct

static bool
s_header_eq (const ss_header_t *a, const ss_header_t *b)
{
    return a->version == b->version && a->type == b->type
        && a->fleet == b->fleet && a->epoch == b->epoch
        && a->round == b->round && a->sender == b->sender;
}

static bool
s_doubles_eq (const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp (&a [i], &b [i], sizeof (double)) != 0)
            return false;
    return true;
}

static bool
s_estimate_eq (const ss_estimate_t *a, const ss_estimate_t *b)
{
    return s_header_eq (&a->hdr, &b->hdr) && a->degree == b->degree
        && a->k == b->k && s_doubles_eq (a->theta, b->theta, a->k)
        && s_doubles_eq (a->s, b->s, a->k);
}

static bool
s_report_eq (const ss_report_t *a, const ss_report_t *b)
{
    return s_header_eq (&a->hdr, &b->hdr) && a->dim == b->dim
        && s_doubles_eq (a->x, b->x, a->dim)
        && s_doubles_eq (a->x0, b->x0, a->dim)
        && s_doubles_eq (&a->step, &b->step, 1)
        && a->k == b->k && s_doubles_eq (a->theta, b->theta, a->k)
        && s_doubles_eq (a->s, b->s, a->k)
        && a->n_counters == b->n_counters
        && memcmp (a->counters, b->counters,
                   a->n_counters * sizeof (uint64_t)) == 0;
}

static bool
s_target_eq (const ss_target_t *a, const ss_target_t *b)
{
    if (!s_header_eq (&a->hdr, &b->hdr) || a->switch_round != b->switch_round
    ||  a->dim != b->dim || a->mixture.count != b->mixture.count)
        return false;
    for (int i = 0; i < a->mixture.count; i++) {
        const ss_component_t *ca = &a->mixture.comp [i];
        const ss_component_t *cb = &b->mixture.comp [i];
        if (!s_doubles_eq (&ca->weight, &cb->weight, 1)
        ||  !s_doubles_eq (ca->mean, cb->mean, a->dim)
        ||  !s_doubles_eq (&ca->std, &cb->std, 1))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Generic dispatch by message type, so loops can cover all five

#define N_TYPES 5

typedef union {
    ss_estimate_t estimate;
    ss_heartbeat_t heartbeat;
    ss_report_t report;
    ss_target_t target;
    ss_control_t control;
} any_msg_t;

static int
s_decode (uint32_t type, const uint8_t *data, size_t size, any_msg_t *msg)
{
    switch (type) {
        case SS_MSG_ESTIMATE:  return ss_estimate_decode (data, size, &msg->estimate);
        case SS_MSG_HEARTBEAT: return ss_heartbeat_decode (data, size, &msg->heartbeat);
        case SS_MSG_REPORT:    return ss_report_decode (data, size, &msg->report);
        case SS_MSG_TARGET:    return ss_target_decode (data, size, &msg->target);
        case SS_MSG_CONTROL:   return ss_control_decode (data, size, &msg->control);
    }
    fail ();
    return 0;
}

static int
s_encode (uint32_t type, const any_msg_t *msg, uint8_t **data, size_t *size)
{
    switch (type) {
        case SS_MSG_ESTIMATE:  return ss_estimate_encode (&msg->estimate, data, size);
        case SS_MSG_HEARTBEAT: return ss_heartbeat_encode (&msg->heartbeat, data, size);
        case SS_MSG_REPORT:    return ss_report_encode (&msg->report, data, size);
        case SS_MSG_TARGET:    return ss_target_encode (&msg->target, data, size);
        case SS_MSG_CONTROL:   return ss_control_encode (&msg->control, data, size);
    }
    fail ();
    return 0;
}

static any_msg_t
s_sample (uint32_t type)
{
    any_msg_t msg;
    memset (&msg, 0, sizeof msg);
    switch (type) {
        case SS_MSG_ESTIMATE:  msg.estimate = s_sample_estimate (); break;
        case SS_MSG_HEARTBEAT: msg.heartbeat = s_sample_heartbeat (); break;
        case SS_MSG_REPORT:    msg.report = s_sample_report (); break;
        case SS_MSG_TARGET:    msg.target = s_sample_target (); break;
        case SS_MSG_CONTROL:   msg.control = s_sample_control (); break;
    }
    return msg;
}

//  Field count of each message, and the kind of each top-level field:
//  u = uint32, U = uint64, d = double, a = array
static const char *s_kinds [N_TYPES + 1] = {
    NULL,
    "uuUUUu" "uaa",             //  estimate: degree theta s
    "uuUUUu" "uu",              //  heartbeat: degree state
    "uuUUUu" "uaadaaa",         //  report: dim x x0 step theta s counters
    "uuUUUu" "Uua",             //  target: switch_round dim mixture
    "uuUUUu" "uU"               //  control: command arg
};

static int
s_fields (uint32_t type)
{
    return (int) strlen (s_kinds [type]);
}

//  --------------------------------------------------------------------------
//  Test-side frame builder

typedef void (emit_fn) (msgpack_packer *pk);

static void
s_pack_doubles (msgpack_packer *pk, const double *values, size_t n)
{
    msgpack_pack_array (pk, n);
    for (size_t i = 0; i < n; i++)
        msgpack_pack_double (pk, values [i]);
}

//  Pack top-level field i of the sample message of the given type
static void
s_emit_field (msgpack_packer *pk, uint32_t type, const any_msg_t *msg, int i)
{
    const ss_header_t *hdr = &msg->estimate.hdr;   //  same offset in all
    switch (i) {
        case 0: msgpack_pack_uint32 (pk, hdr->version); return;
        case 1: msgpack_pack_uint32 (pk, hdr->type); return;
        case 2: msgpack_pack_uint64 (pk, hdr->fleet); return;
        case 3: msgpack_pack_uint64 (pk, hdr->epoch); return;
        case 4: msgpack_pack_uint64 (pk, hdr->round); return;
        case 5: msgpack_pack_uint32 (pk, hdr->sender); return;
    }
    i -= 6;
    if (type == SS_MSG_ESTIMATE) {
        const ss_estimate_t *m = &msg->estimate;
        if (i == 0) msgpack_pack_uint32 (pk, m->degree);
        if (i == 1) s_pack_doubles (pk, m->theta, m->k);
        if (i == 2) s_pack_doubles (pk, m->s, m->k);
    }
    else
    if (type == SS_MSG_HEARTBEAT) {
        const ss_heartbeat_t *m = &msg->heartbeat;
        if (i == 0) msgpack_pack_uint32 (pk, m->degree);
        if (i == 1) msgpack_pack_uint32 (pk, m->state);
    }
    else
    if (type == SS_MSG_REPORT) {
        const ss_report_t *m = &msg->report;
        if (i == 0) msgpack_pack_uint32 (pk, m->dim);
        if (i == 1) s_pack_doubles (pk, m->x, m->dim);
        if (i == 2) s_pack_doubles (pk, m->x0, m->dim);
        if (i == 3) msgpack_pack_double (pk, m->step);
        if (i == 4) s_pack_doubles (pk, m->theta, m->k);
        if (i == 5) s_pack_doubles (pk, m->s, m->k);
        if (i == 6) {
            msgpack_pack_array (pk, m->n_counters);
            for (uint32_t j = 0; j < m->n_counters; j++)
                msgpack_pack_uint64 (pk, m->counters [j]);
        }
    }
    else
    if (type == SS_MSG_TARGET) {
        const ss_target_t *m = &msg->target;
        if (i == 0) msgpack_pack_uint64 (pk, m->switch_round);
        if (i == 1) msgpack_pack_uint32 (pk, m->dim);
        if (i == 2) {
            msgpack_pack_array (pk, (size_t) m->mixture.count);
            for (int j = 0; j < m->mixture.count; j++) {
                msgpack_pack_array (pk, 3);
                msgpack_pack_double (pk, m->mixture.comp [j].weight);
                s_pack_doubles (pk, m->mixture.comp [j].mean, m->dim);
                msgpack_pack_double (pk, m->mixture.comp [j].std);
            }
        }
    }
    else
    if (type == SS_MSG_CONTROL) {
        const ss_control_t *m = &msg->control;
        if (i == 0) msgpack_pack_uint32 (pk, m->command);
        if (i == 1) msgpack_pack_uint64 (pk, m->arg);
    }
}

//  Build the sample frame of `type`, with top-level field `index` replaced
//  by what `emit` packs (index -1: none), an outer array claiming `claimed`
//  elements (-1: the right count). Returns an sbuffer to destroy.
static msgpack_sbuffer
s_build (uint32_t type, int index, emit_fn *emit, int claimed)
{
    any_msg_t msg = s_sample (type);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    int fields = s_fields (type);
    msgpack_pack_array (&pk, (size_t) (claimed >= 0? claimed: fields));
    for (int i = 0; i < fields; i++) {
        if (i == index)
            emit (&pk);
        else
            s_emit_field (&pk, type, &msg, i);
    }
    return sbuf;
}

//  Build with one field replaced, decode, return the code. Also checks
//  that the header decoder agrees when the header itself is mutated.
static int
s_mutate (uint32_t type, int index, emit_fn *emit)
{
    msgpack_sbuffer sbuf = s_build (type, index, emit, -1);
    any_msg_t out;
    int rc = s_decode (type, (uint8_t *) sbuf.data, sbuf.size, &out);
    if (index < 6) {
        ss_header_t hdr;
        int hrc = ss_header_decode ((uint8_t *) sbuf.data, sbuf.size, &hdr);
        if (hrc != 0)
            assert_int_equal (hrc, rc);
    }
    msgpack_sbuffer_destroy (&sbuf);
    return rc;
}

static void emit_nil (msgpack_packer *pk) { msgpack_pack_nil (pk); }
static void emit_true (msgpack_packer *pk) { msgpack_pack_true (pk); }
static void emit_str (msgpack_packer *pk) { msgpack_pack_str_with_body (pk, "x", 1); }
static void emit_bin (msgpack_packer *pk) { msgpack_pack_bin_with_body (pk, "\x01\x02", 2); }
static void emit_ext (msgpack_packer *pk) { msgpack_pack_ext_with_body (pk, "\x01", 1, 5); }
static void emit_map (msgpack_packer *pk) { msgpack_pack_map (pk, 0); }
static void emit_map1 (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 1);
    msgpack_pack_int (pk, 1);
    msgpack_pack_int (pk, 1);
}
static void emit_array1 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_int (pk, 1);
}
static void emit_nested (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 1);
    msgpack_pack_double (pk, 1.0);
}
static void emit_one (msgpack_packer *pk) { msgpack_pack_int (pk, 1); }
static void emit_two (msgpack_packer *pk) { msgpack_pack_int (pk, 2); }
static void emit_zero (msgpack_packer *pk) { msgpack_pack_int (pk, 0); }
static void emit_four (msgpack_packer *pk) { msgpack_pack_int (pk, 4); }
static void emit_six (msgpack_packer *pk) { msgpack_pack_int (pk, 6); }
static void emit_float (msgpack_packer *pk) { msgpack_pack_double (pk, 1.5); }
static void emit_float32 (msgpack_packer *pk) { msgpack_pack_float (pk, 1.0f); }
static void emit_neg (msgpack_packer *pk) { msgpack_pack_int (pk, -1); }
static void emit_neg64 (msgpack_packer *pk) { msgpack_pack_int64 (pk, INT64_MIN); }
static void emit_2e40 (msgpack_packer *pk) { msgpack_pack_uint64 (pk, 1ULL << 40); }
static void emit_2e32 (msgpack_packer *pk) { msgpack_pack_uint64 (pk, 1ULL << 32); }
static void emit_u32max (msgpack_packer *pk) { msgpack_pack_uint32 (pk, UINT32_MAX); }
static void emit_u64max (msgpack_packer *pk) { msgpack_pack_uint64 (pk, UINT64_MAX); }
static void emit_empty_array (msgpack_packer *pk) { msgpack_pack_array (pk, 0); }
static void emit_array32_huge (msgpack_packer *pk)
{
    //  An array32 header claiming 2^32-1 elements, and nothing after
    static const char huge [] = { (char) 0xdd, (char) 0xff, (char) 0xff,
                                  (char) 0xff, (char) 0xff };
    msgpack_pack_bin_body (pk, huge, sizeof huge);  //  raw bytes, no header
}
static void emit_map32_huge (msgpack_packer *pk)
{
    static const char huge [] = { (char) 0xdf, (char) 0xff, (char) 0xff,
                                  (char) 0xff, (char) 0xff };
    msgpack_pack_bin_body (pk, huge, sizeof huge);
}
static void emit_reserved (msgpack_packer *pk)
{
    msgpack_pack_bin_body (pk, "\xc1", 1);
}

//  --------------------------------------------------------------------------
//  Byte-level helpers

//  Find the float64 encoding of `marker` in data; its offset, or -1
static long
s_find_double (const uint8_t *data, size_t size, double marker)
{
    uint8_t pattern [9] = { 0xcb };
    uint64_t raw;
    memcpy (&raw, &marker, 8);
    for (int i = 0; i < 8; i++)
        pattern [1 + i] = (uint8_t) (raw >> (56 - 8 * i));
    long found = -1;
    for (size_t i = 0; i + 9 <= size; i++)
        if (memcmp (data + i, pattern, 9) == 0) {
            assert_int_equal (found, -1);   //  markers must be unique
            found = (long) i;
        }
    return found;
}

//  Encode the sample of `type`, replace the float64 `marker` by the bytes
//  `repl`, decode, return the code
static int
s_patch_double (uint32_t type, double marker, const uint8_t *repl, size_t repl_size)
{
    any_msg_t msg = s_sample (type);
    uint8_t *data;
    size_t size;
    assert_int_equal (s_encode (type, &msg, &data, &size), 0);
    long at = s_find_double (data, size, marker);
    assert_true (at >= 0);
    size_t new_size = size - 9 + repl_size;
    uint8_t *patched = malloc (new_size);
    assert_non_null (patched);
    memcpy (patched, data, (size_t) at);
    memcpy (patched + at, repl, repl_size);
    memcpy (patched + at + repl_size, data + at + 9, size - (size_t) at - 9);
    any_msg_t out;
    int rc = s_decode (type, patched, new_size, &out);
    free (patched);
    free (data);
    return rc;
}

static size_t
s_float64_bytes (double value, uint8_t *out)
{
    uint64_t raw;
    memcpy (&raw, &value, 8);
    out [0] = 0xcb;
    for (int i = 0; i < 8; i++)
        out [1 + i] = (uint8_t) (raw >> (56 - 8 * i));
    return 9;
}

//  --------------------------------------------------------------------------
//  Round trips

static void
s_round_trip (uint32_t type, const any_msg_t *msg)
{
    uint8_t *data;
    size_t size;
    assert_int_equal (s_encode (type, msg, &data, &size), 0);
    assert_true (size <= SS_PROTO_MAX_FRAME);
    any_msg_t out;
    memset (&out, 0xa5, sizeof out);
    assert_int_equal (s_decode (type, data, size, &out), 0);
    ss_header_t hdr;
    assert_int_equal (ss_header_decode (data, size, &hdr), 0);
    assert_true (s_header_eq (&hdr, &msg->estimate.hdr));
    switch (type) {
        case SS_MSG_ESTIMATE:
            assert_true (s_estimate_eq (&out.estimate, &msg->estimate));
            break;
        case SS_MSG_HEARTBEAT:
            assert_true (s_header_eq (&out.heartbeat.hdr, &msg->heartbeat.hdr));
            assert_int_equal (out.heartbeat.degree, msg->heartbeat.degree);
            assert_int_equal (out.heartbeat.state, msg->heartbeat.state);
            break;
        case SS_MSG_REPORT:
            assert_true (s_report_eq (&out.report, &msg->report));
            break;
        case SS_MSG_TARGET:
            assert_true (s_target_eq (&out.target, &msg->target));
            break;
        case SS_MSG_CONTROL:
            assert_true (s_header_eq (&out.control.hdr, &msg->control.hdr));
            assert_int_equal (out.control.command, msg->control.command);
            assert_true (out.control.arg == msg->control.arg);
            break;
    }
    free (data);
}

static void
test_round_trip_samples (void **state)
{
    (void) state;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        any_msg_t msg = s_sample (type);
        s_round_trip (type, &msg);
    }
}

//  Encoders write version and type themselves
static void
test_encoder_sets_version_and_type (void **state)
{
    (void) state;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        any_msg_t msg = s_sample (type);
        msg.estimate.hdr.version = 99;
        msg.estimate.hdr.type = 77;
        uint8_t *data;
        size_t size;
        assert_int_equal (s_encode (type, &msg, &data, &size), 0);
        ss_header_t hdr;
        assert_int_equal (ss_header_decode (data, size, &hdr), 0);
        assert_int_equal (hdr.version, SS_PROTO_VERSION);
        assert_int_equal (hdr.type, type);
        free (data);
    }
}

static const double s_extremes [] = {
    0.0, -0.0, 1e6, -1e6, 5e-324, -5e-324, 2.2250738585072014e-308,
    999999.9999999999, 1.0 / 3.0, -123.456
};
#define N_EXTREMES (sizeof s_extremes / sizeof s_extremes [0])

static ss_header_t
s_extreme_header (uint32_t type, int variant)
{
    ss_header_t hdr = { .version = 1, .type = type };
    if (variant) {
        hdr.fleet = UINT64_MAX;
        hdr.epoch = UINT64_MAX;
        hdr.round = UINT64_MAX;
        hdr.sender = SS_PROTO_COORDINATOR;
    }
    return hdr;
}

static void
test_round_trip_extremes (void **state)
{
    (void) state;
    for (int variant = 0; variant < 2; variant++) {
        //  Estimate with k = 1 and k = SS_MAX_K
        uint32_t ks [] = { 1, 2, SS_MAX_K };
        for (size_t ki = 0; ki < 3; ki++) {
            any_msg_t msg;
            memset (&msg, 0, sizeof msg);
            msg.estimate.hdr = s_extreme_header (SS_MSG_ESTIMATE, variant);
            msg.estimate.degree = variant? UINT32_MAX: 0;
            msg.estimate.k = ks [ki];
            for (uint32_t i = 0; i < ks [ki]; i++) {
                msg.estimate.theta [i] = s_extremes [(i + (uint32_t) variant) % N_EXTREMES];
                msg.estimate.s [i] = s_extremes [(i + 3) % N_EXTREMES];
            }
            s_round_trip (SS_MSG_ESTIMATE, &msg);
        }
        //  Heartbeat, both states
        for (uint32_t st = 0; st <= 1; st++) {
            any_msg_t msg;
            memset (&msg, 0, sizeof msg);
            msg.heartbeat.hdr = s_extreme_header (SS_MSG_HEARTBEAT, variant);
            msg.heartbeat.degree = variant? UINT32_MAX: 0;
            msg.heartbeat.state = st;
            s_round_trip (SS_MSG_HEARTBEAT, &msg);
        }
        //  Report: every dim, k = 1 and SS_MAX_K, 0 and 16 counters
        for (uint32_t dim = 1; dim <= SS_MAX_DIM; dim++)
        for (size_t ki = 0; ki < 3; ki++)
        for (uint32_t nc = 0; nc <= SS_PROTO_MAX_COUNTERS; nc += SS_PROTO_MAX_COUNTERS) {
            any_msg_t msg;
            memset (&msg, 0, sizeof msg);
            ss_report_t *r = &msg.report;
            r->hdr = s_extreme_header (SS_MSG_REPORT, variant);
            r->dim = dim;
            for (uint32_t i = 0; i < dim; i++) {
                r->x [i] = s_extremes [i + 2];
                r->x0 [i] = s_extremes [i + 5];
            }
            r->step = variant? 1e6: 0;
            r->k = ks [ki];
            for (uint32_t i = 0; i < r->k; i++) {
                r->theta [i] = s_extremes [i % N_EXTREMES];
                r->s [i] = -(double) i;
            }
            r->n_counters = nc;
            for (uint32_t i = 0; i < nc; i++)
                r->counters [i] = variant? UINT64_MAX - i: i * 1000003ULL;
            s_round_trip (SS_MSG_REPORT, &msg);
        }
        //  Target: every dim, 1 and SS_MAX_COMPONENTS components
        for (uint32_t dim = 1; dim <= SS_MAX_DIM; dim++)
        for (int count = 1; count <= SS_MAX_COMPONENTS; count += SS_MAX_COMPONENTS - 1) {
            any_msg_t msg;
            memset (&msg, 0, sizeof msg);
            ss_target_t *t = &msg.target;
            t->hdr = s_extreme_header (SS_MSG_TARGET, variant);
            t->switch_round = variant? UINT64_MAX: 0;
            t->dim = dim;
            t->mixture.count = count;
            for (int i = 0; i < count; i++) {
                t->mixture.comp [i].weight = variant? 5e-324: 1e6;
                t->mixture.comp [i].std = variant? 1e6: 5e-324;
                for (uint32_t j = 0; j < dim; j++)
                    t->mixture.comp [i].mean [j] = s_extremes [(size_t) i % N_EXTREMES];
            }
            s_round_trip (SS_MSG_TARGET, &msg);
        }
        //  Control
        any_msg_t msg;
        memset (&msg, 0, sizeof msg);
        msg.control.hdr = s_extreme_header (SS_MSG_CONTROL, variant);
        msg.control.command = SS_CONTROL_STOP;
        msg.control.arg = variant? UINT64_MAX: 0;
        s_round_trip (SS_MSG_CONTROL, &msg);
    }
}

//  The largest message fits well within the frame limit
static void
test_largest_report_fits (void **state)
{
    (void) state;
    any_msg_t msg;
    memset (&msg, 0, sizeof msg);
    msg.report = s_sample_report ();
    msg.report.k = SS_MAX_K;
    msg.report.n_counters = SS_PROTO_MAX_COUNTERS;
    for (int i = 0; i < SS_MAX_K; i++)
        msg.report.theta [i] = msg.report.s [i] = 0.1 * i;
    uint8_t *data;
    size_t size;
    assert_int_equal (ss_report_encode (&msg.report, &data, &size), 0);
    assert_true (size < SS_PROTO_MAX_FRAME / 2);
    free (data);
}

//  Decoders accept compact, non-minimal and float32/integer encodings
static void emit_theta_mixed (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 5);
    msgpack_pack_float (pk, 1.5f);
    msgpack_pack_fix_uint8 (pk, 3);
    msgpack_pack_int (pk, -2);
    msgpack_pack_fix_int64 (pk, -5);
    msgpack_pack_fix_uint64 (pk, 7);
}
static void emit_fleet_wide (msgpack_packer *pk) { msgpack_pack_fix_uint64 (pk, 9); }
static void emit_sender_int32 (msgpack_packer *pk) { msgpack_pack_fix_int32 (pk, 12); }
static void emit_version_int8 (msgpack_packer *pk) { msgpack_pack_fix_int8 (pk, 1); }

static void
test_accepts_alternative_encodings (void **state)
{
    (void) state;
    msgpack_sbuffer sbuf = s_build (SS_MSG_ESTIMATE, 7, emit_theta_mixed, -1);
    ss_estimate_t out;
    assert_int_equal (ss_estimate_decode ((uint8_t *) sbuf.data, sbuf.size, &out), 0);
    assert_int_equal (out.k, 5);
    assert_true (out.theta [0] == 1.5 && out.theta [1] == 3
              && out.theta [2] == -2 && out.theta [3] == -5
              && out.theta [4] == 7);
    msgpack_sbuffer_destroy (&sbuf);

    sbuf = s_build (SS_MSG_ESTIMATE, 2, emit_fleet_wide, -1);
    assert_int_equal (ss_estimate_decode ((uint8_t *) sbuf.data, sbuf.size, &out), 0);
    assert_true (out.hdr.fleet == 9);
    msgpack_sbuffer_destroy (&sbuf);

    sbuf = s_build (SS_MSG_ESTIMATE, 5, emit_sender_int32, -1);
    assert_int_equal (ss_estimate_decode ((uint8_t *) sbuf.data, sbuf.size, &out), 0);
    assert_int_equal (out.hdr.sender, 12);
    msgpack_sbuffer_destroy (&sbuf);

    sbuf = s_build (SS_MSG_ESTIMATE, 0, emit_version_int8, -1);
    assert_int_equal (ss_estimate_decode ((uint8_t *) sbuf.data, sbuf.size, &out), 0);
    msgpack_sbuffer_destroy (&sbuf);

    //  step given as an integer and as float32
    sbuf = s_build (SS_MSG_REPORT, 9, emit_two, -1);
    ss_report_t rep;
    assert_int_equal (ss_report_decode ((uint8_t *) sbuf.data, sbuf.size, &rep), 0);
    assert_true (rep.step == 2.0);
    msgpack_sbuffer_destroy (&sbuf);
    sbuf = s_build (SS_MSG_REPORT, 9, emit_float32, -1);
    assert_int_equal (ss_report_decode ((uint8_t *) sbuf.data, sbuf.size, &rep), 0);
    assert_true (rep.step == 1.0);
    msgpack_sbuffer_destroy (&sbuf);

    //  Field at the top of its range
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 5, emit_u32max), 0);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 6, emit_u32max), 0);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 2, emit_u64max), 0);
    assert_int_equal (s_mutate (SS_MSG_CONTROL, 7, emit_u64max), 0);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 6, emit_u64max), 0);
}

//  --------------------------------------------------------------------------
//  Rejections

//  Every proper prefix of every valid frame is "truncated"
static void
test_truncated_every_prefix (void **state)
{
    (void) state;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        any_msg_t msg = s_sample (type);
        uint8_t *data;
        size_t size;
        assert_int_equal (s_encode (type, &msg, &data, &size), 0);
        //  Header ends where field 6 starts: find it by decoding prefixes
        for (size_t len = 0; len < size; len++) {
            //  A fresh copy of exactly len bytes, so ASan sees overreads
            uint8_t *copy = malloc (len? len: 1);
            assert_non_null (copy);
            memcpy (copy, data, len);
            any_msg_t out;
            assert_int_equal (s_decode (type, copy, len, &out), SS_PROTO_ETRUNCATED);
            ss_header_t hdr;
            int hrc = ss_header_decode (copy, len, &hdr);
            assert_true (hrc == SS_PROTO_ETRUNCATED || hrc == 0);
            if (hrc == 0)
                assert_true (s_header_eq (&hdr, &msg.estimate.hdr));
            free (copy);
        }
        free (data);
    }
    //  The NULL/empty frame
    ss_header_t hdr;
    assert_int_equal (ss_header_decode (NULL, 0, &hdr), SS_PROTO_ETRUNCATED);
    ss_control_t ctl;
    assert_int_equal (ss_control_decode (NULL, 0, &ctl), SS_PROTO_ETRUNCATED);
}

//  Every top-level field replaced by a value of a wrong msgpack type
static void
test_wrong_field_types (void **state)
{
    (void) state;
    emit_fn *never_ok [] = { emit_nil, emit_true, emit_str, emit_bin,
                             emit_ext, emit_map, emit_map1, emit_reserved };
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        const char *kinds = s_kinds [type];
        for (int i = 0; kinds [i]; i++) {
            for (size_t m = 0; m < sizeof never_ok / sizeof never_ok [0]; m++)
                assert_int_equal (s_mutate (type, i, never_ok [m]), SS_PROTO_ETYPE);
            if (kinds [i] == 'a') {
                assert_int_equal (s_mutate (type, i, emit_one), SS_PROTO_ETYPE);
                assert_int_equal (s_mutate (type, i, emit_float), SS_PROTO_ETYPE);
                assert_int_equal (s_mutate (type, i, emit_map32_huge), SS_PROTO_ETYPE);
            }
            else {
                //  Nested containers where a scalar is expected
                assert_int_equal (s_mutate (type, i, emit_array1), SS_PROTO_ETYPE);
                assert_int_equal (s_mutate (type, i, emit_nested), SS_PROTO_ETYPE);
                assert_int_equal (s_mutate (type, i, emit_empty_array), SS_PROTO_ETYPE);
                assert_int_equal (s_mutate (type, i, emit_array32_huge), SS_PROTO_ETYPE);
                assert_int_equal (s_mutate (type, i, emit_map32_huge), SS_PROTO_ETYPE);
            }
            if (kinds [i] == 'u' || kinds [i] == 'U') {
                assert_int_equal (s_mutate (type, i, emit_float), SS_PROTO_ETYPE);
                assert_int_equal (s_mutate (type, i, emit_float32), SS_PROTO_ETYPE);
            }
        }
    }
}

//  Integers out of their field's range, negative where unsigned
static void
test_integer_ranges (void **state)
{
    (void) state;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        const char *kinds = s_kinds [type];
        for (int i = 0; kinds [i]; i++) {
            if (kinds [i] != 'u' && kinds [i] != 'U')
                continue;
            int expect = i == 0? SS_PROTO_EVERSION
                       : i == 1? SS_PROTO_EMSGTYPE: SS_PROTO_ERANGE;
            assert_int_equal (s_mutate (type, i, emit_neg), expect);
            assert_int_equal (s_mutate (type, i, emit_neg64), expect);
            if (kinds [i] == 'u') {
                assert_int_equal (s_mutate (type, i, emit_2e40), expect);
                assert_int_equal (s_mutate (type, i, emit_2e32), expect);
            }
        }
    }
    //  Field-specific ranges
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 7, emit_two), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 7, emit_zero), 0);
    assert_int_equal (s_mutate (SS_MSG_CONTROL, 6, emit_zero), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_CONTROL, 6, emit_two), 0);      //  STATUS
    assert_int_equal (s_mutate (SS_MSG_CONTROL, 6, emit_four), SS_PROTO_ERANGE);
    //  dim 0 and SS_MAX_DIM + 1
    assert_int_equal (s_mutate (SS_MSG_REPORT, 6, emit_zero), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 6, emit_four), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 7, emit_zero), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 7, emit_four), SS_PROTO_ERANGE);
    //  step negative
    assert_int_equal (s_mutate (SS_MSG_REPORT, 9, emit_neg), SS_PROTO_ERANGE);
}

static void
test_wrong_version (void **state)
{
    (void) state;
    emit_fn *bad [] = { emit_zero, emit_two, emit_u32max, emit_2e40, emit_neg };
    for (uint32_t type = 1; type <= N_TYPES; type++)
        for (size_t m = 0; m < sizeof bad / sizeof bad [0]; m++) {
            msgpack_sbuffer sbuf = s_build (type, 0, bad [m], -1);
            any_msg_t out;
            assert_int_equal (s_decode (type, (uint8_t *) sbuf.data, sbuf.size, &out),
                              SS_PROTO_EVERSION);
            ss_header_t hdr;
            assert_int_equal (ss_header_decode ((uint8_t *) sbuf.data, sbuf.size, &hdr),
                              SS_PROTO_EVERSION);
            msgpack_sbuffer_destroy (&sbuf);
            //  A future version with another field count is still "version"
            sbuf = s_build (type, 0, bad [m], s_fields (type) + 3);
            assert_int_equal (s_decode (type, (uint8_t *) sbuf.data, sbuf.size, &out),
                              SS_PROTO_EVERSION);
            msgpack_sbuffer_destroy (&sbuf);
        }
}

static void
test_wrong_message_type (void **state)
{
    (void) state;
    //  Each valid frame decoded by every other decoder
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        any_msg_t msg = s_sample (type);
        uint8_t *data;
        size_t size;
        assert_int_equal (s_encode (type, &msg, &data, &size), 0);
        for (uint32_t other = 1; other <= N_TYPES; other++) {
            any_msg_t out;
            int rc = s_decode (other, data, size, &out);
            assert_int_equal (rc, other == type? 0: SS_PROTO_EMSGTYPE);
        }
        free (data);
    }
    //  Unknown types
    emit_fn *bad [] = { emit_zero, emit_six, emit_u32max, emit_2e40, emit_neg };
    for (uint32_t type = 1; type <= N_TYPES; type++)
        for (size_t m = 0; m < sizeof bad / sizeof bad [0]; m++) {
            msgpack_sbuffer sbuf = s_build (type, 1, bad [m], -1);
            ss_header_t hdr;
            assert_int_equal (ss_header_decode ((uint8_t *) sbuf.data, sbuf.size, &hdr),
                              SS_PROTO_EMSGTYPE);
            any_msg_t out;
            assert_int_equal (s_decode (type, (uint8_t *) sbuf.data, sbuf.size, &out),
                              SS_PROTO_EMSGTYPE);
            msgpack_sbuffer_destroy (&sbuf);
        }
}

static void
test_wrong_outer_length (void **state)
{
    (void) state;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        int fields = s_fields (type);
        int claims [] = { 0, 1, 5, 6, fields - 1, fields + 1, 15, 16, 65535, 65536 };
        for (size_t c = 0; c < sizeof claims / sizeof claims [0]; c++) {
            msgpack_sbuffer sbuf = s_build (type, -1, NULL, claims [c]);
            any_msg_t out;
            assert_int_equal (s_decode (type, (uint8_t *) sbuf.data, sbuf.size, &out),
                              SS_PROTO_ELENGTH);
            ss_header_t hdr;
            assert_int_equal (ss_header_decode ((uint8_t *) sbuf.data, sbuf.size, &hdr),
                              claims [c] < 6? SS_PROTO_ELENGTH: 0);
            msgpack_sbuffer_destroy (&sbuf);
        }
        //  An outer array32 claiming 2^32-1 elements: header decodes,
        //  the message is refused at once
        any_msg_t msg = s_sample (type);
        uint8_t *data;
        size_t size;
        assert_int_equal (s_encode (type, &msg, &data, &size), 0);
        uint8_t *huge = malloc (size + 4);
        assert_non_null (huge);
        memcpy (huge, "\xdd\xff\xff\xff\xff", 5);
        memcpy (huge + 5, data + 1, size - 1);     //  sample is a fixarray
        any_msg_t out;
        assert_int_equal (s_decode (type, huge, size + 4, &out), SS_PROTO_ELENGTH);
        ss_header_t hdr;
        assert_int_equal (ss_header_decode (huge, size + 4, &hdr), 0);
        assert_int_equal (ss_header_decode (huge, 5, &hdr), SS_PROTO_ETRUNCATED);
        //  Also as a bare header with nothing after it
        assert_int_equal (s_decode (type, huge, 5, &out), SS_PROTO_ETRUNCATED);
        free (huge);
        free (data);
    }
    //  Not an array at all
    const uint8_t not_array [] = { 0x81, 0x01, 0x01 };
    ss_estimate_t est;
    assert_int_equal (ss_estimate_decode (not_array, sizeof not_array, &est), SS_PROTO_ETYPE);
    const uint8_t scalar [] = { 0x01 };
    ss_header_t hdr;
    assert_int_equal (ss_header_decode (scalar, 1, &hdr), SS_PROTO_ETYPE);
}

//  Inner arrays: theta, s, x, x0, counters, mixture, components, means
static void emit_k0 (msgpack_packer *pk) { msgpack_pack_array (pk, 0); }
static void emit_k4 (msgpack_packer *pk)
{
    double v [4] = { 1, 2, 3, 4 };
    s_pack_doubles (pk, v, 4);
}
static void emit_k6 (msgpack_packer *pk)
{
    double v [6] = { 1, 2, 3, 4, 5, 6 };
    s_pack_doubles (pk, v, 6);
}
static void emit_k_too_many (msgpack_packer *pk)
{
    msgpack_pack_array (pk, SS_MAX_K + 1);
    for (int i = 0; i < SS_MAX_K + 1; i++)
        msgpack_pack_double (pk, 0.5);
}
static void emit_array16_huge (msgpack_packer *pk) { msgpack_pack_array (pk, 65535); }
static void emit_dim1 (msgpack_packer *pk) { s_pack_doubles (pk, (double []) { 0.5 }, 1); }
static void emit_dim3 (msgpack_packer *pk)
{
    s_pack_doubles (pk, (double []) { 0.5, 0.5, 0.5 }, 3);
}
static void emit_counters (msgpack_packer *pk, int n, emit_fn *last)
{
    msgpack_pack_array (pk, (size_t) n);
    for (int i = 0; i < n; i++)
        if (i == n - 1 && last)
            last (pk);
        else
            msgpack_pack_uint64 (pk, (uint64_t) i);
}
static void emit_counters0 (msgpack_packer *pk) { emit_counters (pk, 0, NULL); }
static void emit_counters16 (msgpack_packer *pk) { emit_counters (pk, SS_PROTO_MAX_COUNTERS, NULL); }
static void emit_counters17 (msgpack_packer *pk) { emit_counters (pk, SS_PROTO_MAX_COUNTERS + 1, NULL); }
static void emit_counter_neg (msgpack_packer *pk) { emit_counters (pk, 3, emit_neg); }
static void emit_counter_float (msgpack_packer *pk) { emit_counters (pk, 3, emit_float); }
static void emit_counter_nil (msgpack_packer *pk) { emit_counters (pk, 3, emit_nil); }
static void emit_counter_nested (msgpack_packer *pk) { emit_counters (pk, 3, emit_array1); }
static void emit_counter_max (msgpack_packer *pk) { emit_counters (pk, 3, emit_u64max); }

//  A mixture of n components of dim 2; component `bad` written by `emit`
static void
s_emit_mixture (msgpack_packer *pk, int n, int bad, emit_fn *emit)
{
    msgpack_pack_array (pk, (size_t) n);
    for (int i = 0; i < n; i++) {
        if (i == bad) {
            emit (pk);
            continue;
        }
        msgpack_pack_array (pk, 3);
        msgpack_pack_double (pk, 0.5);
        s_pack_doubles (pk, (double []) { 0.25, 0.75 }, 2);
        msgpack_pack_double (pk, 0.1);
    }
}
static void emit_mix0 (msgpack_packer *pk) { s_emit_mixture (pk, 0, -1, NULL); }
static void emit_mix1 (msgpack_packer *pk) { s_emit_mixture (pk, 1, -1, NULL); }
static void emit_mix16 (msgpack_packer *pk) { s_emit_mixture (pk, 16, -1, NULL); }
static void emit_mix17 (msgpack_packer *pk) { s_emit_mixture (pk, 17, -1, NULL); }
static void emit_comp2 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    msgpack_pack_double (pk, 0.5);
    msgpack_pack_double (pk, 0.1);
}
static void emit_comp4 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 4);
    msgpack_pack_double (pk, 0.5);
    s_pack_doubles (pk, (double []) { 0.25, 0.75 }, 2);
    msgpack_pack_double (pk, 0.1);
    msgpack_pack_double (pk, 0.1);
}
static void emit_comp_mean1 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 3);
    msgpack_pack_double (pk, 0.5);
    s_pack_doubles (pk, (double []) { 0.25 }, 1);
    msgpack_pack_double (pk, 0.1);
}
static void emit_comp_mean_scalar (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 3);
    msgpack_pack_double (pk, 0.5);
    msgpack_pack_double (pk, 0.25);
    msgpack_pack_double (pk, 0.1);
}
static void emit_comp_mean_huge (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 3);
    msgpack_pack_double (pk, 0.5);
    emit_array32_huge (pk);
}
static void emit_mix_huge (msgpack_packer *pk) { emit_array32_huge (pk); }
static void emit_mix_comp_huge (msgpack_packer *pk) { s_emit_mixture (pk, 2, 1, emit_array32_huge); }
static void emit_mix_comp2 (msgpack_packer *pk) { s_emit_mixture (pk, 2, 0, emit_comp2); }
static void emit_mix_comp4 (msgpack_packer *pk) { s_emit_mixture (pk, 2, 1, emit_comp4); }
static void emit_mix_mean1 (msgpack_packer *pk) { s_emit_mixture (pk, 2, 1, emit_comp_mean1); }
static void emit_mix_mean_scalar (msgpack_packer *pk) { s_emit_mixture (pk, 2, 1, emit_comp_mean_scalar); }
static void emit_mix_mean_huge (msgpack_packer *pk) { s_emit_mixture (pk, 2, 0, emit_comp_mean_huge); }
static void emit_mix_comp_scalar (msgpack_packer *pk) { s_emit_mixture (pk, 2, 1, emit_float); }
static void emit_mix_comp_nil (msgpack_packer *pk) { s_emit_mixture (pk, 2, 0, emit_nil); }
static void emit_mix_comp_map (msgpack_packer *pk) { s_emit_mixture (pk, 2, 0, emit_map1); }

static void
test_inner_lengths (void **state)
{
    (void) state;
    //  Estimate: theta at 7, s at 8, k = 5
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 7, emit_k0), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 7, emit_k_too_many), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 7, emit_array16_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 7, emit_array32_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 7, emit_k4), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_k4), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_k6), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_k0), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_array32_huge), SS_PROTO_ELENGTH);
    //  Report: dim 2; x at 7, x0 at 8, theta at 10, s at 11 (k = 3),
    //  counters at 12
    assert_int_equal (s_mutate (SS_MSG_REPORT, 7, emit_dim1), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 7, emit_dim3), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 8, emit_dim3), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 8, emit_k0), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 8, emit_array32_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 10, emit_k0), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 10, emit_k_too_many), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 10, emit_array32_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 11, emit_k4), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counters0), 0);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counters16), 0);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counters17), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_array32_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counter_max), 0);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counter_neg), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counter_float), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counter_nil), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counter_nested), SS_PROTO_ETYPE);
    //  Target: mixture at 8, dim 2
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix1), 0);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix16), 0);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix0), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix17), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_comp_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_comp2), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_comp4), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_mean1), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_mean_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_mean_scalar), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_comp_scalar), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_comp_nil), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_comp_map), SS_PROTO_ETYPE);
}

//  Non-finite, absurd and wrongly typed values inside nested arrays
static void
test_nested_doubles (void **state)
{
    (void) state;
    struct { uint32_t type; double marker; bool positive; } spots [] = {
        { SS_MSG_ESTIMATE, MARK_A, false },     //  theta [2]
        { SS_MSG_ESTIMATE, MARK_B, false },     //  s [4], last element
        { SS_MSG_REPORT, MARK_A, false },       //  x [0]
        { SS_MSG_REPORT, MARK_B, false },       //  x0 [1]
        { SS_MSG_REPORT, MARK_C, false },       //  theta [2]
        { SS_MSG_TARGET, MARK_A, true },        //  weight of component 0
        { SS_MSG_TARGET, MARK_B, false },       //  mean [1] of component 1
        { SS_MSG_TARGET, MARK_C, true },        //  std of component 1
    };
    const uint8_t nan32 [] = { 0xca, 0x7f, 0xc0, 0x00, 0x00 };
    const uint8_t inf32 [] = { 0xca, 0x7f, 0x80, 0x00, 0x00 };
    const uint8_t ninf32 [] = { 0xca, 0xff, 0x80, 0x00, 0x00 };
    const uint8_t big32 [] = { 0xca, 0x7f, 0x7f, 0xff, 0xff };  //  FLT_MAX
    const uint8_t half32 [] = { 0xca, 0x3f, 0x00, 0x00, 0x00 };
    const uint8_t nil [] = { 0xc0 };
    const uint8_t tru [] = { 0xc3 };
    const uint8_t str [] = { 0xa1, 'x' };
    const uint8_t arr [] = { 0x91, 0x01 };
    const uint8_t arr_huge [] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
    const uint8_t map [] = { 0x80 };
    const uint8_t reserved [] = { 0xc1 };
    const uint8_t seven [] = { 0x07 };
    const uint8_t neg_fix [] = { 0xff };                       //  -1
    const uint8_t neg16 [] = { 0xd1, 0xfc, 0x18 };             //  -1000
    const uint8_t big_u64 [] = { 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    const uint8_t min_i64 [] = { 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0 };
    const uint8_t zero [] = { 0x00 };
    uint8_t buf [9];

    for (size_t i = 0; i < sizeof spots / sizeof spots [0]; i++) {
        uint32_t t = spots [i].type;
        double m = spots [i].marker;
        #define PATCH(bytes) s_patch_double (t, m, bytes, sizeof bytes)
        #define PATCH_D(value) s_patch_double (t, m, buf, s_float64_bytes (value, buf))
        assert_int_equal (PATCH_D (NAN), SS_PROTO_ENONFINITE);
        assert_int_equal (PATCH_D (-NAN), SS_PROTO_ENONFINITE);
        assert_int_equal (PATCH_D (INFINITY), SS_PROTO_ENONFINITE);
        assert_int_equal (PATCH_D (-INFINITY), SS_PROTO_ENONFINITE);
        assert_int_equal (PATCH (nan32), SS_PROTO_ENONFINITE);
        assert_int_equal (PATCH (inf32), SS_PROTO_ENONFINITE);
        assert_int_equal (PATCH (ninf32), SS_PROTO_ENONFINITE);
        assert_int_equal (PATCH_D (1e300), SS_PROTO_ERANGE);
        assert_int_equal (PATCH_D (-1e300), SS_PROTO_ERANGE);
        assert_int_equal (PATCH_D (nextafter (1e6, INFINITY)), SS_PROTO_ERANGE);
        assert_int_equal (PATCH_D (1e6), 0);
        assert_int_equal (PATCH (big32), SS_PROTO_ERANGE);
        assert_int_equal (PATCH (big_u64), SS_PROTO_ERANGE);
        assert_int_equal (PATCH (min_i64), SS_PROTO_ERANGE);
        assert_int_equal (PATCH (nil), SS_PROTO_ETYPE);
        assert_int_equal (PATCH (tru), SS_PROTO_ETYPE);
        assert_int_equal (PATCH (str), SS_PROTO_ETYPE);
        assert_int_equal (PATCH (arr), SS_PROTO_ETYPE);
        assert_int_equal (PATCH (arr_huge), SS_PROTO_ETYPE);
        assert_int_equal (PATCH (map), SS_PROTO_ETYPE);
        assert_int_equal (PATCH (reserved), SS_PROTO_ETYPE);
        assert_int_equal (PATCH (half32), 0);
        assert_int_equal (PATCH (seven), 0);
        int neg = spots [i].positive? SS_PROTO_ERANGE: 0;
        assert_int_equal (PATCH (neg_fix), neg);
        assert_int_equal (PATCH (neg16), neg);
        assert_int_equal (PATCH_D (-MARK_A), neg);
        assert_int_equal (PATCH (zero), neg);
        assert_int_equal (PATCH_D (-0.0), neg);
        #undef PATCH
        #undef PATCH_D
    }
    //  The step scalar of a report
    assert_int_equal (s_mutate (SS_MSG_REPORT, 9, emit_nested), SS_PROTO_ETYPE);
}

static void
test_step_values (void **state)
{
    (void) state;
    ss_report_t msg = s_sample_report ();
    double bad [] = { NAN, INFINITY, -INFINITY, 1e7, -0.5 };
    int expect [] = { SS_PROTO_ENONFINITE, SS_PROTO_ENONFINITE,
                      SS_PROTO_ENONFINITE, SS_PROTO_ERANGE, SS_PROTO_ERANGE };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        msg.step = bad [i];
        uint8_t *data;
        size_t size;
        assert_int_equal (ss_report_encode (&msg, &data, &size), expect [i]);
    }
    //  And on the wire: patch the encoded step (0.015, unique)
    uint8_t buf [9];
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        assert_int_equal (s_patch_double (SS_MSG_REPORT, 0.015, buf,
                                          s_float64_bytes (bad [i], buf)),
                          expect [i]);
}

static void
test_trailing_bytes (void **state)
{
    (void) state;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        any_msg_t msg = s_sample (type);
        uint8_t *data;
        size_t size;
        assert_int_equal (s_encode (type, &msg, &data, &size), 0);
        uint8_t *longer = malloc (size + 9);
        assert_non_null (longer);
        memcpy (longer, data, size);
        memset (longer + size, 0, 9);
        any_msg_t out;
        for (size_t extra = 1; extra <= 9; extra++)
            assert_int_equal (s_decode (type, longer, size + extra, &out),
                              SS_PROTO_ETRAILING);
        //  A second copy of the message is trailing too
        uint8_t *twice = malloc (2 * size);
        assert_non_null (twice);
        memcpy (twice, data, size);
        memcpy (twice + size, data, size);
        assert_int_equal (s_decode (type, twice, 2 * size, &out), SS_PROTO_ETRAILING);
        ss_header_t hdr;
        assert_int_equal (ss_header_decode (longer, size + 1, &hdr), 0);
        free (twice);
        free (longer);
        free (data);
    }
}

static void
test_oversized_frame (void **state)
{
    (void) state;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        any_msg_t msg = s_sample (type);
        uint8_t *data;
        size_t size;
        assert_int_equal (s_encode (type, &msg, &data, &size), 0);
        uint8_t *big = calloc (1, SS_PROTO_MAX_FRAME + 1);
        assert_non_null (big);
        memcpy (big, data, size);
        any_msg_t out;
        assert_int_equal (s_decode (type, big, SS_PROTO_MAX_FRAME + 1, &out),
                          SS_PROTO_ETOOBIG);
        assert_int_equal (s_decode (type, big, SIZE_MAX, &out), SS_PROTO_ETOOBIG);
        ss_header_t hdr;
        assert_int_equal (ss_header_decode (big, SS_PROTO_MAX_FRAME + 1, &hdr),
                          SS_PROTO_ETOOBIG);
        //  At exactly the limit the size is fine; the padding is trailing
        assert_int_equal (s_decode (type, big, SS_PROTO_MAX_FRAME, &out),
                          SS_PROTO_ETRAILING);
        free (big);
        free (data);
    }
}

static void
test_encoders_refuse (void **state)
{
    (void) state;
    uint8_t *data = NULL;
    size_t size = 0;

    ss_estimate_t est = s_sample_estimate ();
    est.k = 0;
    assert_int_equal (ss_estimate_encode (&est, &data, &size), SS_PROTO_ELENGTH);
    est.k = SS_MAX_K + 1;
    assert_int_equal (ss_estimate_encode (&est, &data, &size), SS_PROTO_ELENGTH);
    est = s_sample_estimate ();
    est.theta [4] = NAN;
    assert_int_equal (ss_estimate_encode (&est, &data, &size), SS_PROTO_ENONFINITE);
    est = s_sample_estimate ();
    est.s [0] = -INFINITY;
    assert_int_equal (ss_estimate_encode (&est, &data, &size), SS_PROTO_ENONFINITE);
    est = s_sample_estimate ();
    est.s [0] = 2e6;
    assert_int_equal (ss_estimate_encode (&est, &data, &size), SS_PROTO_ERANGE);

    ss_heartbeat_t hb = s_sample_heartbeat ();
    hb.state = 2;
    assert_int_equal (ss_heartbeat_encode (&hb, &data, &size), SS_PROTO_ERANGE);

    ss_report_t rep = s_sample_report ();
    rep.dim = 0;
    assert_int_equal (ss_report_encode (&rep, &data, &size), SS_PROTO_ERANGE);
    rep.dim = SS_MAX_DIM + 1;
    assert_int_equal (ss_report_encode (&rep, &data, &size), SS_PROTO_ERANGE);
    rep = s_sample_report ();
    rep.k = 0;
    assert_int_equal (ss_report_encode (&rep, &data, &size), SS_PROTO_ELENGTH);
    rep = s_sample_report ();
    rep.n_counters = SS_PROTO_MAX_COUNTERS + 1;
    assert_int_equal (ss_report_encode (&rep, &data, &size), SS_PROTO_ELENGTH);
    rep = s_sample_report ();
    rep.x0 [1] = INFINITY;
    assert_int_equal (ss_report_encode (&rep, &data, &size), SS_PROTO_ENONFINITE);
    rep = s_sample_report ();
    rep.theta [2] = -1e7;
    assert_int_equal (ss_report_encode (&rep, &data, &size), SS_PROTO_ERANGE);

    ss_target_t tgt = s_sample_target ();
    tgt.mixture.count = 0;
    assert_int_equal (ss_target_encode (&tgt, &data, &size), SS_PROTO_ELENGTH);
    tgt.mixture.count = -1;
    assert_int_equal (ss_target_encode (&tgt, &data, &size), SS_PROTO_ELENGTH);
    tgt.mixture.count = SS_MAX_COMPONENTS + 1;
    assert_int_equal (ss_target_encode (&tgt, &data, &size), SS_PROTO_ELENGTH);
    tgt = s_sample_target ();
    tgt.dim = 0;
    assert_int_equal (ss_target_encode (&tgt, &data, &size), SS_PROTO_ERANGE);
    tgt = s_sample_target ();
    tgt.mixture.comp [1].weight = 0;
    assert_int_equal (ss_target_encode (&tgt, &data, &size), SS_PROTO_ERANGE);
    tgt = s_sample_target ();
    tgt.mixture.comp [0].std = -0.1;
    assert_int_equal (ss_target_encode (&tgt, &data, &size), SS_PROTO_ERANGE);
    tgt = s_sample_target ();
    tgt.mixture.comp [0].mean [1] = NAN;
    assert_int_equal (ss_target_encode (&tgt, &data, &size), SS_PROTO_ENONFINITE);

    ss_control_t ctl = s_sample_control ();
    ctl.command = 0;
    assert_int_equal (ss_control_encode (&ctl, &data, &size), SS_PROTO_ERANGE);
    ctl.command = 3;
    assert_int_equal (ss_control_encode (&ctl, &data, &size), SS_PROTO_ERANGE);

    //  Nothing was handed out
    assert_null (data);
    assert_int_equal (size, 0);
}

//  STATUS is a valid control command and round-trips
static void
test_control_status (void **state)
{
    (void) state;
    ss_control_t ctl = s_sample_control (), out;
    ctl.command = SS_CONTROL_STATUS;
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal (ss_control_encode (&ctl, &data, &size), 0);
    assert_int_equal (ss_control_decode (data, size, &out), 0);
    assert_int_equal (out.command, SS_CONTROL_STATUS);
    free (data);
}

static void
test_strerror (void **state)
{
    (void) state;
    const char *names [11];
    for (int err = 0; err >= SS_PROTO_ENOMEM; err--) {
        names [-err] = ss_proto_strerror (err);
        assert_non_null (names [-err]);
        assert_true (strlen (names [-err]) > 0);
        assert_string_not_equal (names [-err], "unknown error");
    }
    for (int i = 0; i < 11; i++)
        for (int j = i + 1; j < 11; j++)
            assert_string_not_equal (names [i], names [j]);
    assert_string_equal (ss_proto_strerror (SS_PROTO_ETRUNCATED), "truncated");
    assert_string_equal (ss_proto_strerror (SS_PROTO_EVERSION), "wrong version");
    assert_string_equal (ss_proto_strerror (42), "unknown error");
    assert_string_equal (ss_proto_strerror (-99), "unknown error");
}

//  --------------------------------------------------------------------------
//  Random input

static uint64_t s_rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
s_rand (void)
{
    //  splitmix64: fixed seed, same sequence on every run
    uint64_t z = (s_rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static bool
s_valid_code (int rc)
{
    return rc <= 0 && rc >= SS_PROTO_ETOOBIG;
}

//  Decode any buffer with every decoder; a success must re-encode and
//  decode again to the same message
static void
s_decode_all (const uint8_t *data, size_t size)
{
    ss_header_t hdr;
    assert_true (s_valid_code (ss_header_decode (data, size, &hdr)));
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        any_msg_t out;
        int rc = s_decode (type, data, size, &out);
        assert_true (s_valid_code (rc));
        if (rc == 0)
            s_round_trip (type, &out);
    }
}

static void
test_random_bytes (void **state)
{
    (void) state;
    uint8_t buf [300];
    for (int n = 0; n < 5000; n++) {
        size_t size = (size_t) (s_rand () % sizeof buf);
        for (size_t i = 0; i < size; i++)
            buf [i] = (uint8_t) s_rand ();
        //  Half of them start like a plausible frame
        if (n % 2 && size >= 3) {
            buf [0] = (uint8_t) (0x90 | (s_rand () % 16));
            buf [1] = 0x01;
            buf [2] = (uint8_t) (1 + s_rand () % 5);
        }
        uint8_t *copy = malloc (size? size: 1);
        assert_non_null (copy);
        memcpy (copy, buf, size);
        s_decode_all (copy, size);
        free (copy);
    }
}

//  Valid frames with a few random bytes flipped
static void
test_random_mutations (void **state)
{
    (void) state;
    int accepted = 0;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        any_msg_t msg = s_sample (type);
        uint8_t *data;
        size_t size;
        assert_int_equal (s_encode (type, &msg, &data, &size), 0);
        uint8_t *copy = malloc (size);
        assert_non_null (copy);
        for (int n = 0; n < 2000; n++) {
            memcpy (copy, data, size);
            int flips = 1 + (int) (s_rand () % 4);
            for (int f = 0; f < flips; f++)
                copy [s_rand () % size] = (uint8_t) s_rand ();
            size_t len = s_rand () % 8? size: (size_t) (s_rand () % (size + 1));
            s_decode_all (copy, len);
            any_msg_t out;
            if (s_decode (type, copy, len, &out) == 0)
                accepted++;
        }
        free (copy);
        free (data);
    }
    //  Many flips land in doubles and still decode: the test exercised both
    assert_true (accepted > 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_round_trip_samples),
        cmocka_unit_test (test_encoder_sets_version_and_type),
        cmocka_unit_test (test_round_trip_extremes),
        cmocka_unit_test (test_largest_report_fits),
        cmocka_unit_test (test_accepts_alternative_encodings),
        cmocka_unit_test (test_truncated_every_prefix),
        cmocka_unit_test (test_wrong_field_types),
        cmocka_unit_test (test_integer_ranges),
        cmocka_unit_test (test_wrong_version),
        cmocka_unit_test (test_wrong_message_type),
        cmocka_unit_test (test_wrong_outer_length),
        cmocka_unit_test (test_inner_lengths),
        cmocka_unit_test (test_nested_doubles),
        cmocka_unit_test (test_step_values),
        cmocka_unit_test (test_trailing_bytes),
        cmocka_unit_test (test_oversized_frame),
        cmocka_unit_test (test_encoders_refuse),
        cmocka_unit_test (test_control_status),
        cmocka_unit_test (test_strerror),
        cmocka_unit_test (test_random_bytes),
        cmocka_unit_test (test_random_mutations),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
