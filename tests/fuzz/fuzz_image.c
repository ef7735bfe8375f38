/*  fuzz_image: libFuzzer target for ss_image_decode and ss_image_grid.

    Any input must decode to a picture of 1..SS_IMAGE_MAX_SIDE pixels a
    side or give NULL and one non-empty line; a decoded picture must
    resample onto a 32 x 32 grid (levels 0..255 by type, cells = 1024, or
    the "white everywhere" refusal) and onto 3 x 3 the same way; otherwise
    abort (). ASan sees any read past the input (it is copied to exactly
    size bytes) and LeakSanitizer any leak on the error paths. Seeds:
    corpus/image (PGM P2 and P5 at 8 and 16 bits, PNG gray and RGBA).
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ss_image.h"

static void
s_grid (const ss_image_t *image, int nq)
{
    ss_model_t model;
    ss_model_defaults (&model);
    model.nq = nq;
    static ss_mixture_t target;
    memset (&target, 0, sizeof target);
    char err [256] = "";
    int rc = ss_image_grid (image, &model, &target, err, sizeof err);
    if (rc == 0 && target.cells != nq * nq)
        abort ();
    if (rc != 0 && (target.cells != 0 || !strstr (err, "white everywhere")))
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc (size + 1);
    if (!copy)
        abort ();
    memcpy (copy, data, size);
    char err [256] = "";
    ss_image_t *image = ss_image_decode (copy, size, err, sizeof err);
    if (image) {
        if (image->width < 1 || image->width > SS_IMAGE_MAX_SIDE
        ||  image->height < 1 || image->height > SS_IMAGE_MAX_SIDE)
            abort ();
        s_grid (image, 32);
        s_grid (image, 3);
        ss_image_destroy (&image);
    }
    else
    if (!*err || strchr (err, '\n'))
        abort ();
    free (copy);
    return 0;
}
