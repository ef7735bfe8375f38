/*  ss_testproto: what test_proto and the protocol's fuzz targets both
    check, written once. No cmocka here (the fuzzers abort instead):

    - equality of decoded messages over their used parts (bitwise for
      doubles, so -0.0 is not 0.0), for each type and for ss_msg_t;
    - encode and decode by message type (the typed functions of ss_proto.h);
    - the round trip of a message: both encoders give the same bytes, the
      `_into` encoder refuses a buffer one byte short without writing past
      it, the frame decodes (typed and tagged) to the same message, and
      re-encoding that gives the same bytes again;
    - the agreement of ss_msg_decode and ss_header_decode with every typed
      decoder on any frame.

    The checks return NULL, or a static sentence saying what failed.
*/
#ifndef SS_TESTPROTO_H
#define SS_TESTPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ss_proto.h"

#define SS_TEST_N_TYPES 5
#define SS_TEST_GUARD   64      //  bytes checked past an `_into` capacity

//  A decoder's code is 0 or one of its errors (never ENOMEM)
static inline bool
ss_test_valid_code (int rc)
{
    return rc <= 0 && rc >= SS_PROTO_ETOOBIG;
}

//  --------------------------------------------------------------------------
//  Equality

static inline bool
ss_test_header_eq (const ss_header_t *a, const ss_header_t *b)
{
    return a->version == b->version && a->type == b->type
        && a->fleet == b->fleet && a->epoch == b->epoch
        && a->round == b->round && a->sender == b->sender;
}

static inline bool
ss_test_doubles_eq (const double *a, const double *b, size_t n)
{
    return memcmp (a, b, n * sizeof (double)) == 0;
}

static inline bool
ss_test_estimate_eq (const ss_estimate_t *a, const ss_estimate_t *b)
{
    return ss_test_header_eq (&a->hdr, &b->hdr) && a->degree == b->degree
        && a->k == b->k && a->k <= SS_MAX_K
        && ss_test_doubles_eq (a->theta, b->theta, a->k)
        && memcmp (a->mass, b->mass, a->k * sizeof (uint64_t)) == 0;
}

static inline bool
ss_test_heartbeat_eq (const ss_heartbeat_t *a, const ss_heartbeat_t *b)
{
    return ss_test_header_eq (&a->hdr, &b->hdr) && a->degree == b->degree
        && a->state == b->state && a->want == b->want;
}

static inline bool
ss_test_report_eq (const ss_report_t *a, const ss_report_t *b)
{
    return ss_test_header_eq (&a->hdr, &b->hdr)
        && a->dim == b->dim && a->dim <= SS_MAX_DIM
        && ss_test_doubles_eq (a->x, b->x, a->dim)
        && ss_test_doubles_eq (a->x0, b->x0, a->dim)
        && ss_test_doubles_eq (&a->step, &b->step, 1)
        && a->k == b->k && a->k <= SS_MAX_K
        && ss_test_doubles_eq (a->theta, b->theta, a->k)
        && ss_test_doubles_eq (a->s, b->s, a->k)
        && a->n_counters == b->n_counters
        && a->n_counters <= SS_PROTO_MAX_COUNTERS
        && memcmp (a->counters, b->counters,
                   a->n_counters * sizeof (uint64_t)) == 0;
}

static inline bool
ss_test_target_eq (const ss_target_t *a, const ss_target_t *b)
{
    const ss_mixture_t *ma = &a->mixture, *mb = &b->mixture;
    if (!ss_test_header_eq (&a->hdr, &b->hdr)
    ||  a->switch_round != b->switch_round
    ||  a->dim != b->dim || a->dim > SS_MAX_DIM
    ||  ma->count != mb->count || ma->count < 0 || ma->count > SS_MAX_COMPONENTS
    ||  ma->cells != mb->cells || ma->cells < 0 || ma->cells > SS_PROTO_MAX_GRID)
        return false;
    for (int i = 0; i < ma->count; i++) {
        const ss_component_t *ca = &ma->comp [i];
        const ss_component_t *cb = &mb->comp [i];
        if (!ss_test_doubles_eq (&ca->weight, &cb->weight, 1)
        ||  !ss_test_doubles_eq (ca->mean, cb->mean, a->dim)
        ||  !ss_test_doubles_eq (&ca->std, &cb->std, 1))
            return false;
    }
    return memcmp (ma->level, mb->level, (size_t) ma->cells) == 0;
}

static inline bool
ss_test_control_eq (const ss_control_t *a, const ss_control_t *b)
{
    return ss_test_header_eq (&a->hdr, &b->hdr) && a->command == b->command
        && a->arg == b->arg;
}

//  Two messages of the given type
static inline bool
ss_test_msg_eq (uint32_t type, const ss_msg_t *a, const ss_msg_t *b)
{
    switch (type) {
        case SS_MSG_ESTIMATE:  return ss_test_estimate_eq (&a->estimate, &b->estimate);
        case SS_MSG_HEARTBEAT: return ss_test_heartbeat_eq (&a->heartbeat, &b->heartbeat);
        case SS_MSG_REPORT:    return ss_test_report_eq (&a->report, &b->report);
        case SS_MSG_TARGET:    return ss_test_target_eq (&a->target, &b->target);
        case SS_MSG_CONTROL:   return ss_test_control_eq (&a->control, &b->control);
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Codecs by type (an unknown type is EMSGTYPE)

static inline int
ss_test_decode (uint32_t type, const uint8_t *data, size_t size, ss_msg_t *msg)
{
    switch (type) {
        case SS_MSG_ESTIMATE:  return ss_estimate_decode (data, size, &msg->estimate);
        case SS_MSG_HEARTBEAT: return ss_heartbeat_decode (data, size, &msg->heartbeat);
        case SS_MSG_REPORT:    return ss_report_decode (data, size, &msg->report);
        case SS_MSG_TARGET:    return ss_target_decode (data, size, &msg->target);
        case SS_MSG_CONTROL:   return ss_control_decode (data, size, &msg->control);
    }
    return SS_PROTO_EMSGTYPE;
}

static inline int
ss_test_encode (uint32_t type, const ss_msg_t *msg, uint8_t **data, size_t *size)
{
    switch (type) {
        case SS_MSG_ESTIMATE:  return ss_estimate_encode (&msg->estimate, data, size);
        case SS_MSG_HEARTBEAT: return ss_heartbeat_encode (&msg->heartbeat, data, size);
        case SS_MSG_REPORT:    return ss_report_encode (&msg->report, data, size);
        case SS_MSG_TARGET:    return ss_target_encode (&msg->target, data, size);
        case SS_MSG_CONTROL:   return ss_control_encode (&msg->control, data, size);
    }
    return SS_PROTO_EMSGTYPE;
}

static inline int
ss_test_encode_into (uint32_t type, const ss_msg_t *msg, uint8_t *buf,
                     size_t cap, size_t *size)
{
    switch (type) {
        case SS_MSG_ESTIMATE:  return ss_estimate_encode_into (&msg->estimate, buf, cap, size);
        case SS_MSG_HEARTBEAT: return ss_heartbeat_encode_into (&msg->heartbeat, buf, cap, size);
        case SS_MSG_REPORT:    return ss_report_encode_into (&msg->report, buf, cap, size);
        case SS_MSG_TARGET:    return ss_target_encode_into (&msg->target, buf, cap, size);
        case SS_MSG_CONTROL:   return ss_control_encode_into (&msg->control, buf, cap, size);
    }
    return SS_PROTO_EMSGTYPE;
}

//  --------------------------------------------------------------------------
//  The checks

//  Does the typed decoder of `type`, which returned rc and *msg on a
//  frame, agree with the header decoder (hrc, *hdr) and the tagged decoder
//  (trc, *tagged) on the same frame? Where the header fails, all three fail
//  with its code; where it names another type, the typed decoder says
//  EMSGTYPE; else typed and tagged return the same code and, on success,
//  the same message, whose header is the header decoder's.
static inline const char *
ss_test_typed_agrees (uint32_t type, int rc, const ss_msg_t *msg,
                      int hrc, const ss_header_t *hdr,
                      int trc, const ss_msg_t *tagged)
{
    if (!ss_test_valid_code (rc) || !ss_test_valid_code (hrc)
    ||  !ss_test_valid_code (trc))
        return "a decoder returned an invalid code";
    if (hrc != 0)
        return rc == hrc && trc == hrc? NULL
             : "header failed, the typed or tagged decoder said otherwise";
    if (trc == 0 && (tagged->hdr.type != hdr->type
                 ||  !ss_test_header_eq (hdr, &tagged->hdr)))
        return "header decoder and tagged decoder read different headers";
    if (hdr->type != type)
        return rc == SS_PROTO_EMSGTYPE? NULL
             : "typed decoder took a frame of another type";
    if (trc != rc)
        return "tagged and typed decoders returned different codes";
    if (rc == 0 && !ss_test_msg_eq (type, tagged, msg))
        return "tagged decoder's message differs from the typed one";
    return NULL;
}

//  The same, decoding the frame with the header and tagged decoders here;
//  where the frame is of another type, the tagged decoder must also agree
//  with that type's decoder
static inline const char *
ss_test_msg_agrees (uint32_t type, const uint8_t *data, size_t size,
                    int rc, const ss_msg_t *msg)
{
    static ss_msg_t tagged, other;      //  large (a target holds a grid)
    ss_header_t hdr;
    int hrc = ss_header_decode (data, size, &hdr);
    int trc = ss_msg_decode (data, size, &tagged);
    const char *why = ss_test_typed_agrees (type, rc, msg, hrc, &hdr, trc, &tagged);
    if (!why && hrc == 0 && hdr.type != type) {
        int orc = ss_test_decode (hdr.type, data, size, &other);
        why = ss_test_typed_agrees (hdr.type, orc, &other, hrc, &hdr, trc, &tagged);
    }
    return why;
}

//  Encode msg as `type` both ways, check the `_into` encoder's capacity
//  rule, decode typed and tagged (each equal to msg), re-encode the
//  decoded message (same bytes). On success *size_out (if not NULL) is
//  the frame's size.
static inline const char *
ss_test_round_trip (uint32_t type, const ss_msg_t *msg, size_t *size_out)
{
    static uint8_t buf [SS_PROTO_MAX_FRAME + SS_TEST_GUARD];
    static uint8_t again [SS_PROTO_MAX_FRAME];
    static ss_msg_t out;
    uint8_t *data = NULL;
    size_t size = 0, size_into = 0, size_again = 0;
    const char *why = NULL;
    if (ss_test_encode (type, msg, &data, &size) != 0)
        return "encoder refused the message";
    if (size == 0 || size > SS_PROTO_MAX_FRAME)
        why = "frame empty or larger than SS_PROTO_MAX_FRAME";
    else
    if (ss_test_encode_into (type, msg, buf, size, &size_into) != 0
    ||  size_into != size || memcmp (buf, data, size) != 0)
        why = "_into encoder into exactly the frame's size differs";
    else {
        //  One byte short: ENOMEM, and nothing written from buf [cap] on
        //  (a guard of SS_TEST_GUARD bytes: the frame would end at cap + 1)
        size_t cap = size - 1, untouched = 12345;
        memset (buf + cap, 0xa5, SS_TEST_GUARD);
        if (ss_test_encode_into (type, msg, buf, cap, &untouched) != SS_PROTO_ENOMEM
        ||  untouched != 12345)
            why = "_into encoder into one byte less did not say ENOMEM";
        for (size_t i = cap; !why && i < cap + SS_TEST_GUARD; i++)
            if (buf [i] != 0xa5)
                why = "_into encoder wrote past its capacity";
    }
    if (!why && ss_test_decode (type, data, size, &out) != 0)
        why = "typed decoder refused the encoder's frame";
    if (!why && !ss_test_msg_eq (type, &out, msg))
        why = "typed decoder gave another message";
    if (!why)
        why = ss_test_msg_agrees (type, data, size, 0, &out);
    if (!why
    &&  (ss_test_encode_into (type, &out, again, sizeof again, &size_again) != 0
    ||   size_again != size || memcmp (again, data, size) != 0))
        why = "the decoded message re-encodes to other bytes";
    free (data);
    if (!why && size_out)
        *size_out = size;
    return why;
}

#endif
