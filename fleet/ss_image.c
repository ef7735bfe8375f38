/*  ss_image: PGM by hand, PNG through libpng's simplified API, and the
    area-average resampling onto the grid (ss_image.h).

    The PGM reader walks the bytes with a cursor that never passes the
    end; numbers are read digit by digit against a limit, so nothing
    overflows. Sizes are checked before the pixel buffer is allocated:
    at most SS_IMAGE_MAX_SIDE^2 bytes whatever the file claims.
*/

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <png.h>
#include "ss_image.h"

static const uint8_t s_png_signature [8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

static void
s_say (char *err, size_t err_size, const char *format, ...)
{
    if (!err || err_size == 0)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (err, err_size, format, args);
    va_end (args);
    //  One line whatever a format quoted
    for (char *c = err; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == 0x7f)
            *c = '?';
}

static ss_image_t *
s_new (int width, int height)
{
    ss_image_t *self = calloc (1, sizeof (ss_image_t));
    if (!self)
        return NULL;
    self->width = width;
    self->height = height;
    self->luma = malloc ((size_t) width * (size_t) height);
    if (!self->luma)
        ss_image_destroy (&self);
    return self;
}

void
ss_image_destroy (ss_image_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->luma);
        free (*self_p);
        *self_p = NULL;
    }
}

static bool
s_is_space (uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool
ss_image_sniff (const uint8_t *data, size_t size)
{
    if (size >= sizeof s_png_signature
    &&  memcmp (data, s_png_signature, sizeof s_png_signature) == 0)
        return true;
    return size >= 3 && data [0] == 'P' && (data [1] == '2' || data [1] == '5')
        && (s_is_space (data [2]) || data [2] == '#');
}

bool
ss_image_named (const char *path)
{
    size_t len = path? strlen (path): 0;
    return len > 4 && (strcasecmp (path + len - 4, ".pgm") == 0
                    || strcasecmp (path + len - 4, ".png") == 0);
}

//  --------------------------------------------------------------------------
//  PGM

typedef struct {
    const uint8_t *data;
    size_t size, at;
} s_cursor_t;

//  Past blanks and comments ('#' to the end of the line)
static void
s_skip (s_cursor_t *c)
{
    while (c->at < c->size) {
        uint8_t ch = c->data [c->at];
        if (ch == '#')
            while (c->at < c->size && c->data [c->at] != '\n' && c->data [c->at] != '\r')
                c->at++;
        else
        if (s_is_space (ch))
            c->at++;
        else
            break;
    }
}

//  An unsigned decimal after blanks and comments, ending at a blank, a
//  comment or the end: its value, -1 if there is none (the end, or not a
//  number), -2 if it is above limit
static long
s_number (s_cursor_t *c, long limit)
{
    s_skip (c);
    if (c->at >= c->size || c->data [c->at] < '0' || c->data [c->at] > '9')
        return -1;
    long value = 0;
    bool above = false;
    while (c->at < c->size && c->data [c->at] >= '0' && c->data [c->at] <= '9') {
        if (!above) {
            value = value * 10 + (c->data [c->at] - '0');
            above = value > limit;
        }
        c->at++;
    }
    if (c->at < c->size && !s_is_space (c->data [c->at]) && c->data [c->at] != '#')
        return -1;
    return above? -2: value;
}

//  A header number (width, height, maxval) in 1..limit
static long
s_header_number (s_cursor_t *c, const char *kind, const char *what, long limit,
                 char *err, size_t err_size)
{
    long v = s_number (c, limit);
    if (v == -2)
        s_say (err, err_size, "PGM (%s): %s above %ld", kind, what, limit);
    else
    if (v <= 0)
        s_say (err, err_size, "PGM (%s): %s: expected a number in 1..%ld%s", kind,
               what, limit, c->at >= c->size? ", got the end of the file": "");
    return v > 0? v: -1;
}

static uint8_t
s_scale (long v, long maxval)
{
    return (uint8_t) ((v * 255 + maxval / 2) / maxval);
}

static ss_image_t *
s_decode_pgm (const uint8_t *data, size_t size, char *err, size_t err_size)
{
    bool plain = data [1] == '2';
    const char *kind = plain? "P2": "P5";
    s_cursor_t c = { data, size, 2 };
    long width = s_header_number (&c, kind, "width", SS_IMAGE_MAX_SIDE, err, err_size);
    long height = width < 0? -1:
        s_header_number (&c, kind, "height", SS_IMAGE_MAX_SIDE, err, err_size);
    long maxval = height < 0? -1:
        s_header_number (&c, kind, "maxval", 65535, err, err_size);
    if (maxval < 0)
        return NULL;
    if (c.at >= size) {
        s_say (err, err_size, "PGM (%s): no samples after the header", kind);
        return NULL;
    }
    ss_image_t *self = s_new ((int) width, (int) height);
    if (!self) {
        s_say (err, err_size, "PGM (%s): out of memory for %ld x %ld pixels", kind,
               width, height);
        return NULL;
    }
    size_t pixels = (size_t) width * (size_t) height;
    if (plain) {
        for (size_t p = 0; p < pixels; p++) {
            long v = s_number (&c, maxval);
            if (v < 0) {
                if (v == -2)
                    s_say (err, err_size, "P2: sample at row %zu, column %zu is above "
                           "maxval %ld", p / (size_t) width, p % (size_t) width, maxval);
                else
                if (c.at >= size)
                    s_say (err, err_size, "P2: %zu samples, expected %zu (%ld x %ld)",
                           p, pixels, width, height);
                else
                    s_say (err, err_size, "P2: expected a number for the sample at row "
                           "%zu, column %zu", p / (size_t) width, p % (size_t) width);
                ss_image_destroy (&self);
                return NULL;
            }
            self->luma [p] = s_scale (v, maxval);
        }
        s_skip (&c);
        if (c.at < size) {
            s_say (err, err_size, "P2: more samples than %ld x %ld (or other text "
                   "after them)", width, height);
            ss_image_destroy (&self);
        }
        return self;
    }
    //  P5: one blank after maxval, then the raster (the first image)
    if (!s_is_space (data [c.at])) {
        s_say (err, err_size, "P5: expected one blank after maxval, then the raster");
        ss_image_destroy (&self);
        return NULL;
    }
    c.at++;
    size_t bytes = maxval < 256? 1: 2;
    if (size - c.at < pixels * bytes) {
        s_say (err, err_size, "P5: %zu bytes of raster, expected %zu (%ld x %ld, %zu "
               "byte%s a sample)", size - c.at, pixels * bytes, width, height, bytes,
               bytes > 1? "s": "");
        ss_image_destroy (&self);
        return NULL;
    }
    const uint8_t *raster = data + c.at;
    for (size_t p = 0; p < pixels; p++) {
        long v = bytes == 1? raster [p]: (long) raster [2 * p] << 8 | raster [2 * p + 1];
        if (v > maxval) {
            s_say (err, err_size, "P5: sample %ld at row %zu, column %zu is above "
                   "maxval %ld", v, p / (size_t) width, p % (size_t) width, maxval);
            ss_image_destroy (&self);
            return NULL;
        }
        self->luma [p] = s_scale (v, maxval);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  PNG: libpng's simplified API converts any PNG to 8-bit gray

static ss_image_t *
s_decode_png (const uint8_t *data, size_t size, char *err, size_t err_size)
{
    png_image image;
    memset (&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory (&image, data, size)) {
        s_say (err, err_size, "PNG: %s", *image.message? image.message: "cannot read");
        png_image_free (&image);
        return NULL;
    }
    if (image.width < 1 || image.height < 1
    ||  image.width > SS_IMAGE_MAX_SIDE || image.height > SS_IMAGE_MAX_SIDE) {
        s_say (err, err_size, "PNG: %u x %u pixels, at most %d a side", image.width,
               image.height, SS_IMAGE_MAX_SIDE);
        png_image_free (&image);
        return NULL;
    }
    ss_image_t *self = s_new ((int) image.width, (int) image.height);
    if (!self) {
        s_say (err, err_size, "PNG: out of memory for %u x %u pixels", image.width,
               image.height);
        png_image_free (&image);
        return NULL;
    }
    image.format = PNG_FORMAT_GRAY;
    png_color white = { 255, 255, 255 };
    if (!png_image_finish_read (&image, &white, self->luma, 0, NULL)) {
        s_say (err, err_size, "PNG: %s", *image.message? image.message: "cannot decode");
        png_image_free (&image);
        ss_image_destroy (&self);
        return NULL;
    }
    png_image_free (&image);
    return self;
}

ss_image_t *
ss_image_decode (const uint8_t *data, size_t size, char *err, size_t err_size)
{
    if (!data || !ss_image_sniff (data, size)) {
        s_say (err, err_size, "not a PGM (P2, P5) or PNG image");
        return NULL;
    }
    if (data [0] == 'P')
        return s_decode_pgm (data, size, err, err_size);
    return s_decode_png (data, size, err, err_size);
}

ss_image_t *
ss_image_load (const char *path, char *err, size_t err_size)
{
    //  Not blocking on a FIFO; a regular file only
    int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat (fd, &st)) {
        s_say (err, err_size, "%s: cannot read file (%s)", path, strerror (errno));
        if (fd >= 0)
            close (fd);
        return NULL;
    }
    if (!S_ISREG (st.st_mode)) {
        s_say (err, err_size, "%s: not a regular file", path);
        close (fd);
        return NULL;
    }
    if (st.st_size > SS_IMAGE_MAX_FILE) {
        s_say (err, err_size, "%s: %lld bytes, an image file has at most %d",
               path, (long long) st.st_size, SS_IMAGE_MAX_FILE);
        close (fd);
        return NULL;
    }
    //  At most one byte more than the limit, whatever fstat said
    size_t cap = (size_t) st.st_size + 1, size = 0;
    uint8_t *data = malloc (cap);
    int error = data? 0: ENOMEM;
    while (!error) {
        if (size == cap) {
            if (cap > SS_IMAGE_MAX_FILE)
                break;
            size_t more = 2 * cap > (size_t) SS_IMAGE_MAX_FILE + 1?
                          (size_t) SS_IMAGE_MAX_FILE + 1: 2 * cap;
            uint8_t *grown = realloc (data, more);
            if (!grown) {
                error = ENOMEM;
                break;
            }
            data = grown;
            cap = more;
        }
        ssize_t got = read (fd, data + size, cap - size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            error = errno;
        if (got <= 0)
            break;
        size += (size_t) got;
    }
    close (fd);
    if (!error && size > SS_IMAGE_MAX_FILE)
        error = EFBIG;
    ss_image_t *self = NULL;
    if (error)
        s_say (err, err_size, "%s: cannot read file (%s)", path, strerror (error));
    else {
        char why [256];
        self = ss_image_decode (data, size, why, sizeof why);
        if (!self)
            s_say (err, err_size, "%s: %s", path, why);
    }
    free (data);
    return self;
}

//  --------------------------------------------------------------------------
//  Resampling

//  The overlap of pixel p ([p, p + 1]) with [a, b]
static double
s_overlap (long p, double a, double b)
{
    double lo = p > a? p: a, hi = p + 1 < b? p + 1: b;
    return hi > lo? hi - lo: 0;
}

int
ss_image_grid (const ss_image_t *self, const ss_model_t *model,
               ss_mixture_t *target, char *err, size_t err_size)
{
    if (model->dim != 2) {
        s_say (err, err_size, "an image target needs model/dim = 2, got %d", model->dim);
        return -1;
    }
    const int nq = model->nq, W = self->width, H = self->height;
    if (nq < 1 || (long) nq * nq > SS_MAX_GRID) {
        s_say (err, err_size, "an image target needs nq^2 <= %d (nq <= %d), got nq = %d",
               SS_MAX_GRID, (int) sqrt ((double) SS_MAX_GRID), nq);
        return -1;
    }
    //  Rows first: across[r * nq + i] = the integral of row r over cell
    //  column i, in pixels; then down each cell column
    double *across = malloc ((size_t) H * (size_t) nq * sizeof (double));
    if (!across) {
        s_say (err, err_size, "out of memory");
        return -1;
    }
    for (int i = 0; i < nq; i++) {
        double a = (double) ((long) i * W) / nq, b = (double) ((long) (i + 1) * W) / nq;
        long c0 = (long) floor (a), c1 = (long) ceil (b);
        if (c1 > W)
            c1 = W;
        for (int r = 0; r < H; r++) {
            const uint8_t *row = self->luma + (size_t) r * W;
            double sum = 0;
            for (long c = c0; c < c1; c++)
                sum += s_overlap (c, a, b) * row [c];
            across [(size_t) r * nq + i] = sum;
        }
    }
    double area = ((double) W / nq) * ((double) H / nq);
    int nonzero = 0;
    _Static_assert (SS_MAX_GRID <= 65536, "levels on the stack");
    uint8_t levels [SS_MAX_GRID] = { 0 };
    for (int j = 0; j < nq; j++) {
        //  Cell row j (y up) covers picture rows [a, b] counted from the top
        double a = (double) ((long) (nq - 1 - j) * H) / nq;
        double b = (double) ((long) (nq - j) * H) / nq;
        long r0 = (long) floor (a), r1 = (long) ceil (b);
        if (r1 > H)
            r1 = H;
        for (int i = 0; i < nq; i++) {
            double sum = 0;
            for (long r = r0; r < r1; r++)
                sum += s_overlap (r, a, b) * across [(size_t) r * nq + i];
            long level = lround (255 - sum / area);
            level = level < 0? 0: level > 255? 255: level;
            levels [j * nq + i] = (uint8_t) level;
            nonzero += level > 0;
        }
    }
    free (across);
    if (nonzero == 0) {
        s_say (err, err_size, "the picture is white everywhere (on a %d x %d grid): "
               "nothing dark to gather at", nq, nq);
        return -1;
    }
    memcpy (target->level, levels, sizeof levels);
    target->cells = nq * nq;
    return 0;
}

int
ss_image_target (const char *path, const ss_model_t *model, ss_mixture_t *target,
                 char *err, size_t err_size)
{
    ss_image_t *image = ss_image_load (path, err, err_size);
    if (!image)
        return -1;
    char why [256];
    int rc = ss_image_grid (image, model, target, why, sizeof why);
    if (rc)
        s_say (err, err_size, "%s: %s", path, why);
    ss_image_destroy (&image);
    return rc;
}
