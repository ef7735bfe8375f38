/*  fuzz_msg: libFuzzer target for ss_msg_decode, the tagged decoder a
    receiver calls once per frame.

    Any input must decode to a message or an error code, and every typed
    decoder must agree with it (ss_test_typed_agrees). A decoded message is
    re-encoded with its type's `_into` encoder into a frame-sized buffer and
    decoded again: the same message, of the same type; then it must pass
    the whole round trip of fuzz_roundtrip.h. Otherwise abort ().
*/
#include "fuzz_roundtrip.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static ss_msg_t msg, typed, again;
    static uint8_t frame [SS_PROTO_MAX_FRAME];
    int rc = ss_msg_decode (data, size, &msg);
    if (!ss_test_valid_code (rc))
        ss_fuzz_check ("tagged decoder returned an invalid code");
    ss_header_t hdr;
    int hrc = ss_header_decode (data, size, &hdr);
    for (uint32_t type = 1; type <= SS_TEST_N_TYPES; type++) {
        int trc = ss_test_decode (type, data, size, &typed);
        ss_fuzz_check (ss_test_typed_agrees (type, trc, &typed, hrc, &hdr, rc, &msg));
    }
    if (rc != 0)
        return 0;
    uint32_t type = msg.hdr.type;
    size_t frame_size = 0;
    if (ss_test_encode_into (type, &msg, frame, sizeof frame, &frame_size) != 0)
        ss_fuzz_check ("a decoded message does not re-encode");
    if (ss_msg_decode (frame, frame_size, &again) != 0 || again.hdr.type != type
    ||  !ss_test_msg_eq (type, &again, &msg))
        ss_fuzz_check ("the re-encoded frame decodes to another message");
    ss_fuzz_check (ss_test_round_trip (type, &msg, NULL));
    return 0;
}
