"""Runs a CUDA step library through optgraph.runtime on null buffers: with
no driver the step must fail before it touches them."""
import sys

from optgraph.runtime import Step

step = Step(sys.argv[1])
assert step.target == "cuda"
step.run_pointers([0] * (len(step.inputs) + len(step.outputs)))
