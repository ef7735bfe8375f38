/*  fuzz_keyfile: libFuzzer target for ss_keys_parse, the reader of
    certificate files (keys/NAME.key, NAME.key_secret).

    Any input must parse to Z85 keys or fail with a phrase. Parsed keys
    must be 40 Z85 characters that decode to 32 bytes; and the parse must
    not depend on bytes after size (the input is copied into a buffer of
    exactly size bytes, so ASan catches a read past it); otherwise abort ().
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ss_keys.h"

static void
s_check_key (const char *z85)
{
    uint8_t bin [32];
    if (strlen (z85) != 40 || !zmq_z85_decode (bin, z85))
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = malloc (size? size: 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    char public_z85 [41], secret_z85 [41];
    const char *problem = NULL;
    if (ss_keys_parse (text, size, public_z85, NULL, &problem) == 0)
        s_check_key (public_z85);
    else
    if (!problem)
        abort ();
    problem = NULL;
    if (ss_keys_parse (text, size, public_z85, secret_z85, &problem) == 0) {
        s_check_key (public_z85);
        s_check_key (secret_z85);
    }
    else
    if (!problem)
        abort ();
    free (text);
    return 0;
}
