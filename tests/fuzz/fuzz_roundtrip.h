/*  What every decoder's fuzz target checks, written once: any input decodes
    to a message or an error code; a decoded message re-encodes, and the
    re-encoded frame decodes to the same message; otherwise abort ().
    A target defines s_eq for its message type and says
    SS_FUZZ_ROUNDTRIP (name), e.g. SS_FUZZ_ROUNDTRIP (estimate).
*/
#ifndef SS_FUZZ_ROUNDTRIP_H
#define SS_FUZZ_ROUNDTRIP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ss_proto.h"

static inline int
s_header_eq (const ss_header_t *a, const ss_header_t *b)
{
    return a->version == b->version && a->type == b->type
        && a->fleet == b->fleet && a->epoch == b->epoch
        && a->round == b->round && a->sender == b->sender;
}

static inline int
s_doubles_eq (const double *a, const double *b, size_t n)
{
    return memcmp (a, b, n * sizeof (double)) == 0;
}

#define SS_FUZZ_ROUNDTRIP(name) \
int \
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) \
{ \
    ss_##name##_t msg; \
    int rc = ss_##name##_decode (data, size, &msg); \
    if (rc > 0 || rc < SS_PROTO_ETOOBIG || ss_proto_strerror (rc) == NULL) \
        abort (); \
    if (rc != 0) \
        return 0; \
    uint8_t *frame; \
    size_t frame_size; \
    if (ss_##name##_encode (&msg, &frame, &frame_size) != 0) \
        abort (); \
    ss_##name##_t again; \
    if (ss_##name##_decode (frame, frame_size, &again) != 0 || !s_eq (&msg, &again)) \
        abort (); \
    free (frame); \
    return 0; \
}

#endif
