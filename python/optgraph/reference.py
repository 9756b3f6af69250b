"""The optimizer of ALGORITHM.md in plain numpy.

Written to be read against the specification line by line, not to be fast.
Arithmetic is float64; state is stored as float32 between steps, as the
compiled step stores it.
"""

import numpy as np

DEFAULTS = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                scale=1.0, interval=1, rotate=False, basis="dct3", norm=1,
                side="auto")


def dct_matrix(N):
    """Orthonormal DCT-II matrix D: D[k, j] = c_k sqrt(2/N) cos(pi k (2j+1) / 2N)."""
    k = np.arange(N)[:, None]
    j = np.arange(N)[None, :]
    D = np.sqrt(2.0 / N) * np.cos(np.pi * k * (2 * j + 1) / (2 * N))
    D[0, :] *= 1.0 / np.sqrt(2.0)
    return D


def basis_matrix(N, kind):
    """Q: dct3 -> Q = D (basis vectors are D's columns); dct2 -> Q = D^T."""
    D = dct_matrix(N)
    if kind == "dct3":
        return D
    if kind == "dct2":
        return D.T
    raise ValueError(f"unknown basis {kind!r}")


def resolve_side(shape, side):
    """The smaller dimension is compressed: right when n >= m."""
    if side == "auto":
        n, m = shape
        return "right" if n >= m else "left"
    return side


def moment_shape(shape, side, rank):
    n, m = shape
    return (n, rank) if resolve_side(shape, side) == "right" else (rank, m)


def top_r(scores, r):
    """Indices of the r largest scores, ascending; ties to the smaller index;
    a NaN score counts as +inf."""
    scores = np.where(np.isnan(scores), np.inf, scores)
    order = np.lexsort((np.arange(len(scores)), -scores))
    return np.sort(order[:r])


def is_refresh(t, interval):
    return t == 1 or t % interval == 0


def rotate_moments(m, v, idx_old, idx_new, side):
    """Slice j of the old subspace moves to position k when idx_new[k] ==
    idx_old[j]; slices of newly selected columns start at zero."""
    m_new = np.zeros_like(m)
    v_new = np.zeros_like(v)
    for k, column in enumerate(idx_new):
        hits = np.nonzero(idx_old == column)[0]
        if len(hits) == 0:
            continue
        j = hits[-1]
        if side == "right":
            m_new[:, k], v_new[:, k] = m[:, j], v[:, j]
        else:
            m_new[k, :], v_new[k, :] = m[j, :], v[j, :]
    return m_new, v_new


def adam_direction(m, v, a, t, beta1, beta2, eps):
    """Step 4: moment update and u = m_hat / (sqrt(v_hat) + eps)."""
    m = beta1 * m + (1 - beta1) * a
    v = beta2 * v + (1 - beta2) * a * a
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return m, v, m_hat / (np.sqrt(v_hat) + eps)


def lowrank_adamw_step(W, G, m, v, idx, t, rank=None, **options):
    """One step of the SVD-free low-rank AdamW for an n x m parameter.

    Returns the new (W, m, v, idx); t is the 1-based step count.
    """
    o = dict(DEFAULTS, **options)
    W, G = np.asarray(W, np.float64), np.asarray(G, np.float64)
    m, v = np.asarray(m, np.float64), np.asarray(v, np.float64)
    idx = np.asarray(idx, np.int64)
    r = len(idx) if rank is None else rank
    side = resolve_side(W.shape, o["side"])
    N = W.shape[1] if side == "right" else W.shape[0]
    Q = basis_matrix(N, o["basis"])

    # 1. Subspace: refresh from S = G Q (right) or Q^T G (left).
    if is_refresh(t, o["interval"]):
        S = G @ Q if side == "right" else Q.T @ G
        axis = 0 if side == "right" else 1
        scores = np.abs(S).sum(axis=axis) if o["norm"] == 1 \
            else np.sqrt((S * S).sum(axis=axis))
        new_idx = top_r(scores, r)
        a = S[:, new_idx] if side == "right" else S[new_idx, :]
        # 2. Optional rotation of the moments into the new subspace.
        if o["rotate"]:
            m, v = rotate_moments(m, v, idx, new_idx, side)
        idx = new_idx
    else:
        a = G @ Q[:, idx] if side == "right" else Q[:, idx].T @ G

    # 3. Decoupled weight decay, 4. Adam in the subspace, 5. back-projection.
    m, v, u = adam_direction(m, v, a, t, o["beta1"], o["beta2"], o["eps"])
    U = u @ Q[:, idx].T if side == "right" else Q[:, idx] @ u
    W = W * (1 - o["lr"] * o["weight_decay"]) - o["lr"] * o["scale"] * U
    return (W.astype(np.float32), m.astype(np.float32), v.astype(np.float32),
            idx.astype(np.int64))


def adamw_step(W, G, m, v, t, **options):
    """One full-rank AdamW step with decoupled weight decay."""
    o = dict(DEFAULTS, **options)
    W, G = np.asarray(W, np.float64), np.asarray(G, np.float64)
    m, v = np.asarray(m, np.float64), np.asarray(v, np.float64)
    m, v, u = adam_direction(m, v, G, t, o["beta1"], o["beta2"], o["eps"])
    W = W * (1 - o["lr"] * o["weight_decay"]) - o["lr"] * u
    return W.astype(np.float32), m.astype(np.float32), v.astype(np.float32)
