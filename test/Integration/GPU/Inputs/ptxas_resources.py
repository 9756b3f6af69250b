"""Checks the registers and spills that ptxas reports for the kernels of a
module whose gpu.binary holds PTX (gpu-module-to-binary{format=isa}).

    python ptxas_resources.py MODULE.mlir ARCH PTXAS [MAX_REGISTERS]

Prints, per kernel, "KERNEL: N registers, S bytes spilled, T threads"
(sorted by name) and fails if a kernel with 1024 threads per block (the
top-k) uses more than MAX_REGISTERS (default 64: 64K registers per SM / 1024
threads; a launch above it fails with CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES,
which no emulator sees) or any kernel spills.
"""

import re
import subprocess
import sys
import tempfile


def ptx_of(text):
    """The PTX string of the module's gpu.object, MLIR-unescaped."""
    match = re.search(r'assembly = "((?:[^"\\]|\\.)*)"', text)
    if not match:
        sys.exit("ptxas_resources.py: no gpu.object with PTX in the module")
    escaped = match.group(1)
    return re.sub(r"\\([0-9A-Fa-f]{2})",
                  lambda m: chr(int(m.group(1), 16)), escaped).replace('\\"', '"').replace("\\\\", "\\")


def main():
    module, arch, ptxas = sys.argv[1:4]
    max_registers = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    ptx = ptx_of(open(module).read())
    threads = {name: int(x) * int(y) * int(z) for name, x, y, z in re.findall(
        r"\.entry (\w+)\([^{]*?\.maxntid (\d+), (\d+), (\d+)", ptx, re.S)}
    with tempfile.NamedTemporaryFile("w", suffix=".ptx") as f:
        f.write(ptx)
        f.flush()
        run = subprocess.run([ptxas, "-v", f"-arch={arch}", f.name, "-o",
                          "/dev/null"], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"ptxas_resources.py: ptxas failed:\n{run.stderr}")
    report = run.stderr
    ok = True
    kernel = None
    results = {}
    for line in report.splitlines():
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            kernel = m.group(1)
        m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m and kernel:
            results.setdefault(kernel, {})["spill"] = int(m.group(1)) + int(m.group(2))
        m = re.search(r"Used (\d+) registers", line)
        if m and kernel:
            results.setdefault(kernel, {})["registers"] = int(m.group(1))
    for name in sorted(results):
        r = results[name]
        print(f"{name}: {r['registers']} registers, {r.get('spill', 0)} bytes "
              f"spilled, {threads.get(name, 0)} threads")
        if r.get("spill", 0) or (threads.get(name, 0) >= 1024 and r["registers"] > max_registers):
            print(f"ptxas_resources.py: error: {name} exceeds its budget")
            ok = False
    if not results:
        sys.exit("ptxas_resources.py: ptxas reported no kernels")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
