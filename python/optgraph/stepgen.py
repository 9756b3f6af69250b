"""Write an optimizer step function (MLIR) from a JSON parameter list.

The JSON format (docs/ParameterList.md has the whole description)::

    {
      "defaults": {"lr": 1e-3, "rank": 128, "interval": 200, ...},
      "params": [
        {"name": "layers.0.attn.wq", "shape": [512, 512]},
        {"name": "layers.0.norm.weight", "shape": [512]},
        {"name": "embed", "shape": [32000, 512], "rule": "adamw"}
      ]
    }

Usage: python -m optgraph.stepgen model.json -o step.mlir [--init-state DIR]
"""

import argparse
import collections
import functools
import json
import math
import os
import re
import sys

import numpy as np

from . import _files, reference

HYPER = ("lr", "beta1", "beta2", "eps", "weight_decay")
DEFAULTS = dict(reference.DEFAULTS, rank=128, rule="auto",
                full_rank_threshold=32000)
KNOWN = set(DEFAULTS) | {"name", "shape"}
# The step's own inputs: the step counter and the learning-rate schedule's
# factor for this step (every parameter's lr is multiplied by it).
RESERVED = {"step", "lr_scale"}
# Names become file names (NAME.npy): the portable set optgraph-compile
# accepts.
NAME = re.compile(r"[A-Za-z0-9_.-]+")

# The limits of the dialect's verifiers (lib/Dialect/Optim/IR/OptimOps.cpp):
# a parameter list that passes these checks gives IR that verifies.
MAX_DIM = 2**31 - 1         # every tensor dimension fits in an int32
MAX_ELEMENTS = 2**40        # elements of one tensor
MAX_BASIS = 2**20           # a low-rank parameter's N×N basis is a tensor too
MAX_I64 = 2**63 - 1         # interval is an i64 attribute


class SpecError(ValueError):
    pass


def _same(value, choice):
    """value is choice, as JSON sees it: true is not 1, nor 1.0 the norm 1."""
    return isinstance(value, type(choice)) and value == choice and \
        isinstance(value, bool) == isinstance(choice, bool)


def _choice(*choices):
    text = [c if isinstance(c, str) else json.dumps(c) for c in choices]
    return (lambda v: any(_same(v, c) for c in choices),
            ", ".join(text[:-1]) + " or " + text[-1])


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(most=None):
    if most is None:
        return lambda v: _is_int(v) and v >= 1, "a positive integer"
    return lambda v: _is_int(v) and 1 <= v <= most, f"an integer in 1..{most}"


def _real(test, what):
    """A finite number (an int, too large for a double, is not) passing test."""
    def check(v):
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return False
        try:
            return math.isfinite(v) and test(v)
        except OverflowError:
            return False
    return check, what


# option: (check, what it must be)
OPTIONS = {
    "rule": _choice("auto", "lowrank", "adamw"),
    "full_rank_threshold": _integer(),
    "lr": _real(lambda x: x >= 0, "a finite number >= 0"),
    "beta1": _real(lambda x: 0 <= x < 1, "a number in [0, 1)"),
    "beta2": _real(lambda x: 0 <= x < 1, "a number in [0, 1)"),
    "eps": _real(lambda x: x >= 0, "a finite number >= 0"),
    "weight_decay": _real(lambda x: x >= 0, "a finite number >= 0"),
    "scale": _real(lambda x: True, "a finite number"),
    "rank": _integer(),     # and at most the basis size, per parameter
    "interval": _integer(MAX_I64),
    "rotate": _choice(True, False),
    "basis": _choice("dct2", "dct3"),
    "norm": _choice(1, 2),
    "side": _choice("auto", "left", "right"),
}


def _describe(value):
    """A short one-line rendering of a JSON value for a message; nested
    arrays and objects only by their kind (they may be deep)."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        if any(isinstance(v, (dict, list)) for v in value):
            return "an array"
        text = "[" + ", ".join(map(_describe, value)) + "]"
    else:
        text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_options(where, options):
    for key, value in options.items():
        if key not in OPTIONS:      # name and shape: checked per parameter
            continue
        check, what = OPTIONS[key]
        if not check(value):
            raise SpecError(f"{where}: '{key}' must be {what}, "
                            f"got {_describe(value)}")


def _check_shape(where, shape):
    if not isinstance(shape, list) or not 1 <= len(shape) <= 2 or \
            not all(_is_int(d) and 1 <= d <= MAX_DIM for d in shape):
        raise SpecError(f"{where}: 'shape' must be a list of 1 or 2 integers "
                        f"in 1..{MAX_DIM}, got {_describe(shape)}")
    if math.prod(shape) > MAX_ELEMENTS:
        raise SpecError(f"{where}: 'shape' {_describe(shape)} has "
                        f"{math.prod(shape)} elements, more than 2^40")


def _tensor(shape, dtype="f32"):
    dims = "x".join(str(d) for d in shape)
    return f"tensor<{dims}x{dtype}>" if shape else f"tensor<{dtype}>"


def _float(x):
    """The shortest text that reads back as x, in MLIR's float syntax."""
    text = repr(float(x))
    if "e" in text and "." not in text.split("e")[0]:
        text = text.replace("e", ".0e")
    elif "." not in text and "e" not in text:
        text += ".0"
    return f"{text} : f64"


def _argument_names(p):
    return [p["name"], f"{p['name']}.grad"] + \
        [f"{p['name']}.{suffix}" for suffix, _, _ in state_tensors(p)]


def resolve(spec):
    """The list of parameters with every option resolved and checked."""
    if not isinstance(spec, dict) or not isinstance(spec.get("params"), list):
        raise SpecError("the parameter list must be an object with a 'params' array")
    unknown = set(spec) - {"defaults", "params"}
    if unknown:
        raise SpecError(f"unknown key(s) {sorted(unknown)}")
    given = spec.get("defaults", {})
    if not isinstance(given, dict):
        raise SpecError(f"'defaults' must be an object, got {_describe(given)}")
    unknown = set(given) - KNOWN
    if unknown:
        raise SpecError(f"defaults: unknown option(s) {sorted(unknown)}")
    _check_options("defaults", given)
    defaults = dict(DEFAULTS, **given)
    owners = {}     # argument name: the parameter it belongs to
    params = []
    for i, entry in enumerate(spec["params"]):
        where = f"params[{i}]"
        if not isinstance(entry, dict):
            raise SpecError(f"{where}: must be an object")
        unknown = set(entry) - KNOWN
        if unknown:
            raise SpecError(f"{where}: unknown option(s) {sorted(unknown)}")
        p = dict(defaults, **entry)
        name, shape = p.get("name"), p.get("shape")
        if not isinstance(name, str) or not NAME.fullmatch(name) or \
                name.startswith("."):
            raise SpecError(f"{where}: 'name' must be a non-empty string of "
                            "letters, digits, '_', '.' and '-'")
        where = f"param '{name}'"
        _check_options(where, entry)
        if name in RESERVED:
            raise SpecError(f"{where}: the name is reserved for the step's own inputs")
        if owners.get(name) == name:
            raise SpecError(f"{where}: duplicate name")
        _check_shape(where, shape)
        rule = p["rule"]
        if rule == "auto":
            full = len(shape) == 1 or max(shape) >= p["full_rank_threshold"]
            rule = "adamw" if full else "lowrank"
        p["rule"] = rule
        if rule == "lowrank":
            if len(shape) != 2:
                raise SpecError(f"{where}: the low-rank rule needs a 2-D shape")
            side = reference.resolve_side(tuple(shape), p["side"])
            n_basis = shape[1] if side == "right" else shape[0]
            if n_basis > MAX_BASIS:
                raise SpecError(f"{where}: the low-rank rule's {side} side has "
                                f"{n_basis} basis vectors, more than 2^20 (its "
                                "square basis would exceed 2^40 elements)")
            if p["rank"] > n_basis:
                # A default rank shrinks to small layers; an explicit one must fit.
                if "rank" in entry:
                    raise SpecError(f"{where}: rank {p['rank']} exceeds the "
                                    f"{n_basis} basis vectors of its side")
                p["rank"] = n_basis
        # Every argument name becomes a file name next to the others'.
        for argument in _argument_names(p):
            if argument in owners:
                raise SpecError(f"{where}: the argument name '{argument}' is "
                                f"taken by param '{owners[argument]}'")
            owners[argument] = name
        params.append(p)
    return params


def state_tensors(p):
    """(suffix, shape, dtype) of each state tensor of a resolved parameter."""
    shape = tuple(p["shape"])
    if p["rule"] == "adamw":
        return [("exp_avg", shape, "f32"), ("exp_avg_sq", shape, "f32")]
    moments = reference.moment_shape(shape, p["side"], p["rank"])
    return [("exp_avg", moments, "f32"), ("exp_avg_sq", moments, "f32"),
            ("subspace", (p["rank"],), "i64")]


def generate(spec, func_name="step"):
    """The MLIR text of the step function."""
    params = resolve(spec)
    args, results, body, returns = [], [], [], []
    for i, p in enumerate(params):
        name, shape = p["name"], tuple(p["shape"])
        wt = _tensor(shape)
        args.append(f'%w{i}: {wt} {{optim.name = "{name}", optim.role = "param"}}')
        args.append(f'%g{i}: {wt} {{optim.name = "{name}.grad", optim.role = "grad"}}')
        states = state_tensors(p)
        for suffix, sshape, dtype in states:
            args.append(f'%{suffix}{i}: {_tensor(sshape, dtype)} '
                        f'{{optim.name = "{name}.{suffix}", optim.role = "state"}}')
        attrs = [f"{k} = {_float(p[k])}" for k in HYPER]
        if p["rule"] == "adamw":
            body.append(f"  %r{i}:3 = optim.adamw %w{i}, %g{i}, %exp_avg{i}, "
                        f"%exp_avg_sq{i}, %t lr_scale %s {{{', '.join(attrs)}}} : {wt}")
            outs = [(name, wt), (f"{name}.exp_avg", wt), (f"{name}.exp_avg_sq", wt)]
        else:
            mt = _tensor(states[0][1])
            it = _tensor(states[2][1], "i64")
            attrs += [f"scale = {_float(p['scale'])}",
                      f"interval = {p['interval']} : i64",
                      f"rotate = {'true' if p['rotate'] else 'false'}",
                      f"basis = #optim<basis {p['basis']}>",
                      f"norm = #optim<norm l{p['norm']}>",
                      f"side = #optim<side {p['side']}>"]
            body.append(f"  %r{i}:4 = optim.lowrank_adamw %w{i}, %g{i}, %exp_avg{i}, "
                        f"%exp_avg_sq{i}, %subspace{i}, %t lr_scale %s "
                        f"{{{', '.join(attrs)}}} "
                        f": {wt}, {mt}, {it}")
            outs = [(name, wt), (f"{name}.exp_avg", mt), (f"{name}.exp_avg_sq", mt),
                    (f"{name}.subspace", it)]
        for k, (oname, otype) in enumerate(outs):
            results.append(f'{otype} {{optim.name = "{oname}"}}')
            returns.append((f"%r{i}#{k}", otype))
    args.append('%step: tensor<i64> {optim.name = "step", optim.role = "step"}')
    args.append('%lr_scale: tensor<f32> {optim.name = "lr_scale", optim.role = "hyper"}')
    results.append('tensor<i64> {optim.name = "step"}')
    returns.append(("%next", "tensor<i64>"))
    lines = ["// Generated by optgraph.stepgen: one optimizer step.",
             f"func.func @{func_name}(",
             "    " + ",\n    ".join(args) + ")",
             "    -> (" + ",\n        ".join(results) + ") {",
             "  // t: the 1-based index of this step; `step` counts steps taken.",
             "  %done = tensor.extract %step[] : tensor<i64>",
             "  %one = arith.constant 1 : i64",
             "  %t = arith.addi %done, %one : i64",
             "  // The learning-rate schedule's factor for this step.",
             "  %s = tensor.extract %lr_scale[] : tensor<f32>"]
    lines += body
    lines.append("  %next = tensor.from_elements %t : tensor<i64>")
    lines.append("  return " + ", ".join(v for v, _ in returns) + "\n    : " +
                 ", ".join(t for _, t in returns))
    lines.append("}")
    return "\n".join(lines) + "\n"


def initial_state(spec):
    """{file stem: array} for the state before the first step, with the
    schedule factor lr_scale = 1."""
    state = {"step": np.array(0, dtype=np.int64),
             "lr_scale": np.array(1.0, dtype=np.float32)}
    for p in resolve(spec):
        for suffix, shape, dtype in state_tensors(p):
            key = f"{p['name']}.{suffix}"
            state[key] = np.arange(shape[0], dtype=np.int64) if dtype == "i64" \
                else np.zeros(shape, np.float32)
    return state


def load(path):
    """The parameter list in the JSON file at path: strict JSON (no NaN or
    Infinity, no key given twice), UTF-8."""
    def constant(text):
        raise SpecError(f"{text} is not a JSON number")

    def strict_object(pairs):
        counts = collections.Counter(key for key, _ in pairs)
        twice = sorted(key for key, n in counts.items() if n > 1)
        if twice:
            raise SpecError(f"key(s) {twice} given twice in an object")
        return dict(pairs)

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise SpecError(e.strerror) from e
    try:
        return json.loads(data.decode("utf-8"), parse_constant=constant,
                          object_pairs_hook=strict_object)
    except UnicodeDecodeError as e:
        raise SpecError(f"not UTF-8 (at byte offset {e.start})") from e
    except RecursionError as e:
        raise SpecError("nested too deeply") from e
    except ValueError as e:     # bad syntax; an integer of too many digits
        raise SpecError(str(e)) from e


def _write_npy(f, array):
    """np.save, but the data goes through f.write: np.save's ndarray.tofile
    reports a failed write without its errno ("File too large", "No space
    left on device")."""
    fmt = np.lib.format
    fmt.write_array_header_1_0(f, fmt.header_data_from_array_1_0(array))
    f.write(array.data)


def _error(where, message):
    print(f"optgraph.stepgen: error: {where}: {message}", file=sys.stderr)
    return 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m optgraph.stepgen",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("params", help="parameter list (JSON)")
    parser.add_argument("-o", "--output", required=True, help="step.mlir to write")
    parser.add_argument("--init-state", metavar="DIR",
                        help="also write the zero state (and step = 0) as .npy")
    args = parser.parse_args(argv)
    try:
        spec = load(args.params)
        text = generate(spec)
    except SpecError as e:
        return _error(args.params, e)
    # Everything is checked and computed before the first file is written,
    # and the outputs appear together or not at all.
    files, folders = [], []
    if args.init_state:
        try:
            state = initial_state(spec)
        except MemoryError:
            size = sum(math.prod(shape) * {"f32": 4, "i64": 8}[dtype]
                       for p in resolve(spec)
                       for _, shape, dtype in state_tensors(p))
            return _error(args.init_state, f"the initial state ({size} bytes) "
                          "does not fit in memory")
        folders.append(args.init_state)
        for key, value in state.items():
            path = os.path.join(args.init_state, key + ".npy")
            files.append((path, functools.partial(_write_npy, array=value)))
    files.append((args.output, lambda f: f.write(text.encode())))
    try:
        _files.write_files(files, folders)
    except OSError as e:
        return _error(e.filename, e.strerror)
    return 0


if __name__ == "__main__":
    sys.exit(main())
