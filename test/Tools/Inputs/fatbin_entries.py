"""Lists the entries of the CUDA fatbin embedded in a step library.

    python fatbin_entries.py STEP.so

Prints "KIND sm_ARCH" per entry (elf: a cubin the driver loads as is; ptx:
assembly it compiles for its own GPU when no cubin fits). The layout is
that of CUDA's fatbinary tool: a 16-byte header (magic 0xBA55ED50, version,
header size, payload size), then entries, each a header (kind, header size,
payload size, ..., arch at offset 28) and its payload.
"""

import struct
import sys

MAGIC = 0xBA55ED50
KINDS = {1: "ptx", 2: "elf"}


def main():
    data = open(sys.argv[1], "rb").read()
    start = data.find(struct.pack("<I", MAGIC))
    if start < 0:
        sys.exit("fatbin_entries.py: no fatbin in the library")
    _, _, header_size, payload_size = struct.unpack_from("<IHHQ", data, start)
    position, end = start + header_size, start + header_size + payload_size
    while position < end:
        kind, _, entry_header, size = struct.unpack_from("<HHIQ", data, position)
        arch = struct.unpack_from("<I", data, position + 28)[0]
        print(f"{KINDS.get(kind, kind)} sm_{arch}")
        position += entry_header + size


if __name__ == "__main__":
    main()
