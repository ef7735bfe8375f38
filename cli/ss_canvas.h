/*  ss_canvas: the small drawing vocabulary of swarmshape's pictures, on
    cairo's C API: axes with ticks and labels (linear or decades), text,
    markers, a heat map with its colour bar, legend entries, and the
    writing of one picture as PNG and SVG from the same drawing function
    (each written to a temporary name and renamed, like the run's files).

    Units are cairo user units: pixels in the PNG, points in the SVG.
*/
#ifndef SS_CANVAS_H
#define SS_CANVAS_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

//  A plotting area: device rectangle and the data range it shows. With
//  ylog, y0 and y1 are decade exponents and values are mapped by log10.
typedef struct {
    double x, y, w, h;
    double x0, x1, y0, y1;
    bool ylog;
} ss_axes_t;

typedef enum {
    SS_MARK_RING,           //  hollow circle: initial position
    SS_MARK_DOT,            //  filled circle with an outline: final position
    SS_MARK_CROSS,          //  x: a lost agent
    SS_MARK_TRIANGLE        //  filled triangle pointing down: an event
} ss_mark_t;

//  Flags of ss_canvas_axes
#define SS_AXES_GRID      1 //  light grid lines at the ticks
#define SS_AXES_NO_XLABEL 2 //  tick marks on x but no tick labels
#define SS_AXES_NO_YTICKS 4 //  no y ticks at all

//  Device coordinates of data values (NaN/non-positive in log: NAN)
double ss_axes_px (const ss_axes_t *ax, double v);
double ss_axes_py (const ss_axes_t *ax, double v);
//  Clip cr to the plotting area (cairo_save first; cairo_restore after)
void ss_axes_clip (cairo_t *cr, const ss_axes_t *ax);

//  Colours by role, rgb in [0, 1]
void ss_canvas_rgb (cairo_t *cr, unsigned rgb24, double alpha);

//  Text at (x, y): ax 0/0.5/1 puts x at its left/centre/right, ay
//  0/0.5/1 puts y at its top/middle/baseline. bold for titles.
void ss_canvas_text (cairo_t *cr, double x, double y, double size, double ax,
                     double ay, bool bold, const char *text);
//  The same, turned a quarter counter-clockwise (y-axis labels)
void ss_canvas_text_up (cairo_t *cr, double x, double y, double size,
                        double ax, double ay, const char *text);
//  Width of text at size
double ss_canvas_text_width (cairo_t *cr, double size, bool bold, const char *text);

//  Frame, ticks, tick labels and axis labels of ax (labels may be NULL)
void ss_canvas_axes (cairo_t *cr, const ss_axes_t *ax, const char *xlabel,
                     const char *ylabel, unsigned flags);

//  A grid of nx x ny values (first index fastest, row 0 at y0) filling ax,
//  coloured by viridis from 0 to vmax, smoothed bilinearly
void ss_canvas_heatmap (cairo_t *cr, const ss_axes_t *ax, const double *grid,
                        int nx, int ny, double vmax);
//  Vertical colour bar of the heat maps' scale, 0 to vmax, with ticks
//  and a label on its right
void ss_canvas_colourbar (cairo_t *cr, double x, double y, double w, double h,
                          double vmax, const char *label);

//  A marker of radius r at (x, y) in the current colour (outline dark)
void ss_canvas_marker (cairo_t *cr, double x, double y, ss_mark_t kind,
                       double r, unsigned rgb24);
//  A legend entry at (x, y): a marker (kind >= 0) or a line sample of
//  colour rgb24 and dash (0: solid), then its text. Returns the x after it.
double ss_canvas_legend (cairo_t *cr, double x, double y, int kind,
                         unsigned rgb24, double dash, const char *text);

typedef void (ss_canvas_draw_fn) (cairo_t *cr, void *ctx);

//  Draw one picture of w x h units into PATH.png and, with svg, PATH.svg
//  (path without extension); the written paths are printed to out when
//  out is not NULL. 0, or -1 with one line in err.
int ss_canvas_write (const char *path, double w, double h, bool svg,
                     ss_canvas_draw_fn *draw, void *ctx, FILE *out,
                     char *err, size_t err_size);

#endif
