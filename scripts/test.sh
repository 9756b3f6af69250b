#!/usr/bin/env bash
# Set up and build, then run the whole test suite (lit + FileCheck).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
status=0
/usr/lib/llvm-22/bin/lit -sv build/test | tee build/lit.log || status=$?
passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' build/lit.log)
failed=$(sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' build/lit.log)
skipped=$(sed -n 's/^ *Unsupported *: *\([0-9]*\).*/\1/p' build/lit.log)
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit $status
