/*  ss_image: a picture as a target: PGM and PNG decoded into luminance,
    and resampled onto the quadrature grid as the levels of a grid target.

    People draw targets: a letter, a logo, a map. Dark is dense: a black
    pixel asks for the most agents, a white one for none. The picture
    covers the whole box [lo, hi]^2 (stretched if it is not square), its
    row 0 at the top (y = hi), its column 0 at the left (x = lo).

    Formats (detected by content, not by name):
    - PGM, plain (P2, ASCII samples) and raw (P5, one byte per sample for
      maxval < 256, else two, big-endian), any maxval 1..65535, decoded by
      hand (the format is a header and samples). Comments (# to the end
      of the line) are allowed in the header and, in P2, between samples.
      The first image of a file is read; in P2 more samples than the
      header says are an error (a hand-written picture with a typo).
    - PNG through libpng's simplified API (png_image): any bit depth,
      grayscale, RGB, palette, with or without alpha, converted to 8-bit
      sRGB luminance by libpng (its RGB to gray conversion); transparent
      pixels are composed onto white (empty).

    Input is untrusted: at most SS_IMAGE_MAX_SIDE pixels a side and
    SS_IMAGE_MAX_FILE bytes of file, checked before any pixel buffer is
    allocated; every failure is one line ("P5: 12 bytes of raster, expected
    64 (8 x 8)"), nothing crashes. tests/fuzz/fuzz_image drives the
    decoder.

    Resampling (ss_image_grid, pure): each of the nq x nq cells gets the
    area average of the luminance over the part of the picture it covers
    (fractional pixels weighted by their overlap), so a picture larger
    than the grid is averaged and a smaller one is sampled without gaps;
    level = 255 - average, rounded. d = 2 only.
*/
#ifndef SS_IMAGE_H
#define SS_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ss_model.h"

#define SS_IMAGE_MAX_SIDE   4096                //  pixels per side
#define SS_IMAGE_MAX_FILE   (64 * 1024 * 1024)  //  bytes of an image file

typedef struct {
    int width, height;
    uint8_t *luma;          //  width x height, row 0 at the top; 0 black, 255 white
} ss_image_t;

//  Decode a PGM or PNG held in memory. NULL and one line in err (without
//  a file name) if it is neither or is bad.
ss_image_t *ss_image_decode (const uint8_t *data, size_t size, char *err,
                             size_t err_size);

//  Read and decode the image file at path (a regular file of at most
//  SS_IMAGE_MAX_FILE bytes). NULL and "PATH: problem" in err.
ss_image_t *ss_image_load (const char *path, char *err, size_t err_size);

void ss_image_destroy (ss_image_t **self_p);

//  True if data starts like a PGM (P2, P5) or a PNG
bool ss_image_sniff (const uint8_t *data, size_t size);

//  True if the name ends in .pgm or .png (any case)
bool ss_image_named (const char *path);

//  The picture as the levels of a grid target on the model's grid:
//  target->cells = nq^2 and target->level (first coordinate fastest, y
//  up); the components are left alone (the grid wins over them). 0, or
//  -1 and one line in err: the model is not 2-D, nq^2 exceeds
//  SS_MAX_GRID, or the picture is all white (no level above 0).
int ss_image_grid (const ss_image_t *self, const ss_model_t *model,
                   ss_mixture_t *target, char *err, size_t err_size);

//  ss_image_load then ss_image_grid: the picture at path as the grid of
//  target. 0, or -1 and "PATH: problem" in err.
int ss_image_target (const char *path, const ss_model_t *model,
                     ss_mixture_t *target, char *err, size_t err_size);

#endif
