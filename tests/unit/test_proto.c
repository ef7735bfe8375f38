/*  test_proto: the wire protocol's codecs (version 2), round trips and
    rejections.

    Valid frames come from the library's encoders. Bad frames are built
    two ways: a test-side packer that writes a sample message field by
    field and lets one top-level field be replaced by an arbitrary msgpack
    value (s_build), and a byte splice that replaces one marker double
    inside a nested array (s_patch_double). Every rejection is checked for
    its exact reason code.

    Every frame any test decodes with a typed decoder goes through s_decode,
    which also checks that ss_msg_decode agrees with it (same code, same
    message: ss_test_msg_agrees); every round trip checks both encoders
    (same bytes; the `_into` one refuses a buffer one byte short with
    ENOMEM and writes nothing past it: ss_test_round_trip). Those checks
    are in ss_testproto.h, shared with the fuzz targets.
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
#include "ss_testproto.h"

#define N_TYPES SS_TEST_N_TYPES

//  Frames on which ss_msg_decode was checked against a typed decoder
static long s_agreements;

//  --------------------------------------------------------------------------
//  Sample messages

#define MARK_A 0.3125       //  marker doubles, exact in binary, unique in
#define MARK_B -2.5625      //  their frame
#define MARK_C 0.6875

//  Grid of the sample target: the extremes of a level
static const uint8_t s_grid [] = { 0, 1, 127, 128, 254, 255 };
#define GRID_CELLS ((int) sizeof s_grid)

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
    double theta [] = { 0.5, -1.25, MARK_A, 3.0, MARK_B };
    uint64_t mass [] = { 0, 1, 1ULL << 63, UINT64_MAX, 0x0123456789abcdefULL };
    memcpy (msg.theta, theta, sizeof theta);
    memcpy (msg.mass, mass, sizeof mass);
    return msg;
}

static ss_heartbeat_t
s_sample_heartbeat (void)
{
    ss_heartbeat_t msg = { .hdr = s_header (SS_MSG_HEARTBEAT), .degree = 2,
                           .state = SS_STATE_RUNNING, .want = 100001 };
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

//  The sample target has both a mixture and a grid
static ss_target_t
s_sample_target (void)
{
    ss_target_t msg = {
        .hdr = s_header (SS_MSG_TARGET), .switch_round = 5000, .dim = 2,
        .mixture = { .count = 2, .comp = {
            { .weight = MARK_A, .mean = { 0.25, 0.70 }, .std = 0.1 },
            { .weight = 0.5, .mean = { 0.75, MARK_B }, .std = MARK_C }
        }, .cells = GRID_CELLS }
    };
    memcpy (msg.mixture.level, s_grid, sizeof s_grid);
    return msg;
}

//  The sample target with or without its mixture, its grid
static ss_target_t
s_target_variant (bool mixture, bool grid)
{
    ss_target_t msg = s_sample_target ();
    if (!mixture)
        msg.mixture.count = 0;
    if (!grid)
        msg.mixture.cells = 0;
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
//  Generic dispatch by message type, so loops can cover all five

//  Typed decode, checked against the tagged decoder
static int
s_decode (uint32_t type, const uint8_t *data, size_t size, ss_msg_t *msg)
{
    assert_true (type >= 1 && type <= N_TYPES);
    int rc = ss_test_decode (type, data, size, msg);
    assert_true (ss_test_valid_code (rc));
    const char *why = ss_test_msg_agrees (type, data, size, rc, msg);
    if (why)
        fail_msg ("type %u, %zu bytes, code %d: %s", type, size, rc, why);
    s_agreements++;
    return rc;
}

static int
s_encode (uint32_t type, const ss_msg_t *msg, uint8_t **data, size_t *size)
{
    assert_true (type >= 1 && type <= N_TYPES);
    return ss_test_encode (type, msg, data, size);
}

static ss_msg_t
s_sample (uint32_t type)
{
    ss_msg_t msg;
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

//  The sample of `type` in *msg, encoded in *data (free it); its size
static size_t
s_sample_frame (uint32_t type, ss_msg_t *msg, uint8_t **data)
{
    *msg = s_sample (type);
    size_t size;
    assert_int_equal (s_encode (type, msg, data, &size), 0);
    return size;
}

//  Field count of each message, and the kind of each top-level field:
//  u = uint32, U = uint64, d = double, a = array, b = bin
static const char *s_kinds [N_TYPES + 1] = {
    NULL,
    "uuUUUu" "uaa",             //  estimate: degree theta mass
    "uuUUUu" "uuU",             //  heartbeat: degree state want
    "uuUUUu" "uaadaaa",         //  report: dim x x0 step theta s counters
    "uuUUUu" "Uuab",            //  target: switch_round dim mixture grid
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

static void
s_pack_uints (msgpack_packer *pk, const uint64_t *values, size_t n)
{
    msgpack_pack_array (pk, n);
    for (size_t i = 0; i < n; i++)
        msgpack_pack_uint64 (pk, values [i]);
}

static void
s_pack_mixture (msgpack_packer *pk, const ss_target_t *m)
{
    msgpack_pack_array (pk, (size_t) m->mixture.count);
    for (int j = 0; j < m->mixture.count; j++) {
        msgpack_pack_array (pk, 3);
        msgpack_pack_double (pk, m->mixture.comp [j].weight);
        s_pack_doubles (pk, m->mixture.comp [j].mean, m->dim);
        msgpack_pack_double (pk, m->mixture.comp [j].std);
    }
}

//  Pack top-level field i of the message msg of the given type
static void
s_emit_field (msgpack_packer *pk, uint32_t type, const ss_msg_t *msg, int i)
{
    const ss_header_t *hdr = &msg->hdr;
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
        if (i == 2) s_pack_uints (pk, m->mass, m->k);
    }
    else
    if (type == SS_MSG_HEARTBEAT) {
        const ss_heartbeat_t *m = &msg->heartbeat;
        if (i == 0) msgpack_pack_uint32 (pk, m->degree);
        if (i == 1) msgpack_pack_uint32 (pk, m->state);
        if (i == 2) msgpack_pack_uint64 (pk, m->want);
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
        if (i == 6) s_pack_uints (pk, m->counters, m->n_counters);
    }
    else
    if (type == SS_MSG_TARGET) {
        const ss_target_t *m = &msg->target;
        if (i == 0) msgpack_pack_uint64 (pk, m->switch_round);
        if (i == 1) msgpack_pack_uint32 (pk, m->dim);
        if (i == 2) s_pack_mixture (pk, m);
        if (i == 3) msgpack_pack_bin_with_body (pk, m->mixture.level,
                                                (size_t) m->mixture.cells);
    }
    else
    if (type == SS_MSG_CONTROL) {
        const ss_control_t *m = &msg->control;
        if (i == 0) msgpack_pack_uint32 (pk, m->command);
        if (i == 1) msgpack_pack_uint64 (pk, m->arg);
    }
}

//  Build the frame of msg as `type`, with top-level field `index` replaced
//  by what `emit` packs (index -1: none), an outer array claiming `claimed`
//  elements (-1: the right count). Packed field by field, without the
//  encoder's checks. Returns an sbuffer to destroy.
static msgpack_sbuffer
s_build_from (uint32_t type, const ss_msg_t *msg, int index, emit_fn *emit,
              int claimed)
{
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
            s_emit_field (&pk, type, msg, i);
    }
    return sbuf;
}

//  The same from the sample of `type`
static msgpack_sbuffer
s_build (uint32_t type, int index, emit_fn *emit, int claimed)
{
    static ss_msg_t msg;
    msg = s_sample (type);
    return s_build_from (type, &msg, index, emit, claimed);
}

//  What the last s_mutate decoded
static ss_msg_t s_mutated;

//  Build msg with one field replaced, decode, return the code
static int
s_mutate_from (uint32_t type, const ss_msg_t *msg, int index, emit_fn *emit)
{
    msgpack_sbuffer sbuf = s_build_from (type, msg, index, emit, -1);
    int rc = s_decode (type, (uint8_t *) sbuf.data, sbuf.size, &s_mutated);
    msgpack_sbuffer_destroy (&sbuf);
    return rc;
}

static int
s_mutate (uint32_t type, int index, emit_fn *emit)
{
    static ss_msg_t msg;
    msg = s_sample (type);
    return s_mutate_from (type, &msg, index, emit);
}

//  The sample with one field replaced, which must decode: the message
static const ss_msg_t *
s_accept (uint32_t type, int index, emit_fn *emit)
{
    assert_int_equal (s_mutate (type, index, emit), 0);
    return &s_mutated;
}

//  A target (mixture and/or grid as given) with one field replaced
static int
s_mutate_target (bool mixture, bool grid, int index, emit_fn *emit)
{
    static ss_msg_t msg;
    msg.target = s_target_variant (mixture, grid);
    return s_mutate_from (SS_MSG_TARGET, &msg, index, emit);
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
static void emit_three (msgpack_packer *pk) { msgpack_pack_int (pk, 3); }
static void emit_zero (msgpack_packer *pk) { msgpack_pack_int (pk, 0); }
static void emit_four (msgpack_packer *pk) { msgpack_pack_int (pk, 4); }
static void emit_six (msgpack_packer *pk) { msgpack_pack_int (pk, 6); }
static void emit_float (msgpack_packer *pk) { msgpack_pack_double (pk, 1.5); }
static void emit_float32 (msgpack_packer *pk) { msgpack_pack_float (pk, 1.0f); }
static void emit_neg (msgpack_packer *pk) { msgpack_pack_int (pk, -1); }
static void emit_neg64 (msgpack_packer *pk) { msgpack_pack_int64 (pk, INT64_MIN); }
static void emit_2e40 (msgpack_packer *pk) { msgpack_pack_uint64 (pk, 1ULL << 40); }
static void emit_2e32 (msgpack_packer *pk) { msgpack_pack_uint64 (pk, 1ULL << 32); }
static void emit_2e63 (msgpack_packer *pk) { msgpack_pack_uint64 (pk, 1ULL << 63); }
static void emit_u32max (msgpack_packer *pk) { msgpack_pack_uint32 (pk, UINT32_MAX); }
static void emit_u64max (msgpack_packer *pk) { msgpack_pack_uint64 (pk, UINT64_MAX); }
static void emit_empty_array (msgpack_packer *pk) { msgpack_pack_array (pk, 0); }
//  Raw bytes, no msgpack header of their own
static void
s_emit_raw (msgpack_packer *pk, const char *bytes, size_t size)
{
    msgpack_pack_bin_body (pk, bytes, size);
}
static void emit_array32_huge (msgpack_packer *pk)
{
    //  An array32 header claiming 2^32-1 elements, and nothing after
    s_emit_raw (pk, "\xdd\xff\xff\xff\xff", 5);
}
static void emit_map32_huge (msgpack_packer *pk) { s_emit_raw (pk, "\xdf\xff\xff\xff\xff", 5); }
static void emit_reserved (msgpack_packer *pk) { s_emit_raw (pk, "\xc1", 1); }

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
    static ss_msg_t msg, out;
    uint8_t *data;
    size_t size = s_sample_frame (type, &msg, &data);
    long at = s_find_double (data, size, marker);
    assert_true (at >= 0);
    size_t new_size = size - 9 + repl_size;
    uint8_t *patched = malloc (new_size);
    assert_non_null (patched);
    memcpy (patched, data, (size_t) at);
    memcpy (patched + at, repl, repl_size);
    memcpy (patched + at + repl_size, data + at + 9, size - (size_t) at - 9);
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

//  Both encoders, the `_into` capacity rule, typed and tagged decode, the
//  header decoder, re-encoding: ss_test_round_trip. Returns the size.
static size_t
s_round_trip (uint32_t type, const ss_msg_t *msg)
{
    size_t size = 0;
    const char *why = ss_test_round_trip (type, msg, &size);
    if (why)
        fail_msg ("type %u: %s", type, why);
    s_agreements++;
    return size;
}

static void
test_round_trip_samples (void **state)
{
    (void) state;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        static ss_msg_t msg;
        msg = s_sample (type);
        s_round_trip (type, &msg);
    }
}

//  Encoders write version and type themselves
static void
test_encoder_sets_version_and_type (void **state)
{
    (void) state;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        static ss_msg_t msg;
        msg = s_sample (type);
        msg.hdr.version = 99;
        msg.hdr.type = 77;
        uint8_t *data;
        size_t size;
        assert_int_equal (s_encode (type, &msg, &data, &size), 0);
        ss_header_t hdr;
        assert_int_equal (ss_header_decode (data, size, &hdr), 0);
        assert_int_equal (hdr.version, SS_PROTO_VERSION);
        assert_int_equal (hdr.type, type);
        static uint8_t buf [256];
        size_t into = 0;
        assert_int_equal (ss_test_encode_into (type, &msg, buf, sizeof buf, &into), 0);
        assert_int_equal (into, size);
        assert_memory_equal (buf, data, size);
        free (data);
    }
}

static const double s_extremes [] = {
    0.0, -0.0, 1e6, -1e6, 5e-324, -5e-324, 2.2250738585072014e-308,
    999999.9999999999, 1.0 / 3.0, -123.456
};
#define N_EXTREMES (sizeof s_extremes / sizeof s_extremes [0])

//  Masses at the edges of each msgpack uint width and of the sign bit
static const uint64_t s_masses [] = {
    0, 1, 127, 128, 255, 256, 65535, 65536, UINT32_MAX, 1ULL << 32,
    (1ULL << 63) - 1, 1ULL << 63, UINT64_MAX - 1, UINT64_MAX
};
#define N_MASSES (sizeof s_masses / sizeof s_masses [0])

static ss_header_t
s_extreme_header (uint32_t type, int variant)
{
    ss_header_t hdr = { .version = SS_PROTO_VERSION, .type = type };
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
    static ss_msg_t msg;
    uint32_t ks [] = { 1, 2, SS_MAX_K };
    for (int variant = 0; variant < 2; variant++) {
        //  Estimate with k = 1, 2 and SS_MAX_K, every mass extreme
        for (size_t ki = 0; ki < 3; ki++) {
            memset (&msg, 0, sizeof msg);
            msg.estimate.hdr = s_extreme_header (SS_MSG_ESTIMATE, variant);
            msg.estimate.degree = variant? UINT32_MAX: 0;
            msg.estimate.k = ks [ki];
            for (uint32_t i = 0; i < ks [ki]; i++) {
                msg.estimate.theta [i] = s_extremes [(i + (uint32_t) variant) % N_EXTREMES];
                msg.estimate.mass [i] = s_masses [(i + (uint32_t) variant) % N_MASSES];
            }
            s_round_trip (SS_MSG_ESTIMATE, &msg);
        }
        //  Heartbeat: every state, want at its extremes
        uint64_t wants [] = { 0, 1, 1ULL << 63, UINT64_MAX };
        for (uint32_t st = SS_STATE_STARTING; st <= SS_STATE_STOPPING; st++)
        for (size_t w = 0; w < 4; w++) {
            memset (&msg, 0, sizeof msg);
            msg.heartbeat.hdr = s_extreme_header (SS_MSG_HEARTBEAT, variant);
            msg.heartbeat.degree = variant? UINT32_MAX: 0;
            msg.heartbeat.state = st;
            msg.heartbeat.want = wants [w];
            s_round_trip (SS_MSG_HEARTBEAT, &msg);
        }
        //  Report: every dim, k = 1, 2 and SS_MAX_K, 0 and 32 counters
        for (uint32_t dim = 1; dim <= SS_MAX_DIM; dim++)
        for (size_t ki = 0; ki < 3; ki++)
        for (uint32_t nc = 0; nc <= SS_PROTO_MAX_COUNTERS; nc += SS_PROTO_MAX_COUNTERS) {
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
        //  Target: every dim; 0, 1 and SS_MAX_COMPONENTS components; no
        //  grid, a grid of 1 level and the largest grid (not both empty)
        int counts [] = { 0, 1, SS_MAX_COMPONENTS };
        int cells [] = { 0, 1, SS_PROTO_MAX_GRID };
        for (uint32_t dim = 1; dim <= SS_MAX_DIM; dim++)
        for (size_t ci = 0; ci < 3; ci++)
        for (size_t gi = 0; gi < 3; gi++) {
            if (counts [ci] == 0 && cells [gi] == 0)
                continue;
            memset (&msg, 0, sizeof msg);
            ss_target_t *t = &msg.target;
            t->hdr = s_extreme_header (SS_MSG_TARGET, variant);
            t->switch_round = variant? UINT64_MAX: 0;
            t->dim = dim;
            t->mixture.count = counts [ci];
            for (int i = 0; i < counts [ci]; i++) {
                t->mixture.comp [i].weight = variant? 5e-324: 1e6;
                t->mixture.comp [i].std = variant? 1e6: 5e-324;
                for (uint32_t j = 0; j < dim; j++)
                    t->mixture.comp [i].mean [j] = s_extremes [(size_t) i % N_EXTREMES];
            }
            t->mixture.cells = cells [gi];
            for (int g = 0; g < cells [gi]; g++)
                t->mixture.level [g] = (uint8_t) (variant? 255 - g * 7: g * 13);
            size_t size = s_round_trip (SS_MSG_TARGET, &msg);
            assert_true (size <= SS_PROTO_MAX_FRAME);
        }
        //  Control, both commands
        for (uint32_t cmd = SS_CONTROL_STOP; cmd <= SS_CONTROL_STATUS; cmd++) {
            memset (&msg, 0, sizeof msg);
            msg.control.hdr = s_extreme_header (SS_MSG_CONTROL, variant);
            msg.control.command = cmd;
            msg.control.arg = variant? UINT64_MAX: 0;
            s_round_trip (SS_MSG_CONTROL, &msg);
        }
    }
}

//  Every mass value of s_masses, alone (k = 1) and all together
static void
test_estimate_mass (void **state)
{
    (void) state;
    static ss_msg_t msg, out;
    for (size_t i = 0; i < N_MASSES; i++) {
        msg.estimate = s_sample_estimate ();
        msg.estimate.k = 1;
        msg.estimate.mass [0] = s_masses [i];
        s_round_trip (SS_MSG_ESTIMATE, &msg);
    }
    msg.estimate = s_sample_estimate ();
    msg.estimate.k = N_MASSES;
    for (size_t i = 0; i < N_MASSES; i++)
        msg.estimate.mass [i] = s_masses [i];
    s_round_trip (SS_MSG_ESTIMATE, &msg);

    //  0, 1, 2^63 and UINT64_MAX come back exactly from the sample
    msg.estimate = s_sample_estimate ();
    uint8_t *data;
    size_t size;
    assert_int_equal (s_encode (SS_MSG_ESTIMATE, &msg, &data, &size), 0);
    assert_int_equal (s_decode (SS_MSG_ESTIMATE, data, size, &out), 0);
    assert_true (out.estimate.mass [0] == 0 && out.estimate.mass [1] == 1
              && out.estimate.mass [2] == 1ULL << 63
              && out.estimate.mass [3] == UINT64_MAX);
    free (data);
}

//  Largest frames: within the max-size bounds (and close to them), within
//  the frame limit; an `_into` buffer of the bound always suffices
static void
test_max_sizes (void **state)
{
    (void) state;
    static ss_msg_t msg;
    static uint8_t buf [SS_PROTO_MAX_FRAME];
    uint32_t ks [] = { 1, 2, 15, 16, 17, 255, 256, 1023, SS_MAX_K };
    size_t last_est = 0, last_rep = 0;
    for (size_t ki = 0; ki < sizeof ks / sizeof ks [0]; ki++) {
        uint32_t k = ks [ki];
        memset (&msg, 0, sizeof msg);
        ss_estimate_t *e = &msg.estimate;
        e->hdr = s_extreme_header (SS_MSG_ESTIMATE, 1);
        e->degree = UINT32_MAX;
        e->k = k;
        for (uint32_t i = 0; i < k; i++) {
            e->theta [i] = -1e6;
            e->mass [i] = UINT64_MAX;
        }
        size_t bound = ss_estimate_max_size (k);
        size_t size = s_round_trip (SS_MSG_ESTIMATE, &msg);
        assert_true (size <= bound);
        assert_true (bound - size <= 64);
        assert_true (bound > last_est);
        last_est = bound;
        size_t into = 0;
        assert_int_equal (ss_estimate_encode_into (e, buf, bound, &into), 0);
        assert_int_equal (into, size);

        memset (&msg, 0, sizeof msg);
        ss_report_t *r = &msg.report;
        r->hdr = s_extreme_header (SS_MSG_REPORT, 1);
        r->dim = SS_MAX_DIM;
        for (int i = 0; i < SS_MAX_DIM; i++)
            r->x [i] = r->x0 [i] = -1e6;
        r->step = 1e6;
        r->k = k;
        for (uint32_t i = 0; i < k; i++)
            r->theta [i] = r->s [i] = -1e6;
        r->n_counters = SS_PROTO_MAX_COUNTERS;
        for (int i = 0; i < SS_PROTO_MAX_COUNTERS; i++)
            r->counters [i] = UINT64_MAX;
        bound = ss_report_max_size (k);
        size = s_round_trip (SS_MSG_REPORT, &msg);
        assert_true (size <= bound);
        assert_true (bound - size <= 64);
        assert_true (bound > last_rep);
        last_rep = bound;
        assert_int_equal (ss_report_encode_into (r, buf, bound, &into), 0);
        assert_int_equal (into, size);
    }
    assert_true (ss_estimate_max_size (SS_MAX_K) <= SS_PROTO_MAX_FRAME);
    assert_true (ss_report_max_size (SS_MAX_K) <= SS_PROTO_MAX_FRAME / 2);
    print_message ("largest frames (k = %d): estimate <= %zu, report <= %zu bytes\n",
                   SS_MAX_K, ss_estimate_max_size (SS_MAX_K),
                   ss_report_max_size (SS_MAX_K));

    //  The largest target: every component in 3-D and the largest grid
    memset (&msg, 0, sizeof msg);
    ss_target_t *t = &msg.target;
    t->hdr = s_extreme_header (SS_MSG_TARGET, 1);
    t->switch_round = UINT64_MAX;
    t->dim = SS_MAX_DIM;
    t->mixture.count = SS_MAX_COMPONENTS;
    for (int i = 0; i < SS_MAX_COMPONENTS; i++) {
        t->mixture.comp [i].weight = t->mixture.comp [i].std = 0.1;
        for (int j = 0; j < SS_MAX_DIM; j++)
            t->mixture.comp [i].mean [j] = -1e6;
    }
    t->mixture.cells = SS_PROTO_MAX_GRID;
    memset (t->mixture.level, 0xff, SS_PROTO_MAX_GRID);
    size_t size = s_round_trip (SS_MSG_TARGET, &msg);
    assert_true (size <= SS_PROTO_MAX_FRAME);
    print_message ("largest target: %zu bytes\n", size);
}

//  `_into` at every capacity below the frame's size: ENOMEM, nothing
//  written from buf [cap] on, *size untouched; at the size and above: the
//  frame
static bool
s_all_bytes (const uint8_t *bytes, size_t n, uint8_t value)
{
    for (size_t i = 0; i < n; i++)
        if (bytes [i] != value)
            return false;
    return true;
}

static void
test_encode_into_capacity (void **state)
{
    (void) state;
    static uint8_t buf [1024];
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        static ss_msg_t msg;
        uint8_t *data;
        size_t size = s_sample_frame (type, &msg, &data);
        assert_true (size + 64 <= sizeof buf);
        for (size_t cap = 0; cap < size; cap++) {
            memset (buf, 0x5a, sizeof buf);
            size_t out = 777;
            assert_int_equal (ss_test_encode_into (type, &msg, buf, cap, &out),
                              SS_PROTO_ENOMEM);
            assert_int_equal (out, 777);
            assert_true (s_all_bytes (buf + cap, sizeof buf - cap, 0x5a));
        }
        size_t caps [] = { size, size + 1, sizeof buf };
        for (size_t c = 0; c < 3; c++) {
            memset (buf, 0x5a, sizeof buf);
            size_t out = 0;
            assert_int_equal (ss_test_encode_into (type, &msg, buf, caps [c], &out), 0);
            assert_int_equal (out, size);
            assert_memory_equal (buf, data, size);
            assert_true (s_all_bytes (buf + size, sizeof buf - size, 0x5a));
        }
        free (data);
    }
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
static void emit_mass_mixed (msgpack_packer *pk)
{
    //  array16 header for 5 elements, then every width of int and uint
    s_emit_raw (pk, "\xdc\x00\x05", 3);
    msgpack_pack_fix_uint8 (pk, 3);
    msgpack_pack_fix_uint16 (pk, 500);
    msgpack_pack_fix_int32 (pk, 70000);
    msgpack_pack_fix_int64 (pk, INT64_MAX);
    msgpack_pack_fix_int8 (pk, 0);
}
static void emit_theta_array32 (msgpack_packer *pk)
{
    s_emit_raw (pk, "\xdd\x00\x00\x00\x05", 5);
    for (int i = 0; i < 5; i++)
        msgpack_pack_double (pk, 0.5 * i);
}
static void emit_fleet_wide (msgpack_packer *pk) { msgpack_pack_fix_uint64 (pk, 9); }
static void emit_sender_int32 (msgpack_packer *pk) { msgpack_pack_fix_int32 (pk, 12); }
static void emit_version_int8 (msgpack_packer *pk) { msgpack_pack_fix_int8 (pk, SS_PROTO_VERSION); }
static void emit_want_int64 (msgpack_packer *pk) { msgpack_pack_fix_int64 (pk, 42); }
static void emit_state_uint32 (msgpack_packer *pk) { msgpack_pack_fix_uint32 (pk, SS_STATE_STOPPING); }
static void emit_grid_bin16 (msgpack_packer *pk) { s_emit_raw (pk, "\xc5\x00\x02\x07\x08", 5); }
static void emit_grid_bin32 (msgpack_packer *pk) { s_emit_raw (pk, "\xc6\x00\x00\x00\x02\x07\x08", 7); }

static void
test_accepts_alternative_encodings (void **state)
{
    (void) state;
    const ss_msg_t *out;
    out = s_accept (SS_MSG_ESTIMATE, 7, emit_theta_mixed);
    assert_int_equal (out->estimate.k, 5);
    assert_true (out->estimate.theta [0] == 1.5 && out->estimate.theta [1] == 3
              && out->estimate.theta [2] == -2 && out->estimate.theta [3] == -5
              && out->estimate.theta [4] == 7);

    out = s_accept (SS_MSG_ESTIMATE, 7, emit_theta_array32);
    assert_true (out->estimate.k == 5 && out->estimate.theta [4] == 2.0);

    out = s_accept (SS_MSG_ESTIMATE, 8, emit_mass_mixed);
    assert_true (out->estimate.mass [0] == 3 && out->estimate.mass [1] == 500
              && out->estimate.mass [2] == 70000
              && out->estimate.mass [3] == (uint64_t) INT64_MAX
              && out->estimate.mass [4] == 0);

    out = s_accept (SS_MSG_ESTIMATE, 2, emit_fleet_wide);
    assert_true (out->hdr.fleet == 9);

    out = s_accept (SS_MSG_ESTIMATE, 5, emit_sender_int32);
    assert_int_equal (out->hdr.sender, 12);

    out = s_accept (SS_MSG_ESTIMATE, 0, emit_version_int8);

    out = s_accept (SS_MSG_HEARTBEAT, 8, emit_want_int64);
    assert_true (out->heartbeat.want == 42);

    out = s_accept (SS_MSG_HEARTBEAT, 7, emit_state_uint32);
    assert_int_equal (out->heartbeat.state, SS_STATE_STOPPING);

    //  A grid in bin16 and bin32 framing
    emit_fn *grids [] = { emit_grid_bin16, emit_grid_bin32 };
    for (int g = 0; g < 2; g++) {
        out = s_accept (SS_MSG_TARGET, 9, grids [g]);
        assert_true (out->target.mixture.cells == 2 && out->target.mixture.level [0] == 7
                  && out->target.mixture.level [1] == 8);
    }

    //  step given as an integer and as float32
    out = s_accept (SS_MSG_REPORT, 9, emit_two);
    assert_true (out->report.step == 2.0);
    out = s_accept (SS_MSG_REPORT, 9, emit_float32);
    assert_true (out->report.step == 1.0);

    //  Field at the top of its range
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 5, emit_u32max), 0);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 6, emit_u32max), 0);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 2, emit_u64max), 0);
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 8, emit_u64max), 0);
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 8, emit_2e63), 0);
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
    static ss_msg_t msg, out;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        uint8_t *data;
        size_t size = s_sample_frame (type, &msg, &data);
        for (size_t len = 0; len < size; len++) {
            //  A fresh copy of exactly len bytes, so ASan sees overreads
            uint8_t *copy = malloc (len? len: 1);
            assert_non_null (copy);
            memcpy (copy, data, len);
            assert_int_equal (s_decode (type, copy, len, &out), SS_PROTO_ETRUNCATED);
            ss_header_t hdr;
            int hrc = ss_header_decode (copy, len, &hdr);
            assert_true (hrc == SS_PROTO_ETRUNCATED || hrc == 0);
            if (hrc == 0)
                assert_true (ss_test_header_eq (&hdr, &msg.hdr));
            free (copy);
        }
        free (data);
    }
    //  The NULL/empty frame
    ss_header_t hdr;
    assert_int_equal (ss_header_decode (NULL, 0, &hdr), SS_PROTO_ETRUNCATED);
    assert_int_equal (ss_msg_decode (NULL, 0, &out), SS_PROTO_ETRUNCATED);
    for (uint32_t type = 1; type <= N_TYPES; type++)
        assert_int_equal (s_decode (type, NULL, 0, &out), SS_PROTO_ETRUNCATED);
}

//  Every top-level field replaced by a value of a wrong msgpack type
static void
test_wrong_field_types (void **state)
{
    (void) state;
    emit_fn *never_ok [] = { emit_nil, emit_true, emit_str, emit_ext,
                             emit_map, emit_map1, emit_reserved };
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        const char *kinds = s_kinds [type];
        for (int i = 0; kinds [i]; i++) {
            for (size_t m = 0; m < sizeof never_ok / sizeof never_ok [0]; m++)
                assert_int_equal (s_mutate (type, i, never_ok [m]), SS_PROTO_ETYPE);
            //  A bin is the grid's type, and no other field's
            assert_int_equal (s_mutate (type, i, emit_bin),
                              kinds [i] == 'b'? 0: SS_PROTO_ETYPE);
            if (kinds [i] == 'a' || kinds [i] == 'b') {
                assert_int_equal (s_mutate (type, i, emit_one), SS_PROTO_ETYPE);
                assert_int_equal (s_mutate (type, i, emit_neg), SS_PROTO_ETYPE);
                assert_int_equal (s_mutate (type, i, emit_float), SS_PROTO_ETYPE);
                assert_int_equal (s_mutate (type, i, emit_map32_huge), SS_PROTO_ETYPE);
            }
            if (kinds [i] != 'a') {
                //  Containers where a scalar or a bin is expected
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
    //  Heartbeat state: 0..3 (ss_state_t), 4 and beyond out of range
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 7, emit_zero), 0);
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 7, emit_one), 0);
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 7, emit_two), 0);
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 7, emit_three), 0);
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 7, emit_four), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 7, emit_u32max), SS_PROTO_ERANGE);
    //  Heartbeat want: any uint64
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 8, emit_zero), 0);
    assert_int_equal (s_mutate (SS_MSG_HEARTBEAT, 8, emit_2e40), 0);
    //  Control command: 1 (STOP) or 2 (STATUS)
    assert_int_equal (s_mutate (SS_MSG_CONTROL, 6, emit_zero), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_CONTROL, 6, emit_two), 0);
    assert_int_equal (s_mutate (SS_MSG_CONTROL, 6, emit_three), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_CONTROL, 6, emit_four), SS_PROTO_ERANGE);
    //  dim 0 and SS_MAX_DIM + 1
    assert_int_equal (s_mutate (SS_MSG_REPORT, 6, emit_zero), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 6, emit_four), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 7, emit_zero), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 7, emit_four), SS_PROTO_ERANGE);
    //  step negative
    assert_int_equal (s_mutate (SS_MSG_REPORT, 9, emit_neg), SS_PROTO_ERANGE);
}

//  Semantic checks of a heartbeat's state and a control's command come
//  after the end of the frame: a bad value followed by junk is "trailing"
static void
test_check_order_at_end (void **state)
{
    (void) state;
    static ss_msg_t msg, out;
    uint32_t types [] = { SS_MSG_HEARTBEAT, SS_MSG_CONTROL };
    for (int t = 0; t < 2; t++) {
        msg = s_sample (types [t]);
        if (types [t] == SS_MSG_HEARTBEAT)
            msg.heartbeat.state = 4;
        else
            msg.control.command = 9;
        msgpack_sbuffer sbuf = s_build_from (types [t], &msg, -1, NULL, -1);
        assert_int_equal (s_decode (types [t], (uint8_t *) sbuf.data, sbuf.size, &out),
                          SS_PROTO_ERANGE);
        msgpack_sbuffer_write (&sbuf, "\x00", 1);
        assert_int_equal (s_decode (types [t], (uint8_t *) sbuf.data, sbuf.size, &out),
                          SS_PROTO_ETRAILING);
        msgpack_sbuffer_destroy (&sbuf);
    }
}

//  A frame as version 1 wrote it: ESTIMATE [hdr, degree, theta, s],
//  HEARTBEAT [hdr, degree, state], TARGET [hdr, switch_round, dim,
//  mixture]; REPORT and CONTROL had today's layout
static void s_emit_mixture (msgpack_packer *pk, int n, int bad, emit_fn *emit);

static msgpack_sbuffer
s_v1_frame (uint32_t type)
{
    static const int v1_fields [N_TYPES + 1] = { 0, 9, 8, 13, 9, 8 };
    static ss_msg_t msg;
    msg = s_sample (type);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_array (&pk, (size_t) v1_fields [type]);
    msgpack_pack_uint32 (&pk, 1);
    for (int i = 1; i < 6; i++)
        s_emit_field (&pk, type, &msg, i);
    switch (type) {
        case SS_MSG_ESTIMATE:
            msgpack_pack_uint32 (&pk, 4);
            s_pack_doubles (&pk, (double []) { 0.5, -0.5, 1 }, 3);
            s_pack_doubles (&pk, (double []) { 0.1, 0.2, 0.3 }, 3);
            break;
        case SS_MSG_HEARTBEAT:
            msgpack_pack_uint32 (&pk, 2);
            msgpack_pack_uint32 (&pk, 0);
            break;
        case SS_MSG_TARGET:
            msgpack_pack_uint64 (&pk, 5000);
            msgpack_pack_uint32 (&pk, 2);
            s_emit_mixture (&pk, 1, -1, NULL);
            break;
        default:
            for (int i = 6; i < v1_fields [type]; i++)
                s_emit_field (&pk, type, &msg, i);
    }
    return sbuf;
}

static void
test_wrong_version (void **state)
{
    (void) state;
    static ss_msg_t out;
    emit_fn *bad [] = { emit_zero, emit_one, emit_three, emit_u32max,
                        emit_2e40, emit_neg, emit_neg64 };
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        for (size_t m = 0; m < sizeof bad / sizeof bad [0]; m++) {
            msgpack_sbuffer sbuf = s_build (type, 0, bad [m], -1);
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
        //  A real version-1 frame: refused by every decoder as "version"
        msgpack_sbuffer sbuf = s_v1_frame (type);
        for (uint32_t other = 1; other <= N_TYPES; other++)
            assert_int_equal (s_decode (other, (uint8_t *) sbuf.data, sbuf.size, &out),
                              SS_PROTO_EVERSION);
        assert_int_equal (ss_msg_decode ((uint8_t *) sbuf.data, sbuf.size, &out),
                          SS_PROTO_EVERSION);
        //  ... and the same frame with version 2 is refused by its shape
        //  (a version-2 decoder never reads a v1 body as its own)
        ((uint8_t *) sbuf.data) [1] = SS_PROTO_VERSION;
        int expect = type == SS_MSG_REPORT || type == SS_MSG_CONTROL? 0
                   : type == SS_MSG_ESTIMATE? SS_PROTO_ETYPE: SS_PROTO_ELENGTH;
        assert_int_equal (s_decode (type, (uint8_t *) sbuf.data, sbuf.size, &out), expect);
        msgpack_sbuffer_destroy (&sbuf);
    }
}

static void
test_wrong_message_type (void **state)
{
    (void) state;
    static ss_msg_t msg, out;
    //  Each valid frame decoded by every other decoder; the tagged decoder
    //  names its type
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        uint8_t *data;
        size_t size = s_sample_frame (type, &msg, &data);
        for (uint32_t other = 1; other <= N_TYPES; other++) {
            int rc = s_decode (other, data, size, &out);
            assert_int_equal (rc, other == type? 0: SS_PROTO_EMSGTYPE);
        }
        assert_int_equal (ss_msg_decode (data, size, &out), 0);
        assert_int_equal (out.hdr.type, type);
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
            assert_int_equal (ss_msg_decode ((uint8_t *) sbuf.data, sbuf.size, &out),
                              SS_PROTO_EMSGTYPE);
            assert_int_equal (s_decode (type, (uint8_t *) sbuf.data, sbuf.size, &out),
                              SS_PROTO_EMSGTYPE);
            msgpack_sbuffer_destroy (&sbuf);
        }
    //  A frame whose type field names another message: the tagged decoder
    //  reads it as that message, so a control frame relabelled as a
    //  heartbeat (8 fields where a heartbeat has 9) is refused for its length
    msgpack_sbuffer sbuf = s_build (SS_MSG_CONTROL, 1, emit_two, -1);
    assert_int_equal (ss_msg_decode ((uint8_t *) sbuf.data, sbuf.size, &out),
                      SS_PROTO_ELENGTH);
    assert_int_equal (s_decode (SS_MSG_CONTROL, (uint8_t *) sbuf.data, sbuf.size, &out),
                      SS_PROTO_EMSGTYPE);
    assert_int_equal (s_decode (SS_MSG_HEARTBEAT, (uint8_t *) sbuf.data, sbuf.size, &out),
                      SS_PROTO_ELENGTH);
    msgpack_sbuffer_destroy (&sbuf);
}

static void
test_wrong_outer_length (void **state)
{
    (void) state;
    static ss_msg_t msg, out;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        int fields = s_fields (type);
        int claims [] = { 0, 1, 5, 6, fields - 1, fields + 1, 15, 16, 65535, 65536 };
        for (size_t c = 0; c < sizeof claims / sizeof claims [0]; c++) {
            msgpack_sbuffer sbuf = s_build (type, -1, NULL, claims [c]);
            assert_int_equal (s_decode (type, (uint8_t *) sbuf.data, sbuf.size, &out),
                              SS_PROTO_ELENGTH);
            ss_header_t hdr;
            assert_int_equal (ss_header_decode ((uint8_t *) sbuf.data, sbuf.size, &hdr),
                              claims [c] < 6? SS_PROTO_ELENGTH: 0);
            msgpack_sbuffer_destroy (&sbuf);
        }
        //  An outer array32 claiming 2^32-1 elements: header decodes,
        //  the message is refused at once
        uint8_t *data;
        size_t size = s_sample_frame (type, &msg, &data);
        uint8_t *huge = malloc (size + 4);
        assert_non_null (huge);
        memcpy (huge, "\xdd\xff\xff\xff\xff", 5);
        memcpy (huge + 5, data + 1, size - 1);     //  sample is a fixarray
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
    assert_int_equal (s_decode (SS_MSG_ESTIMATE, not_array, sizeof not_array, &out),
                      SS_PROTO_ETYPE);
    const uint8_t scalar [] = { 0x01 };
    ss_header_t hdr;
    assert_int_equal (ss_header_decode (scalar, 1, &hdr), SS_PROTO_ETYPE);
    assert_int_equal (ss_msg_decode (scalar, 1, &out), SS_PROTO_ETYPE);
}

//  Inner arrays: theta, mass, s, x, x0, counters, mixture, components, means
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
//  An array of n uints, its last element (if `last`) written by `last`
static void emit_uints (msgpack_packer *pk, int n, emit_fn *last)
{
    msgpack_pack_array (pk, (size_t) n);
    for (int i = 0; i < n; i++)
        if (i == n - 1 && last)
            last (pk);
        else
            msgpack_pack_uint64 (pk, (uint64_t) i);
}
static void emit_counters0 (msgpack_packer *pk) { emit_uints (pk, 0, NULL); }
static void emit_counters_max (msgpack_packer *pk) { emit_uints (pk, SS_PROTO_MAX_COUNTERS, NULL); }
static void emit_counters_over (msgpack_packer *pk) { emit_uints (pk, SS_PROTO_MAX_COUNTERS + 1, NULL); }
static void emit_counter_neg (msgpack_packer *pk) { emit_uints (pk, 3, emit_neg); }
static void emit_counter_float (msgpack_packer *pk) { emit_uints (pk, 3, emit_float); }
static void emit_counter_nil (msgpack_packer *pk) { emit_uints (pk, 3, emit_nil); }
static void emit_counter_nested (msgpack_packer *pk) { emit_uints (pk, 3, emit_array1); }
static void emit_counter_max (msgpack_packer *pk) { emit_uints (pk, 3, emit_u64max); }
//  Masses of the sample estimate (k = 5), the last one replaced
static void emit_mass_ok (msgpack_packer *pk) { emit_uints (pk, 5, NULL); }
static void emit_mass_max (msgpack_packer *pk) { emit_uints (pk, 5, emit_u64max); }
static void emit_mass_2e63 (msgpack_packer *pk) { emit_uints (pk, 5, emit_2e63); }
static void emit_mass_neg (msgpack_packer *pk) { emit_uints (pk, 5, emit_neg); }
static void emit_mass_neg64 (msgpack_packer *pk) { emit_uints (pk, 5, emit_neg64); }
static void emit_mass_float (msgpack_packer *pk) { emit_uints (pk, 5, emit_float); }
static void emit_mass_float32 (msgpack_packer *pk) { emit_uints (pk, 5, emit_float32); }
static void emit_mass_nil (msgpack_packer *pk) { emit_uints (pk, 5, emit_nil); }
static void emit_mass_str (msgpack_packer *pk) { emit_uints (pk, 5, emit_str); }
static void emit_mass_nested (msgpack_packer *pk) { emit_uints (pk, 5, emit_array1); }
static void emit_mass4 (msgpack_packer *pk) { emit_uints (pk, 4, NULL); }
static void emit_mass6 (msgpack_packer *pk) { emit_uints (pk, 6, NULL); }
static void emit_mass_truncated (msgpack_packer *pk)
{
    //  Five masses announced, the last one cut inside its uint64
    msgpack_pack_array (pk, 5);
    for (int i = 0; i < 4; i++)
        msgpack_pack_uint64 (pk, (uint64_t) i);
    s_emit_raw (pk, "\xcf\x00\x00", 3);
}

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
static void emit_mix_comp_bin (msgpack_packer *pk) { s_emit_mixture (pk, 2, 0, emit_bin); }

static void
test_inner_lengths (void **state)
{
    (void) state;
    //  Estimate: theta at 7, mass at 8, k = 5
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 7, emit_k0), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 7, emit_k_too_many), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 7, emit_array16_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 7, emit_array32_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 7, emit_k4), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass4), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass6), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_k0), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_array16_huge), SS_PROTO_ELENGTH);
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
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counters_max), 0);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counters_over), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_array32_huge), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counter_max), 0);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counter_neg), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counter_float), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counter_nil), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_REPORT, 12, emit_counter_nested), SS_PROTO_ETYPE);
    //  Target: mixture at 8, dim 2 (the sample has a grid too)
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix1), 0);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix16), 0);
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix0), 0);
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
    assert_int_equal (s_mutate (SS_MSG_TARGET, 8, emit_mix_comp_bin), SS_PROTO_ETYPE);
}

//  ESTIMATE's mass: uint64, any value; a negative int is out of range, a
//  float or any non-integer is the wrong type
static void
test_estimate_mass_wire (void **state)
{
    (void) state;
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass_ok), 0);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass_max), 0);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass_neg), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass_neg64), SS_PROTO_ERANGE);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass_float), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass_float32), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass_nil), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass_str), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass_nested), SS_PROTO_ETYPE);
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_mass_truncated), SS_PROTO_ETRUNCATED);
    //  The v1 tracker (doubles) where the masses belong
    assert_int_equal (s_mutate (SS_MSG_ESTIMATE, 8, emit_k6), SS_PROTO_ELENGTH);
    const ss_msg_t *out = s_accept (SS_MSG_ESTIMATE, 8, emit_mass_2e63);
    assert_true (out->estimate.mass [4] == 1ULL << 63 && out->estimate.mass [0] == 0);
}

//  TARGET: a grid only, a mixture only, both; neither is refused
static void emit_grid_empty (msgpack_packer *pk) { msgpack_pack_bin (pk, 0); }
static void emit_grid_one (msgpack_packer *pk) { msgpack_pack_bin_with_body (pk, "\x09", 1); }
static void
s_emit_grid (msgpack_packer *pk, size_t n)
{
    static uint8_t levels [SS_PROTO_MAX_GRID + 1];
    for (size_t i = 0; i < n; i++)
        levels [i] = (uint8_t) (i * 31);
    msgpack_pack_bin_with_body (pk, levels, n);
}
static void emit_grid_max (msgpack_packer *pk) { s_emit_grid (pk, SS_PROTO_MAX_GRID); }
static void emit_grid_over (msgpack_packer *pk) { s_emit_grid (pk, SS_PROTO_MAX_GRID + 1); }
static void emit_grid_bin16_huge (msgpack_packer *pk) { s_emit_raw (pk, "\xc5\xff\xff", 3); }
static void emit_grid_bin32_huge (msgpack_packer *pk) { s_emit_raw (pk, "\xc6\xff\xff\xff\xff", 5); }
static void emit_grid_bin8_short (msgpack_packer *pk) { s_emit_raw (pk, "\xc4\xc8\x01\x02", 4); }
static void emit_grid_str8 (msgpack_packer *pk)
{
    msgpack_pack_str (pk, 40);
    msgpack_pack_str_body (pk, "0123456789012345678901234567890123456789", 40);
}
static void emit_grid_str16 (msgpack_packer *pk)
{
    static char text [300];
    memset (text, 'g', sizeof text);
    msgpack_pack_str_with_body (pk, text, sizeof text);
}
static void emit_grid_ints (msgpack_packer *pk) { emit_uints (pk, 6, NULL); }

static void
test_target_grid (void **state)
{
    (void) state;
    static ss_msg_t msg, out;
    //  Round trips: grid only, mixture only, both
    for (int v = 0; v < 3; v++) {
        msg.target = s_target_variant (v != 0, v != 1);
        s_round_trip (SS_MSG_TARGET, &msg);
        uint8_t *data;
        size_t size;
        assert_int_equal (s_encode (SS_MSG_TARGET, &msg, &data, &size), 0);
        assert_int_equal (s_decode (SS_MSG_TARGET, data, size, &out), 0);
        assert_int_equal (out.target.mixture.count, v != 0? 2: 0);
        assert_int_equal (out.target.mixture.cells, v != 1? GRID_CELLS: 0);
        if (v != 1)
            assert_memory_equal (out.target.mixture.level, s_grid, sizeof s_grid);
        free (data);
    }
    //  Neither: both encoders refuse, and so does the decoder
    msg.target = s_target_variant (false, false);
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal (ss_target_encode (&msg.target, &data, &size), SS_PROTO_ELENGTH);
    assert_null (data);
    static uint8_t buf [256];
    assert_int_equal (ss_target_encode_into (&msg.target, buf, sizeof buf, &size),
                      SS_PROTO_ELENGTH);
    msgpack_sbuffer sbuf = s_build_from (SS_MSG_TARGET, &msg, -1, NULL, -1);
    assert_int_equal (s_decode (SS_MSG_TARGET, (uint8_t *) sbuf.data, sbuf.size, &out),
                      SS_PROTO_ELENGTH);
    msgpack_sbuffer_destroy (&sbuf);
    assert_int_equal (s_mutate_target (true, false, 8, emit_mix0), SS_PROTO_ELENGTH);
    assert_int_equal (s_mutate_target (false, true, 9, emit_grid_empty), SS_PROTO_ELENGTH);
    //  ... while one component or one level is enough
    assert_int_equal (s_mutate_target (false, false, 8, emit_mix1), 0);
    assert_int_equal (s_mutate_target (false, false, 9, emit_grid_one), 0);
    assert_int_equal (s_mutate_target (true, true, 9, emit_grid_empty), 0);

    //  Grid lengths: up to SS_PROTO_MAX_GRID, with or without a mixture
    for (int mix = 0; mix < 2; mix++) {
        assert_int_equal (s_mutate_target (mix, true, 9, emit_grid_max), 0);
        assert_int_equal (s_mutate_target (mix, true, 9, emit_grid_over), SS_PROTO_ELENGTH);
        assert_int_equal (s_mutate_target (mix, true, 9, emit_grid_bin16_huge), SS_PROTO_ELENGTH);
        assert_int_equal (s_mutate_target (mix, true, 9, emit_grid_bin32_huge), SS_PROTO_ELENGTH);
        assert_int_equal (s_mutate_target (mix, true, 9, emit_grid_bin8_short), SS_PROTO_ETRUNCATED);
        //  Not a bin: str of every width, an array of levels, ...
        assert_int_equal (s_mutate_target (mix, true, 9, emit_str), SS_PROTO_ETYPE);
        assert_int_equal (s_mutate_target (mix, true, 9, emit_grid_str8), SS_PROTO_ETYPE);
        assert_int_equal (s_mutate_target (mix, true, 9, emit_grid_str16), SS_PROTO_ETYPE);
        assert_int_equal (s_mutate_target (mix, true, 9, emit_grid_ints), SS_PROTO_ETYPE);
        assert_int_equal (s_mutate_target (mix, true, 9, emit_ext), SS_PROTO_ETYPE);
        assert_int_equal (s_mutate_target (mix, true, 9, emit_nil), SS_PROTO_ETYPE);
    }
    const ss_msg_t *max = s_accept (SS_MSG_TARGET, 9, emit_grid_max);
    assert_int_equal (max->target.mixture.cells, SS_PROTO_MAX_GRID);
    assert_int_equal (max->target.mixture.level [SS_PROTO_MAX_GRID - 1],
                      (uint8_t) ((SS_PROTO_MAX_GRID - 1) * 31));

    //  Every level value 0..255
    msg.target = s_target_variant (false, true);
    msg.target.mixture.cells = 256;
    for (int g = 0; g < 256; g++)
        msg.target.mixture.level [g] = (uint8_t) (255 - g);
    s_round_trip (SS_MSG_TARGET, &msg);

    //  Encoders refuse a grid of the wrong length
    int bad_cells [] = { -1, SS_PROTO_MAX_GRID + 1, INT32_MAX };
    for (int c = 0; c < 3; c++) {
        msg.target = s_sample_target ();
        msg.target.mixture.cells = bad_cells [c];
        data = NULL;
        assert_int_equal (ss_target_encode (&msg.target, &data, &size), SS_PROTO_ELENGTH);
        assert_null (data);
        assert_int_equal (ss_target_encode_into (&msg.target, buf, sizeof buf, &size),
                          SS_PROTO_ELENGTH);
    }
}

//  Non-finite, absurd and wrongly typed values inside nested arrays
static void
test_nested_doubles (void **state)
{
    (void) state;
    struct { uint32_t type; double marker; bool positive; } spots [] = {
        { SS_MSG_ESTIMATE, MARK_A, false },     //  theta [2]
        { SS_MSG_ESTIMATE, MARK_B, false },     //  theta [4], last element
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
    const uint8_t bin [] = { 0xc4, 0x01, 0x07 };
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
        assert_int_equal (PATCH (bin), SS_PROTO_ETYPE);
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
    static ss_msg_t msg, out;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        uint8_t *data;
        size_t size = s_sample_frame (type, &msg, &data);
        uint8_t *longer = malloc (size + 9);
        assert_non_null (longer);
        memcpy (longer, data, size);
        memset (longer + size, 0, 9);
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
    static ss_msg_t msg, out;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        uint8_t *data;
        size_t size = s_sample_frame (type, &msg, &data);
        uint8_t *big = calloc (1, SS_PROTO_MAX_FRAME + 1);
        assert_non_null (big);
        memcpy (big, data, size);
        assert_int_equal (s_decode (type, big, SS_PROTO_MAX_FRAME + 1, &out),
                          SS_PROTO_ETOOBIG);
        assert_int_equal (s_decode (type, big, SIZE_MAX, &out), SS_PROTO_ETOOBIG);
        ss_header_t hdr;
        assert_int_equal (ss_header_decode (big, SS_PROTO_MAX_FRAME + 1, &hdr),
                          SS_PROTO_ETOOBIG);
        assert_int_equal (ss_msg_decode (big, SS_PROTO_MAX_FRAME + 1, &out),
                          SS_PROTO_ETOOBIG);
        //  At exactly the limit the size is fine; the padding is trailing
        assert_int_equal (s_decode (type, big, SS_PROTO_MAX_FRAME, &out),
                          SS_PROTO_ETRAILING);
        free (big);
        free (data);
    }
}

//  Both encoders refuse msg with `expect`; nothing is handed out or written
static void
s_refuse (uint32_t type, const ss_msg_t *msg, int expect)
{
    static uint8_t buf [512];
    uint8_t *data = NULL;
    size_t size = 4242;
    assert_int_equal (s_encode (type, msg, &data, &size), expect);
    assert_null (data);
    assert_int_equal (size, 4242);
    memset (buf, 0x5a, sizeof buf);
    assert_int_equal (ss_test_encode_into (type, msg, buf, sizeof buf, &size), expect);
    assert_int_equal (size, 4242);
    assert_true (s_all_bytes (buf, sizeof buf, 0x5a));
}

static void
test_encoders_refuse (void **state)
{
    (void) state;
    static ss_msg_t msg;

    msg.estimate = s_sample_estimate ();
    msg.estimate.k = 0;
    s_refuse (SS_MSG_ESTIMATE, &msg, SS_PROTO_ELENGTH);
    msg.estimate.k = SS_MAX_K + 1;
    s_refuse (SS_MSG_ESTIMATE, &msg, SS_PROTO_ELENGTH);
    msg.estimate = s_sample_estimate ();
    msg.estimate.theta [4] = NAN;
    s_refuse (SS_MSG_ESTIMATE, &msg, SS_PROTO_ENONFINITE);
    msg.estimate = s_sample_estimate ();
    msg.estimate.theta [0] = -INFINITY;
    s_refuse (SS_MSG_ESTIMATE, &msg, SS_PROTO_ENONFINITE);
    msg.estimate = s_sample_estimate ();
    msg.estimate.theta [1] = 2e6;
    s_refuse (SS_MSG_ESTIMATE, &msg, SS_PROTO_ERANGE);

    msg.heartbeat = s_sample_heartbeat ();
    msg.heartbeat.state = SS_STATE_STOPPING + 1;
    s_refuse (SS_MSG_HEARTBEAT, &msg, SS_PROTO_ERANGE);
    msg.heartbeat.state = UINT32_MAX;
    s_refuse (SS_MSG_HEARTBEAT, &msg, SS_PROTO_ERANGE);

    msg.report = s_sample_report ();
    msg.report.dim = 0;
    s_refuse (SS_MSG_REPORT, &msg, SS_PROTO_ERANGE);
    msg.report.dim = SS_MAX_DIM + 1;
    s_refuse (SS_MSG_REPORT, &msg, SS_PROTO_ERANGE);
    msg.report = s_sample_report ();
    msg.report.k = 0;
    s_refuse (SS_MSG_REPORT, &msg, SS_PROTO_ELENGTH);
    msg.report = s_sample_report ();
    msg.report.n_counters = SS_PROTO_MAX_COUNTERS + 1;
    s_refuse (SS_MSG_REPORT, &msg, SS_PROTO_ELENGTH);
    msg.report = s_sample_report ();
    msg.report.x0 [1] = INFINITY;
    s_refuse (SS_MSG_REPORT, &msg, SS_PROTO_ENONFINITE);
    msg.report = s_sample_report ();
    msg.report.theta [2] = -1e7;
    s_refuse (SS_MSG_REPORT, &msg, SS_PROTO_ERANGE);
    msg.report = s_sample_report ();
    msg.report.s [0] = NAN;
    s_refuse (SS_MSG_REPORT, &msg, SS_PROTO_ENONFINITE);

    msg.target = s_sample_target ();
    msg.target.mixture.count = -1;
    s_refuse (SS_MSG_TARGET, &msg, SS_PROTO_ELENGTH);
    msg.target.mixture.count = SS_MAX_COMPONENTS + 1;
    s_refuse (SS_MSG_TARGET, &msg, SS_PROTO_ELENGTH);
    msg.target = s_target_variant (false, false);
    s_refuse (SS_MSG_TARGET, &msg, SS_PROTO_ELENGTH);
    msg.target = s_sample_target ();
    msg.target.dim = 0;
    s_refuse (SS_MSG_TARGET, &msg, SS_PROTO_ERANGE);
    msg.target.dim = SS_MAX_DIM + 1;
    s_refuse (SS_MSG_TARGET, &msg, SS_PROTO_ERANGE);
    msg.target = s_sample_target ();
    msg.target.mixture.comp [1].weight = 0;
    s_refuse (SS_MSG_TARGET, &msg, SS_PROTO_ERANGE);
    msg.target = s_sample_target ();
    msg.target.mixture.comp [0].std = -0.1;
    s_refuse (SS_MSG_TARGET, &msg, SS_PROTO_ERANGE);
    msg.target = s_sample_target ();
    msg.target.mixture.comp [0].mean [1] = NAN;
    s_refuse (SS_MSG_TARGET, &msg, SS_PROTO_ENONFINITE);

    msg.control = s_sample_control ();
    msg.control.command = 0;
    s_refuse (SS_MSG_CONTROL, &msg, SS_PROTO_ERANGE);
    msg.control.command = 3;
    s_refuse (SS_MSG_CONTROL, &msg, SS_PROTO_ERANGE);
}

//  STATUS is a valid control command and round-trips
static void
test_control_status (void **state)
{
    (void) state;
    static ss_msg_t msg, out;
    msg.control = s_sample_control ();
    msg.control.command = SS_CONTROL_STATUS;
    s_round_trip (SS_MSG_CONTROL, &msg);
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal (s_encode (SS_MSG_CONTROL, &msg, &data, &size), 0);
    assert_int_equal (s_decode (SS_MSG_CONTROL, data, size, &out), 0);
    assert_int_equal (out.control.command, SS_CONTROL_STATUS);
    free (data);
}

//  ss_msg_decode fills the member its hdr.type names, and nothing else is
//  needed to dispatch
static void
test_msg_decode_tagged (void **state)
{
    (void) state;
    static ss_msg_t msg, out;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        uint8_t *data;
        size_t size = s_sample_frame (type, &msg, &data);
        memset (&out, 0xa5, sizeof out);
        assert_int_equal (ss_msg_decode (data, size, &out), 0);
        assert_int_equal (out.hdr.type, type);
        assert_int_equal (out.hdr.version, SS_PROTO_VERSION);
        assert_true (ss_test_msg_eq (type, &out, &msg));
        free (data);
    }
    //  The header of each member is the union's header
    assert_true ((void *) &out.estimate.hdr == (void *) &out.hdr);
    assert_true ((void *) &out.heartbeat.hdr == (void *) &out.hdr);
    assert_true ((void *) &out.report.hdr == (void *) &out.hdr);
    assert_true ((void *) &out.target.hdr == (void *) &out.hdr);
    assert_true ((void *) &out.control.hdr == (void *) &out.hdr);
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

//  Decode any buffer with every decoder (each checked against the tagged
//  one); a success must round-trip
static void
s_decode_all (const uint8_t *data, size_t size)
{
    static ss_msg_t out;
    ss_header_t hdr;
    assert_true (ss_test_valid_code (ss_header_decode (data, size, &hdr)));
    for (uint32_t type = 1; type <= N_TYPES; type++)
        if (s_decode (type, data, size, &out) == 0)
            s_round_trip (type, &out);
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
            buf [1] = SS_PROTO_VERSION;
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
    static ss_msg_t msg, out;
    int accepted = 0;
    for (uint32_t type = 1; type <= N_TYPES; type++) {
        uint8_t *data;
        size_t size = s_sample_frame (type, &msg, &data);
        uint8_t *copy = malloc (size);
        assert_non_null (copy);
        for (int n = 0; n < 2000; n++) {
            memcpy (copy, data, size);
            int flips = 1 + (int) (s_rand () % 4);
            for (int f = 0; f < flips; f++)
                copy [s_rand () % size] = (uint8_t) s_rand ();
            size_t len = s_rand () % 8? size: (size_t) (s_rand () % (size + 1));
            s_decode_all (copy, len);
            if (s_decode (type, copy, len, &out) == 0)
                accepted++;
        }
        free (copy);
        free (data);
    }
    //  Many flips land in doubles and still decode: the test exercised both
    assert_true (accepted > 0);
    print_message ("random mutations: %d of %d accepted; ss_msg_decode checked "
                   "against a typed decoder on %ld frames so far\n",
                   accepted, N_TYPES * 2000, s_agreements);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_round_trip_samples),
        cmocka_unit_test (test_encoder_sets_version_and_type),
        cmocka_unit_test (test_round_trip_extremes),
        cmocka_unit_test (test_estimate_mass),
        cmocka_unit_test (test_max_sizes),
        cmocka_unit_test (test_encode_into_capacity),
        cmocka_unit_test (test_accepts_alternative_encodings),
        cmocka_unit_test (test_truncated_every_prefix),
        cmocka_unit_test (test_wrong_field_types),
        cmocka_unit_test (test_integer_ranges),
        cmocka_unit_test (test_check_order_at_end),
        cmocka_unit_test (test_wrong_version),
        cmocka_unit_test (test_wrong_message_type),
        cmocka_unit_test (test_wrong_outer_length),
        cmocka_unit_test (test_inner_lengths),
        cmocka_unit_test (test_estimate_mass_wire),
        cmocka_unit_test (test_target_grid),
        cmocka_unit_test (test_nested_doubles),
        cmocka_unit_test (test_step_values),
        cmocka_unit_test (test_trailing_bytes),
        cmocka_unit_test (test_oversized_frame),
        cmocka_unit_test (test_encoders_refuse),
        cmocka_unit_test (test_control_status),
        cmocka_unit_test (test_msg_decode_tagged),
        cmocka_unit_test (test_strerror),
        cmocka_unit_test (test_random_bytes),
        cmocka_unit_test (test_random_mutations),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
