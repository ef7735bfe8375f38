/*  ss_tensor: one small matrix applied along every axis of a d-way tensor.

    The features and the quadrature grid of the model are tensor products:
    phi_k(y_g) = prod_j a(g_j, k_j) with one n_q x m matrix a, the same on
    every axis. So the G x K products of the exponential family are d small
    mode products each (Kolda & Bader's "n-mode product"):

        logits   Phi theta          = theta x_1 a   x_2 a   ... x_d a
        moments  Phi^T p            = p     x_1 a^T x_2 a^T ... x_d a^T
        second   sum_g p_g B(g_1) (x) ... (x) B(g_d), with B(g) the
                 m(m+1)/2 products a(g,k) a(g,l), k <= l, as the rows of
                 one matrix applied along every axis.

    A tensor is stored first index fastest (the layout of ss_expfam's nodes
    and features). An operator holds M (rows x cols) and its transpose, and
    applies it axis after axis: upwards when it expands (rows > cols, so
    the long axes come last), downwards when it contracts (so the first
    product runs over the longest contiguous rows). Each output element is
    a sum over c = 0 .. cols-1 in ascending order, the same in both loop
    shapes; with BLAS (dgemm) the order is the library's, still the same
    from run to run on one machine.
*/
#ifndef SS_TENSOR_H
#define SS_TENSOR_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ss_tensor_t ss_tensor_t;

//  An operator applying M (rows x cols, row major, copied) along each of d
//  axes; NULL if out of memory
ss_tensor_t *ss_tensor_new (int d, int rows, int cols, const double *M);
void ss_tensor_destroy (ss_tensor_t **self_p);

//  Doubles of scratch that ss_tensor_apply needs (two intermediate tensors)
size_t ss_tensor_scratch (const ss_tensor_t *self);

//  Use cblas_dgemm for the mode products (true) or the hand-written loops
void ss_tensor_set_blas (ss_tensor_t *self, bool blas);
bool ss_tensor_blas (const ss_tensor_t *self);

//  out (rows^d) = in (cols^d) times M along every axis; scratch holds
//  ss_tensor_scratch doubles; out, in and scratch do not overlap
void ss_tensor_apply (const ss_tensor_t *self, const double *in, double *out,
                      double *scratch);

#endif
