#!/usr/bin/env bash
# Keeps a reused Cargo target directory bounded: every build with changed code links new test
# and binary executables under new hashes, and the old ones (hundreds of MB each) are never
# read again. Deletes, in <target>/*/deps, every executable but the newest of each name.
# Never fails the caller: a cache that cannot be pruned is only a bigger cache.
set -u
target="${1:-${CARGO_TARGET_DIR:-target}}"
python3 - "$target" <<'PY' || true
import collections, os, sys
root = sys.argv[1]
freed = 0
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
print(f"prune-cache: {freed / 1e9:.1f} GB of stale executables removed from {root}", file=sys.stderr)
PY
