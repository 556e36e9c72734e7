#!/usr/bin/env bash
# Keeps a reused Cargo target directory bounded: every build with changed code links new test
# and binary executables under new hashes, and the old ones (hundreds of MB each) are never
# read again. Deletes, in <target>/*/deps, every executable but the newest of each name.
# A change to a crate's dependencies gives all of its executables new hashes, so a build can
# link a second full set (~33 GB of e2e test binaries) beside the first: when the disk has
# less free space than the kept executables plus 10 GB, it deletes them all (cargo relinks
# what it runs; the libraries stay cached). DEAI_PRUNE_MARGIN_GB sets the 10.
# Never fails the caller: a cache that cannot be pruned is only a bigger cache.
set -u
target="${1:-${CARGO_TARGET_DIR:-target}}"
python3 - "$target" <<'PY' || true
import collections, os, sys
root = sys.argv[1]
freed = 0
kept = []
for profile in ("debug", "release"):
    deps = os.path.join(root, profile, "deps")
    if not os.path.isdir(deps):
        continue
    groups = collections.defaultdict(list)
    for f in os.listdir(deps):
        p = os.path.join(deps, f)
        # Executables are named <crate>-<hash>, without an extension.
        if "." in f or "-" not in f or not os.path.isfile(p) or not os.access(p, os.X_OK):
            continue
        groups[f.rsplit("-", 1)[0]].append((os.path.getmtime(p), p))
    for name, files in groups.items():
        files.sort()
        for _, p in files[:-1]:
            try:
                freed += os.path.getsize(p)
                os.remove(p)
            except OSError:
                pass
        kept.append(files[-1][1])
try:
    kept_bytes = sum(os.path.getsize(p) for p in kept)
    free = os.statvfs(root).f_bavail * os.statvfs(root).f_frsize if os.path.isdir(root) else None
except OSError:
    kept_bytes, free = 0, None
margin = float(os.environ.get("DEAI_PRUNE_MARGIN_GB", "10")) * 1e9
if free is not None and free < kept_bytes + margin:
    for p in kept:
        try:
            freed += os.path.getsize(p)
            os.remove(p)
        except OSError:
            pass
    print(f"prune-cache: {free / 1e9:.1f} GB free, under the {kept_bytes / 1e9:.1f} GB of executables plus {margin / 1e9:.0f} GB: removed them all", file=sys.stderr)
print(f"prune-cache: {freed / 1e9:.1f} GB of stale executables removed from {root}", file=sys.stderr)
PY
