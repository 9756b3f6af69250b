#!/usr/bin/env python3
"""Fails when a file of one layer includes a header of a layer it may not use.

    python3 scripts/check_layering.py [ROOT]

Every build runs it (the `optgraph-check-layering` target), so a layering
leak fails the build, not a review. A file's layer is the folder under
include/optgraph/ or lib/ it lives in; LAYERS says which layers each one may
include (its own always). tools/ and test/ may include anything.
"""

import os
import re
import sys

# layer: the layers below it that it may include.
LAYERS = {
    "Runtime": set(),                       # plain C++: no MLIR, no LLVM
    "Utils": set(),
    "Dialect/Optim/IR": set(),
    "Dialect/Optim/Transforms": {"Dialect/Optim/IR", "Utils"},
    "Transforms": {"Utils"},
    # Runtime: the emulated driver's calling contract (a C header).
    "Conversion": {"Dialect/Optim/IR", "Utils", "Runtime"},
    "Pipelines": {"Dialect/Optim/IR", "Dialect/Optim/Transforms",
                  "Transforms", "Conversion", "Utils"},
    "Target": {"Pipelines", "Dialect/Optim/IR", "Dialect/Optim/Transforms",
               "Transforms", "Conversion", "Utils", "Runtime"},
    "CAPI": {"Pipelines", "Dialect/Optim/IR"},
    "Plugin": {"Pipelines"},
}
# Files outside a layer folder.
FILES = {"InitAll.h": "Pipelines", "InitAll.cpp": "Pipelines"}

INCLUDE = re.compile(r'^\s*(?:#\s*include|include)\s+"optgraph/([^"]+)"')


def layer_of(relative):
    """The layer of a path relative to include/optgraph or lib."""
    if relative in FILES:
        return FILES[relative]
    for layer in sorted(LAYERS, key=len, reverse=True):
        if relative.startswith(layer + "/"):
            return layer
    return None


def check(root):
    problems = []
    for top in ("include/optgraph", "lib"):
        base = os.path.join(root, top)
        for folder, _, files in os.walk(base):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp", ".td")):
                    continue
                path = os.path.join(folder, name)
                layer = layer_of(os.path.relpath(path, base))
                if layer is None:
                    problems.append(f"{os.path.relpath(path, root)}: error: "
                                    "not in any layer (scripts/check_layering.py)")
                    continue
                allowed = LAYERS[layer] | {layer}
                with open(path, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        used = layer_of(m.group(1))
                        if used not in allowed:
                            problems.append(
                                f"{os.path.relpath(path, root)}:{number}: "
                                f"error: layer {layer} may not include "
                                f"'optgraph/{m.group(1)}' (layer {used})")
    return problems


def main(argv):
    root = argv[1] if len(argv) > 1 else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    problems = check(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
