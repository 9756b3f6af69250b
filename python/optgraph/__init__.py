"""optgraph: compiled optimizer steps (Python side).

- ``optgraph.reference``: ALGORITHM.md in plain numpy.
- ``optgraph.stepgen``: step IR from a JSON parameter list.
- ``optgraph.runtime``: load and call a compiled step library with ctypes.
"""
