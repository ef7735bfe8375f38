/*  fuzz_heartbeat: libFuzzer target for ss_heartbeat_decode.

    Any input must decode to a message or an error code. A decoded message
    must re-encode, and the re-encoded frame must decode to the same
    message; otherwise abort ().
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ss_proto.h"

static int
s_header_eq (const ss_header_t *a, const ss_header_t *b)
{
    return a->version == b->version && a->type == b->type
        && a->fleet == b->fleet && a->epoch == b->epoch
        && a->round == b->round && a->sender == b->sender;
}

static int
s_eq (const ss_heartbeat_t *a, const ss_heartbeat_t *b)
{
    return s_header_eq (&a->hdr, &b->hdr) && a->degree == b->degree
        && a->state == b->state;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    ss_heartbeat_t msg;
    int rc = ss_heartbeat_decode (data, size, &msg);
    if (rc > 0 || rc < SS_PROTO_ETOOBIG || ss_proto_strerror (rc) == NULL)
        abort ();
    if (rc != 0)
        return 0;
    uint8_t *frame;
    size_t frame_size;
    if (ss_heartbeat_encode (&msg, &frame, &frame_size) != 0)
        abort ();
    ss_heartbeat_t again;
    if (ss_heartbeat_decode (frame, frame_size, &again) != 0 || !s_eq (&msg, &again))
        abort ();
    free (frame);
    return 0;
}
