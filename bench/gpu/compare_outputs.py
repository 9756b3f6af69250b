"""Compares the outputs of two runs of `optgraph.check` bit for bit (the
GPU's and the emulated driver's: same seed, so same inputs).

    python bench/gpu/compare_outputs.py EXPECTED_WORK ACTUAL_WORK

Every EXPECTED_WORK/outN/NAME.npy must exist in ACTUAL_WORK with the same
bytes. Prints the number of identical arrays, and for each differing one
its largest difference in units in the last place; exits 1 if any differs.
"""

import glob
import os
import sys

import numpy as np


def ulps(a, b):
    """Largest distance between float32 arrays in units in the last place."""
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    # Map the sign-magnitude bit patterns onto a monotonic integer line.
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    return int(np.max(np.abs(ia - ib))) if ia.size else 0


def main():
    expected_root, actual_root = sys.argv[1:3]
    same, different = 0, []
    for expected_path in sorted(glob.glob(os.path.join(expected_root, "out*", "*.npy"))):
        relative = os.path.relpath(expected_path, expected_root)
        actual_path = os.path.join(actual_root, relative)
        if not os.path.exists(actual_path):
            different.append(f"{relative}: missing")
            continue
        expected, actual = np.load(expected_path), np.load(actual_path)
        if expected.dtype != actual.dtype or expected.shape != actual.shape:
            different.append(f"{relative}: {actual.dtype}{actual.shape} vs "
                             f"{expected.dtype}{expected.shape}")
        elif expected.tobytes() != actual.tobytes():
            detail = (f"{ulps(expected, actual)} ulp"
                      if expected.dtype == np.float32 else "values differ")
            different.append(f"{relative}: {detail}")
        else:
            same += 1
    for line in different:
        print(f"DIFFERS {line}")
    print(f"bitwise identical: {same} arrays, different: {len(different)}")
    return 1 if different or same == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
