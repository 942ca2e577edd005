#!/usr/bin/env python3
"""Print the side-by-side table (Markdown) from Criterion's saved estimates.

Usage: python3 bench/compare/report.py [TARGET_DIR]
(default: bench/compare/target). Reads <target>/criterion/*/new/ and pairs
`warrants/<id>` with `tenuo/<id>`; ratios are warrants / tenuo, and each
median is also given as a multiple of `baseline/verify_strict_200B`.
"""

import json
import os
import sys


def load(target):
    root = os.path.join(target, "criterion")
    out = {}
    for name in sorted(os.listdir(root)):
        new = os.path.join(root, name, "new")
        try:
            with open(os.path.join(new, "benchmark.json")) as f:
                full_id = json.load(f)["full_id"]
            with open(os.path.join(new, "estimates.json")) as f:
                out[full_id] = json.load(f)["median"]["point_estimate"]
        except (OSError, KeyError, ValueError):
            continue
    return out


def fmt(ns):
    if ns is None:
        return "—"
    if ns < 1_000:
        return f"{ns:.1f} ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.2f} µs"
    return f"{ns / 1_000_000:.2f} ms"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "target")
    m = load(target)
    base = m.get("baseline/verify_strict_200B")
    if base is None:
        sys.exit("no baseline/verify_strict_200B estimate found")
    ids = []
    for full in m:
        side, _, rest = full.partition("/")
        if side in ("warrants", "tenuo") and rest not in ids:
            ids.append(rest)
    order = [
        "mint/", "grant/", "encode/", "decode/", "decode_verified/", "authorize/", "chain_verify/",
        "chain_verify_authorizer/", "authorize_cold/", "authorize_cold_bytes/",
        "constraint/",
    ]

    def key(i):
        for n, p in enumerate(order):
            if i.startswith(p):
                return (n, i)
        return (len(order), i)

    print(f"baseline/verify_strict_200B: {fmt(base)}\n")
    print("| id | warrants | tenuo | warrants / tenuo | warrants × baseline | tenuo × baseline |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for i in sorted(ids, key=key):
        w, t = m.get(f"warrants/{i}"), m.get(f"tenuo/{i}")
        ratio = f"{w / t:.2f}" if w and t else "—"
        wb = f"{w / base:.3f}" if w else "—"
        tb = f"{t / base:.3f}" if t else "—"
        print(f"| `{i}` | {fmt(w)} | {fmt(t)} | {ratio} | {wb} | {tb} |")


if __name__ == "__main__":
    main()
