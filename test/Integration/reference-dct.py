# The numpy reference against implementations nobody here wrote: scipy's DCT,
# and a brute-force check that l2 scores pick the best subset of columns.
# RUN: %python %s | FileCheck %s
# CHECK: dct: ok
# CHECK: top-r: ok
# CHECK: l2 optimal: ok
import itertools

import numpy as np
import scipy.fft

from optgraph import reference

for N in (1, 2, 7, 16, 37, 100):
    D = reference.dct_matrix(N)
    # scipy's orthonormal DCT-II of the unit vectors: column j is D @ e_j.
    expected = scipy.fft.dct(np.eye(N), type=2, norm="ortho", axis=0)
    assert np.allclose(D, expected, atol=1e-12), N
    assert np.allclose(D @ D.T, np.eye(N), atol=1e-12), N
    # dct2's basis vectors are the DCT-II cosines: G @ Q is the row-wise DCT.
    G = np.random.default_rng(N).standard_normal((5, N))
    assert np.allclose(G @ reference.basis_matrix(N, "dct2"),
                       scipy.fft.dct(G, type=2, norm="ortho", axis=1))
print("dct: ok")

scores = np.array([3.0, 1.0, 3.0, 2.0, 3.0])
assert list(reference.top_r(scores, 2)) == [0, 2]      # ties to the smaller index
assert list(reference.top_r(scores, 4)) == [0, 2, 3, 4]
print("top-r: ok")

rng = np.random.default_rng(1)
G = rng.standard_normal((9, 6))
Q = reference.basis_matrix(6, "dct3")
S = G @ Q
chosen = reference.top_r(np.sqrt((S * S).sum(axis=0)), 3)
def residual(cols):
    P = Q[:, list(cols)]
    return np.linalg.norm(G - G @ P @ P.T)
best = min(itertools.combinations(range(6), 3), key=residual)
assert list(best) == list(chosen), (best, chosen)
print("l2 optimal: ok")
