/*  test_image: pictures as targets (fleet/ss_image).

    Decoding: PGM P2 and P5 at maxval 1, 255 and 65535, comments; PNG
    written here with libpng's simplified writer: 8-bit gray, RGB (to
    luminance), gray + alpha (transparent is white), 16-bit; every bad
    input gives NULL and one line naming the problem (not an image,
    samples missing or extra or above maxval, sizes out of bounds, a cut
    raster, a cut or damaged PNG, a file too large, not a file).
    Resampling: orientation (row 0 at y = hi, column 0 at x = lo), exact
    area averages of whole and fractional pixels, a picture smaller than
    the grid, a picture that is not square, dark = dense (level = 255 -
    luminance), the refusals (d != 2, nq^2 too large, all white) leaving
    the target as it was, the components untouched.
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <png.h>
#include "ss_image.h"
#include "ss_testtmp.h"

static ss_image_t *
s_decode_ok (const void *data, size_t size)
{
    char err [256] = "";
    ss_image_t *image = ss_image_decode (data, size, err, sizeof err);
    if (!image)
        print_error ("unexpected error: %s\n", err);
    assert_non_null (image);
    return image;
}

static ss_image_t *
s_decode_text (const char *text)
{
    return s_decode_ok (text, strlen (text));
}

//  NULL, and one line holding phrase
static void
s_expect_error (const void *data, size_t size, const char *phrase)
{
    char err [256] = "";
    ss_image_t *image = ss_image_decode (data, size, err, sizeof err);
    if (image || !strstr (err, phrase))
        print_error ("expected an error with '%s', got '%s'\n", phrase, err);
    assert_null (image);
    assert_non_null (strstr (err, phrase));
    assert_null (strchr (err, '\n'));
}

//  A string literal, NUL bytes in it included
#define s_expect_text_error(text, phrase) s_expect_error (text, sizeof (text) - 1, phrase)

static void
test_pgm_plain (void **state)
{
    (void) state;
    ss_image_t *image = s_decode_text ("P2\n# a comment\n3 2 # width height\n255\n"
                                       "0 128 255\n# between rows\n 7 8\t9\n");
    assert_int_equal (image->width, 3);
    assert_int_equal (image->height, 2);
    const uint8_t want [6] = { 0, 128, 255, 7, 8, 9 };
    assert_memory_equal (image->luma, want, 6);
    ss_image_destroy (&image);
    assert_null (image);
    ss_image_destroy (&image);

    //  Any maxval, scaled to 0..255 (rounded)
    image = s_decode_text ("P2 2 1 1 0 1");
    assert_int_equal (image->luma [0], 0);
    assert_int_equal (image->luma [1], 255);
    ss_image_destroy (&image);
    image = s_decode_text ("P2\n3 1\n65535\n0 32768 65535\n");
    assert_int_equal (image->luma [0], 0);
    assert_int_equal (image->luma [1], 128);
    assert_int_equal (image->luma [2], 255);
    ss_image_destroy (&image);
    image = s_decode_text ("P2 1 1 3 2");
    assert_int_equal (image->luma [0], 170);
    ss_image_destroy (&image);
}

static void
test_pgm_raw (void **state)
{
    (void) state;
    const uint8_t eight [] = { 'P', '5', '\n', '2', ' ', '2', '\n', '2', '5', '5', '\n',
                               0, 10, 200, 255 };
    ss_image_t *image = s_decode_ok (eight, sizeof eight);
    assert_int_equal (image->width, 2);
    assert_int_equal (image->height, 2);
    assert_memory_equal (image->luma, eight + 11, 4);
    ss_image_destroy (&image);
    //  maxval >= 256: two bytes a sample, most significant first; the
    //  first image of the file is read
    const uint8_t sixteen [] = { 'P', '5', ' ', '2', ' ', '1', ' ', '1', '0', '0', '0', '\n',
                                 0x01, 0xf4, 0x03, 0xe8, 'P', '5' };
    image = s_decode_ok (sixteen, sizeof sixteen);
    assert_int_equal (image->luma [0], 128);        //  500 / 1000
    assert_int_equal (image->luma [1], 255);        //  1000 / 1000
    ss_image_destroy (&image);
    //  A sample 0x0a after maxval is the raster, not a blank
    const uint8_t newline [] = { 'P', '5', ' ', '1', ' ', '1', ' ', '2', '5', '5', ' ', '\n' };
    image = s_decode_ok (newline, sizeof newline);
    assert_int_equal (image->luma [0], '\n');
    ss_image_destroy (&image);
}

static void
test_pgm_errors (void **state)
{
    (void) state;
    s_expect_text_error ("", "not a PGM (P2, P5) or PNG image");
    s_expect_text_error ("P3 1 1 255 0 0 0", "not a PGM (P2, P5) or PNG image");
    s_expect_text_error ("P21 1 255 0", "not a PGM (P2, P5) or PNG image");
    s_expect_text_error ("GIF89a", "not a PGM (P2, P5) or PNG image");
    s_expect_text_error ("P2 0 1 255", "PGM (P2): width: expected a number in 1..4096");
    s_expect_text_error ("P2 x 1 255", "PGM (P2): width: expected a number in 1..4096");
    s_expect_text_error ("P2 4097 1 255", "PGM (P2): width above 4096");
    s_expect_text_error ("P2 99999999999999999999999 1 255", "PGM (P2): width above 4096");
    s_expect_text_error ("P5 1 5000 255", "PGM (P5): height above 4096");
    s_expect_text_error ("P2 1 1", "maxval: expected a number in 1..65535, got the end");
    s_expect_text_error ("P2 1 1 0 0", "maxval: expected a number in 1..65535");
    s_expect_text_error ("P2 1 1 65536 0", "PGM (P2): maxval above 65535");
    s_expect_text_error ("P2 1 1 255", "PGM (P2): no samples after the header");
    s_expect_text_error ("P2 2 2 255 1 2 3", "P2: 3 samples, expected 4 (2 x 2)");
    s_expect_text_error ("P2 2 2 255 1 2 3 4 5", "P2: more samples than 2 x 2");
    s_expect_text_error ("P2 2 1 255 1 x", "P2: expected a number for the sample at row 0, "
                         "column 1");
    s_expect_text_error ("P2 2 1 255 1 2x", "P2: expected a number for the sample at row 0, "
                         "column 1");
    s_expect_text_error ("P2 2 1 9 1 10", "P2: sample at row 0, column 1 is above maxval 9");
    s_expect_text_error ("P5 2 2 255\n\1\2\3", "P5: 3 bytes of raster, expected 4 (2 x 2, "
                         "1 byte a sample)");
    s_expect_text_error ("P5 2 1 1000\n\0\1\0", "P5: 3 bytes of raster, expected 4 (2 x 1, "
                         "2 bytes a sample)");
    s_expect_text_error ("P5 1 1 1000\n\3\351", "P5: sample 1001 at row 0, column 0 is above "
                         "maxval 1000");
    s_expect_text_error ("P5 1 1 200\n\311", "P5: sample 201 at row 0, column 0 is above "
                         "maxval 200");
    s_expect_text_error ("P5 1 1 255#\n\1", "P5: expected one blank after maxval");
    //  A message quoting nothing from the input stays one line
    s_expect_text_error ("P2 2 1 255 1\n\n\n", "P2: 1 samples, expected 2");
}

//  A PNG of the given format written by libpng into memory (malloc'd)
static uint8_t *
s_png (int width, int height, uint32_t format, const void *pixels, size_t *size)
{
    png_image image;
    memset (&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32) width;
    image.height = (png_uint_32) height;
    image.format = format;
    png_alloc_size_t bytes = 0;
    assert_true (png_image_write_to_memory (&image, NULL, &bytes, 0, pixels, 0, NULL));
    uint8_t *data = malloc (bytes);
    assert_non_null (data);
    assert_true (png_image_write_to_memory (&image, data, &bytes, 0, pixels, 0, NULL));
    *size = bytes;
    return data;
}

//  A PNG written by libpng, decoded by us
static ss_image_t *
s_png_decoded (int width, int height, uint32_t format, const void *pixels)
{
    size_t size;
    uint8_t *data = s_png (width, height, format, pixels, &size);
    assert_true (ss_image_sniff (data, size));
    ss_image_t *image = s_decode_ok (data, size);
    free (data);
    assert_int_equal (image->width, width);
    assert_int_equal (image->height, height);
    return image;
}

static void
test_png (void **state)
{
    (void) state;
    //  8-bit gray: exact
    const uint8_t gray [6] = { 0, 50, 100, 150, 200, 255 };
    ss_image_t *image = s_png_decoded (3, 2, PNG_FORMAT_GRAY, gray);
    assert_memory_equal (image->luma, gray, 6);
    ss_image_destroy (&image);

    //  RGB to luminance: black, white, and green brighter than red
    //  brighter than blue (Rec. 709 weights, in linear light)
    const uint8_t rgb [15] = { 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255 };
    image = s_png_decoded (5, 1, PNG_FORMAT_RGB, rgb);
    assert_int_equal (image->luma [0], 0);
    assert_int_equal (image->luma [1], 255);
    uint8_t red = image->luma [2], green = image->luma [3], blue = image->luma [4];
    print_message ("luminance of red %d, green %d, blue %d\n", red, green, blue);
    assert_true (green > red && red > blue && blue > 0 && green < 255);
    ss_image_destroy (&image);

    //  Alpha: transparent is white (empty), opaque keeps its gray
    const uint8_t ga [6] = { 0, 0, 0, 255, 0, 128 };
    image = s_png_decoded (3, 1, PNG_FORMAT_GA, ga);
    assert_int_equal (image->luma [0], 255);
    assert_int_equal (image->luma [1], 0);
    assert_true (image->luma [2] > 150 && image->luma [2] < 230);   //  half black on white
    ss_image_destroy (&image);
    const uint8_t rgba [8] = { 255, 0, 0, 0, 0, 0, 0, 255 };
    image = s_png_decoded (2, 1, PNG_FORMAT_RGBA, rgba);
    assert_int_equal (image->luma [0], 255);
    assert_int_equal (image->luma [1], 0);
    ss_image_destroy (&image);

    //  16-bit (linear) black and white
    const uint16_t wide [2] = { 0, 65535 };
    image = s_png_decoded (2, 1, PNG_FORMAT_LINEAR_Y, wide);
    assert_int_equal (image->luma [0], 0);
    assert_int_equal (image->luma [1], 255);
    ss_image_destroy (&image);
}

static void
test_png_errors (void **state)
{
    (void) state;
    size_t size;
    uint8_t gray [64];
    memset (gray, 90, sizeof gray);
    uint8_t *data = s_png (8, 8, PNG_FORMAT_GRAY, gray, &size);
    //  Cut anywhere after the signature: an error, never a crash (or,
    //  cut after the pixels, the whole picture)
    int errors = 0;
    for (size_t cut = 8; cut < size; cut++) {
        char err [256] = "";
        ss_image_t *image = ss_image_decode (data, cut, err, sizeof err);
        if (image) {
            assert_int_equal (image->width * image->height, 64);
            assert_memory_equal (image->luma, gray, 64);
            ss_image_destroy (&image);
            continue;
        }
        errors++;
        assert_int_equal (strncmp (err, "PNG: ", 5), 0);
        assert_null (strchr (err, '\n'));
    }
    print_message ("%d of %zu cuts refused\n", errors, size - 8);
    assert_true (errors > (int) (size - 8) / 2);
    //  A damaged header: libpng's reason
    data [20] ^= 0xff;
    s_expect_error (data, size, "PNG: ");
    free (data);

    //  Too wide: refused before any pixel is decoded
    uint8_t *row = calloc (5000, 1);
    data = s_png (5000, 1, PNG_FORMAT_GRAY, row, &size);
    s_expect_error (data, size, "PNG: 5000 x 1 pixels, at most 4096 a side");
    free (data);
    free (row);
}

static void
test_load (void **state)
{
    (void) state;
    char path [PATH_MAX], err [PATH_MAX + 256];
    snprintf (path, sizeof path, "%s/a.pgm", test_tmp);
    FILE *file = fopen (path, "w");
    fputs ("P2 2 1 255 0 255\n", file);
    fclose (file);
    ss_image_t *image = ss_image_load (path, err, sizeof err);
    assert_non_null (image);
    assert_int_equal (image->luma [1], 255);
    ss_image_destroy (&image);

    //  Errors name the file
    snprintf (path, sizeof path, "%s/bad.png", test_tmp);
    file = fopen (path, "w");
    fputs ("P2 2 1 255 0\n", file);
    fclose (file);
    assert_null (ss_image_load (path, err, sizeof err));
    assert_int_equal (strncmp (err, path, strlen (path)), 0);
    assert_non_null (strstr (err, ": P2: 1 samples, expected 2 (2 x 1)"));
    snprintf (path, sizeof path, "%s/none.pgm", test_tmp);
    assert_null (ss_image_load (path, err, sizeof err));
    assert_non_null (strstr (err, "none.pgm: cannot read file (No such file or directory)"));
    assert_null (ss_image_load (test_tmp, err, sizeof err));
    assert_non_null (strstr (err, ": not a regular file"));
    //  Larger than SS_IMAGE_MAX_FILE (sparse: nothing is written)
    snprintf (path, sizeof path, "%s/huge.pgm", test_tmp);
    file = fopen (path, "w");
    fputs ("P2 1 1 255 0\n", file);
    fclose (file);
    assert_int_equal (truncate (path, (off_t) SS_IMAGE_MAX_FILE + 1), 0);
    assert_null (ss_image_load (path, err, sizeof err));
    assert_non_null (strstr (err, "bytes, an image file has at most 67108864"));
    //  A FIFO is not waited on
    snprintf (path, sizeof path, "%s/fifo.pgm", test_tmp);
    test_shell ("mkfifo '%s'", path);
    assert_null (ss_image_load (path, err, sizeof err));
    assert_non_null (strstr (err, ": not a regular file"));
}

static void
test_names (void **state)
{
    (void) state;
    assert_true (ss_image_named ("a/s.pgm"));
    assert_true (ss_image_named ("LOGO.PNG"));
    assert_false (ss_image_named ("target.zpl"));
    assert_false (ss_image_named (".png"));
    assert_false (ss_image_named (NULL));
    assert_true (ss_image_sniff ((const uint8_t *) "P5\n", 3));
    assert_true (ss_image_sniff ((const uint8_t *) "P2#", 3));
    assert_false (ss_image_sniff ((const uint8_t *) "P2", 2));
    assert_false (ss_image_sniff ((const uint8_t *) "target\n", 7));
}

//  A picture of width x height pixels from a string of luminances
static ss_image_t *
s_picture (int width, int height, const uint8_t *luma)
{
    char header [64];
    int len = snprintf (header, sizeof header, "P5 %d %d 255\n", width, height);
    size_t size = (size_t) len + (size_t) width * height;
    uint8_t *data = malloc (size);
    memcpy (data, header, (size_t) len);
    memcpy (data + len, luma, (size_t) width * height);
    ss_image_t *image = s_decode_ok (data, size);
    free (data);
    return image;
}

static int
s_grid (const ss_image_t *image, int nq, ss_mixture_t *target)
{
    ss_model_t model;
    ss_model_defaults (&model);
    model.nq = nq;
    char err [256];
    int rc = ss_image_grid (image, &model, target, err, sizeof err);
    if (rc)
        print_error ("unexpected error: %s\n", err);
    return rc;
}

static void
test_grid (void **state)
{
    (void) state;
    ss_mixture_t *target = calloc (1, sizeof (ss_mixture_t));
    ss_mixture_defaults (target, 2, 0, 1);

    //  Orientation: the top-left pixel is the cell at x = lo, y = hi,
    //  index i + nq j with i = 0, j = nq - 1; components are left alone
    const uint8_t corner [4] = { 0, 255, 255, 255 };
    ss_image_t *image = s_picture (2, 2, corner);
    assert_int_equal (s_grid (image, 2, target), 0);
    assert_int_equal (target->cells, 4);
    const uint8_t want [4] = { 0, 0, 255, 0 };
    assert_memory_equal (target->level, want, 4);
    assert_int_equal (target->count, 2);
    ss_image_destroy (&image);

    //  Whole pixels averaged: 4 x 4 onto 2 x 2
    const uint8_t blocks [16] = {
        0,   0,   100, 200,
        0,   0,   100, 200,
        255, 255, 10,  20,
        255, 251, 30,  40
    };
    image = s_picture (4, 4, blocks);
    assert_int_equal (s_grid (image, 2, target), 0);
    //  bottom-left 254 -> 1, bottom-right 25 -> 230, top-left 0 -> 255,
    //  top-right 150 -> 105
    const uint8_t averaged [4] = { 1, 230, 255, 105 };
    assert_memory_equal (target->level, averaged, 4);
    ss_image_destroy (&image);

    //  Fractional pixels: 3 x 3 onto 2 x 2, the top-left cell covers
    //  [0, 1.5]^2: weights 1, 0.5, 0.5, 0.25 over 2.25
    const uint8_t nine [9] = { 0, 90, 255, 180, 45, 255, 255, 255, 255 };
    image = s_picture (3, 3, nine);
    assert_int_equal (s_grid (image, 2, target), 0);
    double mean = (1 * 0 + 0.5 * 90 + 0.5 * 180 + 0.25 * 45) / 2.25;
    assert_int_equal (target->level [2], lround (255 - mean));
    //  The bottom-right cell covers [1.5, 3]^2: a quarter of the 45
    assert_int_equal (target->level [1], lround (255 - (0.25 * 45 + 0.5 * 255 + 0.5 * 255
                                                        + 1 * 255) / 2.25));
    ss_image_destroy (&image);

    //  Smaller than the grid: one black pixel fills it
    const uint8_t black [1] = { 0 };
    image = s_picture (1, 1, black);
    assert_int_equal (s_grid (image, 32, target), 0);
    assert_int_equal (target->cells, 1024);
    for (int g = 0; g < 1024; g++)
        assert_int_equal (target->level [g], 255);
    ss_image_destroy (&image);

    //  Not square: stretched onto the box (left half black)
    const uint8_t half [2] = { 0, 255 };
    image = s_picture (2, 1, half);
    assert_int_equal (s_grid (image, 4, target), 0);
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 4; i++)
            assert_int_equal (target->level [j * 4 + i], i < 2? 255: 0);
    ss_image_destroy (&image);

    //  Refusals leave the target as it was
    ss_mixture_t *before = malloc (sizeof (ss_mixture_t));
    memcpy (before, target, sizeof *target);
    image = s_picture (2, 1, half);
    ss_model_t model;
    ss_model_defaults (&model);
    char err [256];
    struct { int dim, nq; const char *phrase; } bad [] = {
        { 3, 8, "an image target needs model/dim = 2, got 3" },
        { 1, 8, "an image target needs model/dim = 2, got 1" },
        { 2, 182, "an image target needs nq^2 <= 32768 (nq <= 181), got nq = 182" },
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
        model.dim = bad [b].dim;
        model.nq = bad [b].nq;
        assert_int_equal (ss_image_grid (image, &model, target, err, sizeof err), -1);
        assert_string_equal (err, bad [b].phrase);
        assert_memory_equal (target, before, sizeof *target);
    }
    ss_image_destroy (&image);
    const uint8_t light [4] = { 255, 255, 255, 254 };
    image = s_picture (2, 2, light);
    assert_int_equal (s_grid (image, 4, target), 0);   //  one level 1 is enough
    ss_model_defaults (&model);
    model.nq = 2;
    const uint8_t white [4] = { 255, 255, 255, 255 };
    ss_image_destroy (&image);
    image = s_picture (2, 2, white);
    memcpy (before, target, sizeof *target);
    assert_int_equal (ss_image_grid (image, &model, target, err, sizeof err), -1);
    assert_non_null (strstr (err, "the picture is white everywhere"));
    assert_memory_equal (target, before, sizeof *target);
    ss_image_destroy (&image);

    //  ss_image_target: file and grid in one, errors naming the file
    char path [PATH_MAX], why [PATH_MAX + 256];
    snprintf (path, sizeof path, "%s/g.pgm", test_tmp);
    FILE *file = fopen (path, "w");
    fputs ("P2 1 1 255 255\n", file);
    fclose (file);
    model.nq = 32;
    assert_int_equal (ss_image_target (path, &model, target, why, sizeof why), -1);
    assert_int_equal (strncmp (why, path, strlen (path)), 0);
    assert_non_null (strstr (why, ": the picture is white everywhere"));
    file = fopen (path, "w");
    fputs ("P2 1 1 255 55\n", file);
    fclose (file);
    assert_int_equal (ss_image_target (path, &model, target, why, sizeof why), 0);
    assert_int_equal (target->cells, 1024);
    assert_int_equal (target->level [77], 200);

    free (before);
    free (target);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_pgm_plain),
        cmocka_unit_test (test_pgm_raw),
        cmocka_unit_test (test_pgm_errors),
        cmocka_unit_test (test_png),
        cmocka_unit_test (test_png_errors),
        cmocka_unit_test (test_load),
        cmocka_unit_test (test_names),
        cmocka_unit_test (test_grid),
    };
    return cmocka_run_group_tests (tests, test_tmp_setup, test_tmp_teardown);
}
