/*  ss_tensor: mode products with one matrix per axis, hand-written or
    through BLAS (dgemm). See ss_tensor.h for the layout and the order of
    the axes. */

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include "ss_tensor.h"

struct ss_tensor_t {
    int d, rows, cols;
    bool blas;
    double *M;          //  rows x cols
    double *MT;         //  cols x rows
    size_t scratch;     //  largest intermediate tensor
};

static size_t
s_power (int base, int exp)
{
    size_t r = 1;
    while (exp-- > 0)
        r *= (size_t) base;
    return r;
}

ss_tensor_t *
ss_tensor_new (int d, int rows, int cols, const double *M)
{
    ss_tensor_t *self = calloc (1, sizeof (ss_tensor_t));
    if (!self)
        return NULL;
    self->d = d;
    self->rows = rows;
    self->cols = cols;
    self->M = malloc ((size_t) rows * cols * sizeof (double));
    self->MT = malloc ((size_t) rows * cols * sizeof (double));
    if (!self->M || !self->MT) {
        ss_tensor_destroy (&self);
        return NULL;
    }
    memcpy (self->M, M, (size_t) rows * cols * sizeof (double));
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            self->MT [(size_t) c * rows + r] = M [(size_t) r * cols + c];
    //  After t products the tensor has t axes of rows and d - t of cols
    for (int t = 1; t < d; t++) {
        size_t size = s_power (rows, t) * s_power (cols, d - t);
        if (size > self->scratch)
            self->scratch = size;
    }
    return self;
}

void
ss_tensor_destroy (ss_tensor_t **self_p)
{
    if (*self_p) {
        ss_tensor_t *self = *self_p;
        free (self->M);
        free (self->MT);
        free (self);
        *self_p = NULL;
    }
}

size_t
ss_tensor_scratch (const ss_tensor_t *self)
{
    return 2 * self->scratch;
}

void
ss_tensor_set_blas (ss_tensor_t *self, bool blas)
{
    self->blas = blas;
}

bool
ss_tensor_blas (const ss_tensor_t *self)
{
    return self->blas;
}

//  One mode product: the axes before this one total `inner` (fastest),
//  this one has cols, those after total `outer`:
//  out[o][r][i] = sum_c M[r][c] in[o][c][i]
static void
s_mode (const ss_tensor_t *self, size_t inner, size_t outer,
        const double *in, double *out)
{
    const int rows = self->rows, cols = self->cols;
    if (self->blas) {
        if (inner == 1)
            //  out (outer x rows) = in (outer x cols) MT (cols x rows)
            cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                         (int) outer, rows, cols, 1.0, in, cols,
                         self->MT, rows, 0.0, out, rows);
        else
            for (size_t o = 0; o < outer; o++)
                //  out_o (rows x inner) = M (rows x cols) in_o (cols x inner)
                cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                             rows, (int) inner, cols, 1.0, self->M, cols,
                             in + o * cols * inner, (int) inner, 0.0,
                             out + o * rows * inner, (int) inner);
        return;
    }
    if (inner == 1) {
        for (size_t o = 0; o < outer; o++) {
            const double *x = in + o * cols;
            double *restrict y = out + o * rows;
            for (int r = 0; r < rows; r++)
                y [r] = 0;
            for (int c = 0; c < cols; c++) {
                const double xc = x [c];
                const double *restrict mt = self->MT + (size_t) c * rows;
                for (int r = 0; r < rows; r++)
                    y [r] += xc * mt [r];
            }
        }
        return;
    }
    for (size_t o = 0; o < outer; o++) {
        const double *x = in + o * cols * inner;
        for (int r = 0; r < rows; r++) {
            double *restrict y = out + (o * rows + r) * inner;
            const double *mr = self->M + (size_t) r * cols;
            for (size_t i = 0; i < inner; i++)
                y [i] = 0;
            for (int c = 0; c < cols; c++) {
                const double mrc = mr [c];
                const double *restrict xc = x + c * inner;
                for (size_t i = 0; i < inner; i++)
                    y [i] += mrc * xc [i];
            }
        }
    }
}

void
ss_tensor_apply (const ss_tensor_t *self, const double *in, double *out,
                 double *scratch)
{
    const int d = self->d, rows = self->rows, cols = self->cols;
    const bool up = rows > cols;
    const double *src = in;
    for (int t = 0; t < d; t++) {
        //  Axis j; axes below it and above it, in rows or cols
        int j = up? t: d - 1 - t;
        size_t inner = up? s_power (rows, j): s_power (cols, j);
        size_t outer = up? s_power (cols, d - 1 - j): s_power (rows, d - 1 - j);
        double *dst = t == d - 1? out: scratch + (t % 2) * self->scratch;
        s_mode (self, inner, outer, src, dst);
        src = dst;
    }
}
