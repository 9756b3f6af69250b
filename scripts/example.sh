#!/usr/bin/env bash
# The main job on the bundled example: set up and build, write the step IR of
# a small transformer from its parameter list, compile it to a shared
# library, run three steps on random data through optgraph-run and compare
# every array with the numpy reference.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PYTHONPATH=python python3 -m optgraph.check examples/transformer.json \
  build/example --steps 3 --summary
echo "example: step IR, library and every step's .npy files are in build/example/"
