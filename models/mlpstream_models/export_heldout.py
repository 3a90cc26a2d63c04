"""python3 -m mlpstream_models.export_heldout [--out data/digits-heldout.bin.gz]"""
from __future__ import annotations

import argparse
import os

from . import data
from .heldout import write_heldout


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=data.HELDOUT_PATH)
    args = ap.parse_args(argv)
    split = data.load_split()
    write_heldout(args.out, split.heldout_x, split.heldout_y)
    print(f"wrote {args.out}: {len(split.heldout_y)} held-out digits, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
