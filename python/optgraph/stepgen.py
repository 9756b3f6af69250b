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
import json
import os
import sys

import numpy as np

from . import reference

HYPER = ("lr", "beta1", "beta2", "eps", "weight_decay")
LOWRANK = ("scale", "rank", "interval", "rotate", "basis", "norm", "side")
DEFAULTS = dict(reference.DEFAULTS, rank=128, rule="auto",
                full_rank_threshold=32000)
KNOWN = set(DEFAULTS) | {"name", "shape"}
# The step's own inputs: the step counter and the learning-rate schedule's
# factor for this step (every parameter's lr is multiplied by it).
RESERVED = {"step", "lr_scale"}


class SpecError(ValueError):
    pass


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


def resolve(spec):
    """The list of parameters with every option resolved and checked."""
    if not isinstance(spec, dict) or not isinstance(spec.get("params"), list):
        raise SpecError("the parameter list must be an object with a 'params' array")
    defaults = dict(DEFAULTS, **spec.get("defaults", {}))
    unknown = set(spec.get("defaults", {})) - KNOWN
    if unknown:
        raise SpecError(f"defaults: unknown option(s) {sorted(unknown)}")
    names = set()
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
        if not isinstance(name, str) or not name or name.startswith(".") or \
                any(not (c.isalnum() or c in "_.-") for c in name):
            raise SpecError(f"{where}: 'name' must be a non-empty string of "
                            "letters, digits, '_', '.' and '-'")
        where = f"param '{name}'"
        if name in RESERVED:
            raise SpecError(f"{where}: the name is reserved for the step's own inputs")
        if name in names:
            raise SpecError(f"{where}: duplicate name")
        names.add(name)
        if not isinstance(shape, list) or not shape or len(shape) > 2 or \
                any(not isinstance(d, int) or d < 1 for d in shape):
            raise SpecError(f"{where}: 'shape' must be a list of 1 or 2 positive integers")
        rule = p["rule"]
        if rule == "auto":
            full = len(shape) == 1 or max(shape) >= p["full_rank_threshold"]
            rule = "adamw" if full else "lowrank"
        if rule not in ("lowrank", "adamw"):
            raise SpecError(f"{where}: 'rule' must be auto, lowrank or adamw")
        if rule == "lowrank":
            if len(shape) != 2:
                raise SpecError(f"{where}: the low-rank rule needs a 2-D shape")
            side = reference.resolve_side(tuple(shape), p["side"]) \
                if p["side"] in ("auto", "left", "right") else None
            if side is None:
                raise SpecError(f"{where}: 'side' must be auto, left or right")
            n_basis = shape[1] if side == "right" else shape[0]
            rank = p["rank"]
            if not isinstance(rank, int) or rank < 1:
                raise SpecError(f"{where}: 'rank' must be a positive integer")
            if rank > n_basis:
                # A default rank shrinks to small layers; an explicit one must fit.
                if "rank" in entry:
                    raise SpecError(f"{where}: rank {rank} exceeds the {n_basis} "
                                    "basis vectors of its side")
                rank = n_basis
            p["rank"] = rank
            if p["basis"] not in ("dct2", "dct3"):
                raise SpecError(f"{where}: 'basis' must be dct2 or dct3")
            if p["norm"] not in (1, 2):
                raise SpecError(f"{where}: 'norm' must be 1 or 2")
            if not isinstance(p["interval"], int) or p["interval"] < 1:
                raise SpecError(f"{where}: 'interval' must be a positive integer")
        p["rule"] = rule
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m optgraph.stepgen",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("params", help="parameter list (JSON)")
    parser.add_argument("-o", "--output", required=True, help="step.mlir to write")
    parser.add_argument("--init-state", metavar="DIR",
                        help="also write the zero state (and step = 0) as .npy")
    args = parser.parse_args(argv)
    try:
        with open(args.params) as f:
            spec = json.load(f)
        text = generate(spec)
    except (OSError, json.JSONDecodeError, SpecError) as e:
        print(f"optgraph.stepgen: error: {args.params}: {e}", file=sys.stderr)
        return 1
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.output)
    if args.init_state:
        os.makedirs(args.init_state, exist_ok=True)
        for key, value in initial_state(spec).items():
            np.save(os.path.join(args.init_state, key + ".npy"), value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
