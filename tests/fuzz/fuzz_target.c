/*  fuzz_target: libFuzzer target for ss_target_decode.

    Any input must decode to a message or an error code. A decoded message
    must re-encode, and the re-encoded frame must decode to the same
    message; otherwise abort ().
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ss_proto.h"

static int
s_doubles_eq (const double *a, const double *b, size_t n)
{
    return memcmp (a, b, n * sizeof (double)) == 0;
}

static int
s_header_eq (const ss_header_t *a, const ss_header_t *b)
{
    return a->version == b->version && a->type == b->type
        && a->fleet == b->fleet && a->epoch == b->epoch
        && a->round == b->round && a->sender == b->sender;
}

static int
s_eq (const ss_target_t *a, const ss_target_t *b)
{
    if (!s_header_eq (&a->hdr, &b->hdr) || a->switch_round != b->switch_round
    ||  a->dim != b->dim || a->mixture.count != b->mixture.count)
        return 0;
    for (int i = 0; i < a->mixture.count; i++) {
        const ss_component_t *ca = &a->mixture.comp [i];
        const ss_component_t *cb = &b->mixture.comp [i];
        if (!s_doubles_eq (&ca->weight, &cb->weight, 1)
        ||  !s_doubles_eq (ca->mean, cb->mean, a->dim)
        ||  !s_doubles_eq (&ca->std, &cb->std, 1))
            return 0;
    }
    return 1;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    ss_target_t msg;
    int rc = ss_target_decode (data, size, &msg);
    if (rc > 0 || rc < SS_PROTO_ETOOBIG || ss_proto_strerror (rc) == NULL)
        abort ();
    if (rc != 0)
        return 0;
    uint8_t *frame;
    size_t frame_size;
    if (ss_target_encode (&msg, &frame, &frame_size) != 0)
        abort ();
    ss_target_t again;
    if (ss_target_decode (frame, frame_size, &again) != 0 || !s_eq (&msg, &again))
        abort ();
    free (frame);
    return 0;
}
