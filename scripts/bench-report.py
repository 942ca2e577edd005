#!/usr/bin/env python3
"""Summarize the `warrants` Criterion benchmarks as a markdown table.

Reads every `<criterion dir>/**/new/estimates.json` (median point estimate,
nanoseconds) and the `benchmark.json` next to it (the bench id), then prints
one row per bench: its median, its ratio to `baseline/verify_strict_200B`
(and, for mint and grant, to `baseline/sign_200B`), and the DESIGN.md §8
target it is held to, with PASS or MISS.

Usage:
    cargo bench -p warrants --bench authorize -- --warm-up-time 1 --measurement-time 3
    python3 scripts/bench-report.py [--criterion-dir target/criterion] [--strict]

`--strict` exits with status 1 when a target is missed or a targeted bench
is absent. Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

VERIFY = "baseline/verify_strict_200B"
SIGN = "baseline/sign_200B"

# Group order of the table (benches of other groups follow, sorted).
GROUP_ORDER = [
    "baseline",
    "mint",
    "grant",
    "encode",
    "decode",
    "authorize",
    "deny",
    "constraint",
    "parts",
]

# Row order inside a group: the order `benches/authorize.rs` runs them in.
# Benches not listed here follow, sorted.
BENCH_ORDER = [
    "baseline/sign_200B",
    "baseline/verify_strict_200B",
    "mint/root_2tools",
    "grant/child_1tool",
    "encode/chain_to_bytes_1link",
    "encode/payload",
    "decode/chain_1link",
    "decode/chain_3link",
    "decode/warrant",
    "decode/pop",
    "authorize/hot",
    "authorize/hot_bytes",
    "authorize/cold_depth1",
    "authorize/cold_bytes_depth1",
    "authorize/cold_bytes_depth3",
    "authorize/cold_bytes_depth8",
    "deny/invalid_pop_hot",
    "deny/invalid_pop_hot_bytes",
    "deny/unknown_tool_hot",
    "deny/unknown_tool_hot_bytes",
    "deny/missing_pop_bytes",
    "deny/oversize_chain_bytes",
    "constraint/exact",
    "constraint/one_of",
    "constraint/range",
    "constraint/pattern",
    "constraint/subpath",
    "constraint/wildcard",
    "constraint/set_mixed6",
    "parts/sha256_chain_1link",
    "parts/sha256_chain_8link",
    "parts/pop_message",
    "parts/verify_strict_pop",
    "parts/verify_strict_warrant",
    "parts/verify_batch_2",
    "parts/dalek_verifying_key_from_bytes",
    "parts/public_key_from_bytes",
    "parts/dalek_point_compress",
    "parts/payload_decode",
    "parts/subpath_check_1link",
    "parts/args_nesting_check",
]

# DESIGN.md §8 targets: bench id -> (kind, limit, label).
#   kind "verify": median / verify_strict_200B <= limit
#   kind "sign":   median / sign_200B <= limit
#   kind "lt_ns":  median < limit (ns)
#   kind "le_ns":  median <= limit (ns)
TARGETS: dict[str, tuple[str, float, str]] = {
    "authorize/hot": ("verify", 1.15, "hot <= 1.15x verify"),
    "authorize/hot_bytes": ("verify", 1.15, "hot <= 1.15x verify"),
    "authorize/cold_bytes_depth1": ("verify", 1.7, "cold 1-link <= 1.7x verify"),
    "deny/invalid_pop_hot": ("verify", 1.1, "invalid PoP <= 1.1x verify"),
    "deny/invalid_pop_hot_bytes": ("verify", 1.1, "invalid PoP <= 1.1x verify"),
    "deny/unknown_tool_hot": ("lt_ns", 1000.0, "cheap denial < 1 µs"),
    "deny/unknown_tool_hot_bytes": ("lt_ns", 1000.0, "cheap denial < 1 µs"),
    "deny/missing_pop_bytes": ("lt_ns", 1000.0, "cheap denial < 1 µs"),
    "deny/oversize_chain_bytes": ("lt_ns", 1000.0, "cheap denial < 1 µs"),
    "constraint/set_mixed6": ("le_ns", 2000.0, "6 mixed <= 2 µs"),
    "decode/warrant": ("le_ns", 3000.0, "1-link decode <= 3 µs"),
    "decode/chain_1link": ("le_ns", 3000.0, "1-link decode <= 3 µs"),
    "mint/root_2tools": ("sign", 1.2, "mint <= 1.2x sign"),
}


def default_criterion_dir() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        return Path(target) / "criterion"
    return Path(__file__).resolve().parent.parent / "target" / "criterion"


def load(criterion_dir: Path) -> dict[str, dict[str, float]]:
    """Bench id -> {"median", "lo", "hi"} in nanoseconds."""
    out: dict[str, dict[str, float]] = {}
    for est_path in sorted(criterion_dir.glob("**/new/estimates.json")):
        new_dir = est_path.parent
        bench_id = None
        meta_path = new_dir / "benchmark.json"
        if meta_path.is_file():
            try:
                bench_id = json.loads(meta_path.read_text())["full_id"]
            except (OSError, ValueError, KeyError):
                bench_id = None
        if not bench_id:
            bench_id = new_dir.parent.relative_to(criterion_dir).as_posix()
        try:
            median = json.loads(est_path.read_text())["median"]
            out[bench_id] = {
                "median": float(median["point_estimate"]),
                "lo": float(median["confidence_interval"]["lower_bound"]),
                "hi": float(median["confidence_interval"]["upper_bound"]),
            }
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"warning: skipping {est_path}: {e}", file=sys.stderr)
    return out


def fmt_time(ns: float) -> str:
    if ns < 1_000:
        return f"{ns:.1f} ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.2f} µs"
    return f"{ns / 1_000_000:.2f} ms"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return ""
    if x < 0.001:
        return "<0.001x"
    return f"{x:.3f}x"


def natural_key(s: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def sort_key(bench_id: str) -> tuple:
    group, _, name = bench_id.partition("/")
    rank = GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER)
    pos = BENCH_ORDER.index(bench_id) if bench_id in BENCH_ORDER else len(BENCH_ORDER)
    return (rank, group, pos, natural_key(name))


def verdict(bench_id: str, median: float, base: dict[str, float | None]) -> tuple[str, str]:
    target = TARGETS.get(bench_id)
    if target is None:
        return "", ""
    kind, limit, label = target
    if kind in ("verify", "sign"):
        ref = base[kind]
        if ref is None:
            return label, "n/a (no baseline)"
        ok = median / ref <= limit
    elif kind == "lt_ns":
        ok = median < limit
    else:
        ok = median <= limit
    return label, "PASS" if ok else "**MISS**"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--criterion-dir", type=Path, default=default_criterion_dir())
    ap.add_argument("--strict", action="store_true", help="exit 1 on a MISS or a missing bench")
    ns = ap.parse_args()

    data = load(ns.criterion_dir)
    if not data:
        print(f"no Criterion results under {ns.criterion_dir}", file=sys.stderr)
        return 1
    base: dict[str, float | None] = {
        "verify": data[VERIFY]["median"] if VERIFY in data else None,
        "sign": data[SIGN]["median"] if SIGN in data else None,
    }

    print("| Bench | Median | 95% CI of median | × verify_strict | × sign | DESIGN §8 target | Result |")
    print("|---|---:|---:|---:|---:|---|---|")
    misses, passes = [], 0
    for bench_id in sorted(data, key=sort_key):
        d = data[bench_id]
        m = d["median"]
        rv = m / base["verify"] if base["verify"] else None
        group = bench_id.partition("/")[0]
        rs = m / base["sign"] if base["sign"] and group in ("baseline", "mint", "grant") else None
        label, result = verdict(bench_id, m, base)
        if result == "PASS":
            passes += 1
        elif result:
            misses.append(bench_id)
        ci = f"{fmt_time(d['lo'])} – {fmt_time(d['hi'])}"
        print(
            f"| `{bench_id}` | {fmt_time(m)} | {ci} | {fmt_ratio(rv)} | {fmt_ratio(rs)} "
            f"| {label} | {result} |"
        )

    absent = sorted(t for t in TARGETS if t not in data)
    print()
    print(f"Targets: {passes} PASS, {len(misses)} MISS" + (f" ({', '.join(misses)})" if misses else "") + ".")
    if absent:
        print(f"Targeted benches with no result: {', '.join(absent)}.")
    if base["verify"] is None or base["sign"] is None:
        print("Baseline missing: ratios are incomplete.")
    if ns.strict and (misses or absent):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
