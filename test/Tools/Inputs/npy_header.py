"""Writes copies of an input folder in which one .npy file carries a crafted
header around the same data, for test/Tools/optgraph-run-npy-header.test:

    npy_header.py IN_DIR OUT_ROOT

writes OUT_ROOT/KIND for every KIND below: a header that NumPy writes or
reads the same way (accepted), or one that it rejects or reads differently
(rejected by optgraph-run). x.npy is rewritten, or idx.npy (1-d) for the
kinds about 1-tuples."""
import os
import shutil
import sys

import numpy as np


def standard(descr, shape):
    return (f"{{'descr': '{descr}', 'fortran_order': False, "
            f"'shape': {shape}, }}")


def replace(old, new):
    """The standard header with `old` replaced by `new`, both format strings
    of d (descr), s (the shape's repr) and dims ("6, 4")."""
    def text(d, s, dims):
        fields = dict(d=d, s=s, dims=dims)
        return standard(d, s).replace(old.format(**fields),
                                      new.format(**fields))
    return text


def same(d, s, dims):
    return standard(d, s)


# kind: (file, header dict text from (d, s, dims), options of write)
KINDS = {
    # Accepted.
    "standard": ("x", same, {}),
    "double-quotes": ("x", lambda d, s, dims: f'{{"descr": "{d}", '
                      f'"fortran_order": False, "shape": {s}}}', {}),
    "reordered": ("x", lambda d, s, dims: f"{{'shape': {s}, "
                  f"'fortran_order': False, 'descr': '{d}'}}", {}),
    "compact": ("x", lambda d, s, dims: f"{{'descr':'{d}','fortran_order':"
                f"False,'shape':{s.replace(' ', '')}}}", {}),
    "shape-trailing-comma": ("x", replace("{s}", "({dims},)"), {}),
    "v2": ("x", same, {"version": (2, 0)}),
    "v3": ("x", same, {"version": (3, 0)}),
    "unaligned": ("x", same, {"pad": None}),
    # Rejected.
    "garbage": ("x", lambda d, s, dims: standard(d, s) + "x", {}),
    "second-dict": ("x", lambda d, s, dims: standard(d, s) + " {}", {}),
    "no-newline": ("x", same, {"pad": False}),
    "missing-key": ("x", replace("'fortran_order': False, ", ""), {}),
    "extra-key": ("x", replace("}}", "'extra': 1, }}"), {}),
    "repeated-key": ("x", replace("{{", "{{'descr': '<f8', "), {}),
    "fortran-int": ("x", replace("False", "0"), {}),
    "descr-unquoted": ("x", replace("'{d}'", "{d}"), {}),
    "escape": ("x", replace("'<", "'\\x3c"), {}),
    "unterminated": ("x", lambda d, s, dims: f"{{'descr': '{d}", {}),
    "nul": ("x", replace(", 'shape'", ",\0'shape'"), {}),
    "shape-list": ("x", replace("{s}", "[{dims}]"), {}),
    "shape-negative": ("x", replace("(", "(-"), {}),
    "shape-overflow": ("x", replace("(", "(" + "9" * 20), {}),
    "shape-leading-zero": ("x", replace("(", "(0"), {}),
    "shape-underscore": ("x", replace("(", "(1_"), {}),
    "version-minor": ("x", same, {"version": (1, 1)}),
    "version-4": ("x", same, {"version": (4, 0)}),
    "too-long": ("x", lambda d, s, dims: standard(d, s) + " " * 10000, {}),
    "truncated-header": ("x", same, {"length": 4000}),
    "shape-int": ("idx", replace("{s}", "{dims}"), {}),
    "one-tuple": ("idx", replace("{s}", "({dims})"), {}),
}


def write(path, array, text, version=(1, 0), pad=True, length=None):
    """A .npy file of array's data under the header dict `text`, padded as
    NumPy pads (pad True), ended by '\\n' alone (None) or by spaces without
    a '\\n' (False); `length` overrides the header length field and then
    leaves the data out."""
    length_bytes = 2 if version[0] == 1 else 4
    header = text.encode("latin1")
    if pad:  # NumPy's padding: spaces and '\n' to a multiple of 64 bytes
        header += b" " * (-(8 + length_bytes + len(header) + 1) % 64) + b"\n"
    elif pad is None:
        header += b"\n"
    else:
        header += b" " * 16
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY" + bytes(version))
        f.write((len(header) if length is None else length).to_bytes(
            length_bytes, "little"))
        f.write(header)
        if length is None:
            f.write(array.tobytes())


in_dir, out_root = sys.argv[1], sys.argv[2]
for kind, (name, text, options) in KINDS.items():
    folder = os.path.join(out_root, kind)
    shutil.copytree(in_dir, folder)
    path = os.path.join(folder, name + ".npy")
    array = np.load(path)
    descr = np.lib.format.dtype_to_descr(array.dtype)
    dims = ", ".join(str(d) for d in array.shape)
    write(path, array, text(descr, repr(array.shape), dims), **options)
