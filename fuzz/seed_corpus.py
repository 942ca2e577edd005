#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets from the committed vectors.

Usage: python3 fuzz/seed_corpus.py OUT_DIR   (creates OUT_DIR/<target>/...)

The committed corpus (fuzz/corpus/) is these seeds after fuzzing and
`cargo fuzz cmin`; rerun this only to rebuild it from scratch.
"""
import base64, glob, hashlib, json, os, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def b64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def text(s):
    b = s.encode()
    return head(3, len(b)) + b


def cset(allow_unknown, args):
    out = bytes([0x82, 0xF5 if allow_unknown else 0xF4]) + head(5, len(args))
    for name in sorted(args, key=lambda k: (len(k.encode()), k.encode())):
        out += text(name) + args[name]
    return out


seeds = {t: set() for t in ["chain_decode", "authorize_bytes", "pop_verify",
                            "constraint_set", "value_decode", "path_url_eval"]}
for path in sorted(glob.glob(os.path.join(ROOT, "vectors", "*", "*.json"))):
    v = json.load(open(path))
    args = b64(v["call"]["args_cbor_b64"])
    seeds["value_decode"].add(args)
    seeds["value_decode"].add(b64(v["call"]["context_b64"]))
    if v.get("chain_b64"):
        chain = b64(v["chain_b64"])
        seeds["chain_decode"].add(chain)
        seeds["authorize_bytes"].add(chain)
    if v.get("revocation_b64"):
        seeds["chain_decode"].add(b64(v["revocation_b64"]))
    if v.get("pop_b64"):
        pop = b64(v["pop_b64"])
        seeds["pop_verify"].add(pop)
        seeds["pop_verify"].add(bytes([len(pop)]) + pop + args)
        seeds["authorize_bytes"].add(pop)
    for link in (v.get("computed") or {}).get("links") or []:
        for tool, ts in link["tools"].items():
            cs = {name: bytes.fromhex(a["cbor_hex"]) for name, a in ts["args"].items()}
            body = cset(ts["allow_unknown"], cs)
            seeds["constraint_set"].add(b"\x00" + body)
            seeds["constraint_set"].add(bytes([len(args)]) + body + args)
            for name, a in ts["args"].items():
                c = bytes.fromhex(a["cbor_hex"])
                seeds["constraint_set"].add(b"\x00" + c)
                for k in ("root", "glob"):
                    if k in a:
                        for val in v["call"]["args_json"].values():
                            if isinstance(val, str):
                                seeds["path_url_eval"].add(a[k].encode() + b"\xff" + val.encode())
# Constraint types the vectors lack: unknown type id, allow_unknown, ranges
# with float / exclusive bounds.
seeds["constraint_set"].add(b"\x00" + cset(True, {"x": bytes([0x82, 0x18, 0x63, 0x01])}))
seeds["constraint_set"].add(b"\x00" + cset(False, {"a": bytes.fromhex("8303f9c000f4f93e00f5")}))
seeds["value_decode"].update([
    bytes.fromhex("f93e00"), bytes.fromhex("fb3ff199999999999a"), bytes.fromhex("3bffffffffffffffff"),
    bytes.fromhex("a2616101616282f6f5"), bytes.fromhex("8181818180"), bytes.fromhex("43010203"),
])
seeds["path_url_eval"].update([
    b"/data\xff/data/in/../x", b"/\xff/../etc/passwd", b"/data\xff/database",
    b"logs-**\xfflogs-2024-06", b"[!a-c]?\\*\xffd/*", b"https://*.example.com/**\xffhttps://a.example.com/x",
    b"/home/user/.config\xff/home/user/.config/./x/..",
])

out = sys.argv[1]
for t, items in seeds.items():
    d = os.path.join(out, t)
    os.makedirs(d, exist_ok=True)
    for s in items:
        open(os.path.join(d, hashlib.sha1(s).hexdigest()), "wb").write(s)
    print(t, len(items))
