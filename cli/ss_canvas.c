/*  ss_canvas: axes, text, markers, heat maps and PNG/SVG output on cairo. */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <cairo-svg.h>
#include "ss_canvas.h"
#include "ss_file.h"
#include "ss_plotmath.h"

#define FONT        "DejaVu Sans"
#define INK         0x222222    //  frames, ticks, text
#define GRID        0xe4e4e4
#define TICK_SIZE   11.0
#define LABEL_SIZE  13.0

double
ss_axes_px (const ss_axes_t *ax, double v)
{
    return ax->x + (v - ax->x0) / (ax->x1 - ax->x0) * ax->w;
}

double
ss_axes_py (const ss_axes_t *ax, double v)
{
    if (ax->ylog) {
        if (!(v > 0) || !isfinite (v))
            return NAN;
        v = log10 (v);
    }
    return ax->y + ax->h - (v - ax->y0) / (ax->y1 - ax->y0) * ax->h;
}

void
ss_axes_clip (cairo_t *cr, const ss_axes_t *ax)
{
    cairo_rectangle (cr, ax->x, ax->y, ax->w, ax->h);
    cairo_clip (cr);
}

void
ss_canvas_rgb (cairo_t *cr, unsigned rgb24, double alpha)
{
    cairo_set_source_rgba (cr, ((rgb24 >> 16) & 0xff) / 255.0,
                           ((rgb24 >> 8) & 0xff) / 255.0, (rgb24 & 0xff) / 255.0,
                           alpha);
}

static void
s_font (cairo_t *cr, double size, bool bold)
{
    cairo_select_font_face (cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                            bold? CAIRO_FONT_WEIGHT_BOLD: CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size (cr, size);
}

double
ss_canvas_text_width (cairo_t *cr, double size, bool bold, const char *text)
{
    s_font (cr, size, bold);
    cairo_text_extents_t te;
    cairo_text_extents (cr, text, &te);
    return te.x_advance;
}

void
ss_canvas_text (cairo_t *cr, double x, double y, double size, double ax,
                double ay, bool bold, const char *text)
{
    double width = ss_canvas_text_width (cr, size, bold, text);
    //  0.72 em: the height of DejaVu's capitals and digits
    cairo_move_to (cr, x - ax * width, y + (1 - ay) * 0.72 * size);
    cairo_show_text (cr, text);
    cairo_new_path (cr);
}

void
ss_canvas_text_up (cairo_t *cr, double x, double y, double size, double ax,
                   double ay, const char *text)
{
    cairo_save (cr);
    cairo_translate (cr, x, y);
    cairo_rotate (cr, -M_PI / 2);
    ss_canvas_text (cr, 0, 0, size, ax, ay, false, text);
    cairo_restore (cr);
}

//  "10" with the exponent raised, right-aligned at x, centred on y
static void
s_pow10 (cairo_t *cr, double x, double y, int exponent)
{
    char sup [16];
    snprintf (sup, sizeof sup, "%d", exponent);
    double small = TICK_SIZE * 0.75;
    double w_sup = ss_canvas_text_width (cr, small, false, sup);
    double w_ten = ss_canvas_text_width (cr, TICK_SIZE, false, "10");
    ss_canvas_text (cr, x - w_sup - w_ten, y, TICK_SIZE, 0, 0.5, false, "10");
    ss_canvas_text (cr, x - w_sup, y - 0.45 * TICK_SIZE, small, 0, 0.5, false, sup);
}

static void
s_line (cairo_t *cr, double x0, double y0, double x1, double y1)
{
    cairo_move_to (cr, x0, y0);
    cairo_line_to (cr, x1, y1);
    cairo_stroke (cr);
}

void
ss_canvas_axes (cairo_t *cr, const ss_axes_t *ax, const char *xlabel,
                const char *ylabel, unsigned flags)
{
    double ticks [SS_PLOTMATH_MAX_TICKS], step;
    char label [32];
    cairo_save (cr);
    cairo_set_line_width (cr, 1);
    int max_x = (int) (ax->w / 70) + 1;
    int n_x = ss_plotmath_ticks (ax->x0, ax->x1, max_x < 3? 3: max_x, ticks, &step);
    for (int i = 0; i < n_x; i++) {
        double px = ss_axes_px (ax, ticks [i]);
        if (flags & SS_AXES_GRID) {
            ss_canvas_rgb (cr, GRID, 1);
            s_line (cr, px, ax->y, px, ax->y + ax->h);
        }
        ss_canvas_rgb (cr, INK, 1);
        s_line (cr, px, ax->y + ax->h, px, ax->y + ax->h + 5);
        if (!(flags & SS_AXES_NO_XLABEL))
            ss_canvas_text (cr, px, ax->y + ax->h + 8, TICK_SIZE, 0.5, 0, false,
                            ss_plotmath_label (ticks [i], step, label, sizeof label));
    }
    double label_x = ax->x - 40;
    if (!(flags & SS_AXES_NO_YTICKS) && ax->ylog) {
        int exps [SS_PLOTMATH_MAX_TICKS];
        int lo = (int) floor (ax->y0 + 1e-9), hi = (int) ceil (ax->y1 - 1e-9);
        int max_y = (int) (ax->h / 26) + 1;
        int n_y = ss_plotmath_log_ticks (lo, hi, max_y < 2? 2: max_y, exps);
        bool minor = hi - lo <= 6;
        for (int e = lo; minor && e < hi; e++)
            for (int k = 2; k < 10; k++) {
                double py = ss_axes_py (ax, k * pow (10, e));
                ss_canvas_rgb (cr, INK, 1);
                s_line (cr, ax->x - 3, py, ax->x, py);
            }
        for (int i = 0; i < n_y; i++) {
            double py = ss_axes_py (ax, pow (10, exps [i]));
            if (flags & SS_AXES_GRID) {
                ss_canvas_rgb (cr, GRID, 1);
                s_line (cr, ax->x, py, ax->x + ax->w, py);
            }
            ss_canvas_rgb (cr, INK, 1);
            s_line (cr, ax->x - 6, py, ax->x, py);
            s_pow10 (cr, ax->x - 9, py, exps [i]);
        }
        label_x = ax->x - 48;
    }
    else
    if (!(flags & SS_AXES_NO_YTICKS)) {
        int max_y = (int) (ax->h / 45) + 1;
        int n_y = ss_plotmath_ticks (ax->y0, ax->y1, max_y < 3? 3: max_y, ticks, &step);
        double widest = 0;
        for (int i = 0; i < n_y; i++) {
            double py = ss_axes_py (ax, ticks [i]);
            if (flags & SS_AXES_GRID) {
                ss_canvas_rgb (cr, GRID, 1);
                s_line (cr, ax->x, py, ax->x + ax->w, py);
            }
            ss_canvas_rgb (cr, INK, 1);
            s_line (cr, ax->x - 5, py, ax->x, py);
            ss_plotmath_label (ticks [i], step, label, sizeof label);
            double width = ss_canvas_text_width (cr, TICK_SIZE, false, label);
            if (width > widest)
                widest = width;
            ss_canvas_text (cr, ax->x - 8, py, TICK_SIZE, 1, 0.5, false, label);
        }
        label_x = ax->x - 16 - widest;
    }
    ss_canvas_rgb (cr, INK, 1);
    cairo_rectangle (cr, ax->x, ax->y, ax->w, ax->h);
    cairo_stroke (cr);
    if (xlabel)
        ss_canvas_text (cr, ax->x + ax->w / 2, ax->y + ax->h + 26, LABEL_SIZE,
                        0.5, 0, false, xlabel);
    if (ylabel)
        ss_canvas_text_up (cr, label_x, ax->y + ax->h / 2, LABEL_SIZE, 0.5, 1, ylabel);
    cairo_restore (cr);
}

void
ss_canvas_heatmap (cairo_t *cr, const ss_axes_t *ax, const double *grid,
                   int nx, int ny, double vmax)
{
    int ox = (int) ceil (ax->w), oy = (int) ceil (ax->h);
    if (ox < 1 || oy < 1 || ox > 4096 || oy > 4096)
        return;
    double *fine = malloc ((size_t) ox * oy * sizeof (double));
    cairo_surface_t *image = cairo_image_surface_create (CAIRO_FORMAT_RGB24, ox, oy);
    if (fine && cairo_surface_status (image) == CAIRO_STATUS_SUCCESS) {
        ss_plotmath_resample (grid, nx, ny, fine, ox, oy);
        cairo_surface_flush (image);
        unsigned char *data = cairo_image_surface_get_data (image);
        int stride = cairo_image_surface_get_stride (image);
        for (int row = 0; row < oy; row++) {
            uint32_t *pixel = (uint32_t *) (data + (size_t) row * stride);
            //  image row 0 is the top, grid row 0 the bottom
            const double *src = fine + (size_t) (oy - 1 - row) * ox;
            for (int col = 0; col < ox; col++) {
                double rgb [3];
                ss_plotmath_colour (vmax > 0? src [col] / vmax: 0, rgb);
                pixel [col] = 0xff000000u | (uint32_t) lround (rgb [0] * 255) << 16
                            | (uint32_t) lround (rgb [1] * 255) << 8
                            | (uint32_t) lround (rgb [2] * 255);
            }
        }
        cairo_surface_mark_dirty (image);
        cairo_save (cr);
        cairo_translate (cr, ax->x, ax->y);
        cairo_scale (cr, ax->w / ox, ax->h / oy);
        cairo_set_source_surface (cr, image, 0, 0);
        cairo_rectangle (cr, 0, 0, ox, oy);
        cairo_fill (cr);
        cairo_restore (cr);
    }
    cairo_surface_destroy (image);
    free (fine);
}

void
ss_canvas_colourbar (cairo_t *cr, double x, double y, double w, double h,
                     double vmax, const char *label)
{
    cairo_save (cr);
    cairo_pattern_t *ramp = cairo_pattern_create_linear (0, y + h, 0, y);
    for (int i = 0; i <= 10; i++) {
        double rgb [3];
        ss_plotmath_colour (i / 10.0, rgb);
        cairo_pattern_add_color_stop_rgb (ramp, i / 10.0, rgb [0], rgb [1], rgb [2]);
    }
    cairo_rectangle (cr, x, y, w, h);
    cairo_set_source (cr, ramp);
    cairo_fill (cr);
    cairo_pattern_destroy (ramp);
    ss_axes_t bar = { x, y, w, h, 0, 1, 0, vmax > 0? vmax: 1, false };
    double ticks [SS_PLOTMATH_MAX_TICKS], step;
    char text [32];
    int n = ss_plotmath_ticks (0, bar.y1, (int) (h / 40) + 1, ticks, &step);
    ss_canvas_rgb (cr, INK, 1);
    cairo_set_line_width (cr, 1);
    double widest = 0;
    for (int i = 0; i < n; i++) {
        double py = ss_axes_py (&bar, ticks [i]);
        s_line (cr, x + w, py, x + w + 5, py);
        ss_plotmath_label (ticks [i], step, text, sizeof text);
        double width = ss_canvas_text_width (cr, TICK_SIZE, false, text);
        if (width > widest)
            widest = width;
        ss_canvas_text (cr, x + w + 8, py, TICK_SIZE, 0, 0.5, false, text);
    }
    cairo_rectangle (cr, x, y, w, h);
    cairo_stroke (cr);
    if (label)
        ss_canvas_text_up (cr, x + w + 14 + widest, y + h / 2, LABEL_SIZE, 0.5, 0, label);
    cairo_restore (cr);
}

void
ss_canvas_marker (cairo_t *cr, double x, double y, ss_mark_t kind, double r,
                  unsigned rgb24)
{
    if (!isfinite (x) || !isfinite (y))
        return;
    cairo_save (cr);
    cairo_set_line_width (cr, kind == SS_MARK_CROSS? 2: 1.2);
    cairo_new_path (cr);
    switch (kind) {
        case SS_MARK_RING:
            cairo_arc (cr, x, y, r, 0, 2 * M_PI);
            ss_canvas_rgb (cr, rgb24, 1);
            cairo_stroke (cr);
            break;
        case SS_MARK_DOT:
            cairo_arc (cr, x, y, r, 0, 2 * M_PI);
            ss_canvas_rgb (cr, rgb24, 1);
            if (r < 2) {        //  small: an outline would be all there is
                cairo_fill (cr);
                break;
            }
            cairo_fill_preserve (cr);
            ss_canvas_rgb (cr, 0x000000, 0.8);
            cairo_set_line_width (cr, 0.8);
            cairo_stroke (cr);
            break;
        case SS_MARK_CROSS:
            ss_canvas_rgb (cr, rgb24, 1);
            s_line (cr, x - r, y - r, x + r, y + r);
            s_line (cr, x - r, y + r, x + r, y - r);
            break;
        case SS_MARK_TRIANGLE:
            cairo_move_to (cr, x - r, y - r);
            cairo_line_to (cr, x + r, y - r);
            cairo_line_to (cr, x, y + r * 0.8);
            cairo_close_path (cr);
            ss_canvas_rgb (cr, rgb24, 1);
            cairo_fill (cr);
            break;
    }
    cairo_restore (cr);
}

double
ss_canvas_legend (cairo_t *cr, double x, double y, int kind, unsigned rgb24,
                  double dash, const char *text)
{
    cairo_save (cr);
    double sample = 26;
    //  White is drawn on the heat maps: on the legend, on a dark patch
    if (rgb24 == 0xffffff) {
        ss_canvas_rgb (cr, 0x3b528b, 1);
        cairo_rectangle (cr, x, y - 9, sample, 18);
        cairo_fill (cr);
    }
    if (kind >= 0) {
        ss_canvas_marker (cr, x + sample / 2, y, (ss_mark_t) kind, 4, rgb24);
    }
    else {
        ss_canvas_rgb (cr, rgb24, 1);
        cairo_set_line_width (cr, 2);
        if (dash > 0)
            cairo_set_dash (cr, &dash, 1, 0);
        s_line (cr, x, y, x + sample, y);
    }
    cairo_restore (cr);
    ss_canvas_rgb (cr, INK, 1);
    ss_canvas_text (cr, x + sample + 6, y, 12, 0, 0.5, false, text);
    return x + sample + 6 + ss_canvas_text_width (cr, 12, false, text) + 22;
}

static cairo_status_t
s_to_stream (void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite (data, 1, length, closure) == length? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_WRITE_ERROR;
}

static void
s_paint (cairo_surface_t *surface, double w, double h, ss_canvas_draw_fn *draw,
         void *ctx)
{
    cairo_t *cr = cairo_create (surface);
    cairo_set_source_rgb (cr, 1, 1, 1);
    cairo_rectangle (cr, 0, 0, w, h);
    cairo_fill (cr);
    draw (cr, ctx);
    cairo_destroy (cr);
}

//  One picture into path.ext, atomically (ss_file)
static int
s_write (const char *path, const char *ext, double w, double h,
         ss_canvas_draw_fn *draw, void *ctx, FILE *out, char *err,
         size_t err_size)
{
    char file [PATH_MAX + 16];
    snprintf (file, sizeof file, "%s.%s", path, ext);
    ss_file_t *dest = ss_file_new (file, 0644);
    if (!dest) {
        snprintf (err, err_size, "%s: cannot write (%s)", file, strerror (errno));
        return -1;
    }
    FILE *stream = ss_file_stream (dest);
    cairo_status_t status;
    if (!strcmp (ext, "svg")) {
        cairo_surface_t *vector = cairo_svg_surface_create_for_stream (s_to_stream,
                                                                       stream, w, h);
        s_paint (vector, w, h, draw, ctx);
        cairo_surface_finish (vector);
        status = cairo_surface_status (vector);
        cairo_surface_destroy (vector);
    }
    else {
        cairo_surface_t *image = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
                                                             (int) ceil (w), (int) ceil (h));
        s_paint (image, w, h, draw, ctx);
        status = cairo_surface_write_to_png_stream (image, s_to_stream, stream);
        cairo_surface_destroy (image);
    }
    if (status != CAIRO_STATUS_SUCCESS) {
        snprintf (err, err_size, "%s: cannot write (%s)", file,
                  cairo_status_to_string (status));
        ss_file_destroy (&dest);
        return -1;
    }
    if (ss_file_commit (&dest)) {
        snprintf (err, err_size, "%s: cannot write (%s)", file, strerror (errno));
        return -1;
    }
    if (out)
        fprintf (out, "%s\n", file);
    return 0;
}

int
ss_canvas_write (const char *path, double w, double h, bool svg,
                 ss_canvas_draw_fn *draw, void *ctx, FILE *out, char *err,
                 size_t err_size)
{
    if (s_write (path, "png", w, h, draw, ctx, out, err, err_size))
        return -1;
    return svg? s_write (path, "svg", w, h, draw, ctx, out, err, err_size): 0;
}
