#!/usr/bin/env bash
# Supply-chain checks, offline except for crates.io: cargo-deny's advisories (against the
# vendored RustSec snapshot), licences, sources and bans for both Cargo workspaces, and
# `npm audit --omit=dev` of every committed package-lock.json. See docs/supply-chain.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$REPO_ROOT"

CARGO_DENY_VERSION="${CARGO_DENY_VERSION:-0.20.2}"
SNAPSHOT="$REPO_ROOT/supply-chain/advisory-db"
# cargo-deny opens `<db-path>/<name>-<hash of the db url>`; this is the directory of its
# default URL (https://github.com/RustSec/advisory-db). cargo-deny names the path it looked
# for in its error, should a new version change the scheme.
DB_DIR="$DEAI_CACHE/advisory-dbs/advisory-db-3157b0e258782691"

# The pinned cargo-deny, built from crates.io with its own lockfile, unless that version is
# already in $DEAI_CACHE/bin.
if ! cargo-deny --version 2>/dev/null | grep -qx "cargo-deny $CARGO_DENY_VERSION"; then
  echo "installing cargo-deny $CARGO_DENY_VERSION into $DEAI_CACHE/bin" >&2
  cargo install --locked --quiet cargo-deny --version "$CARGO_DENY_VERSION" --root "$DEAI_CACHE"
fi

# cargo-deny reads the database from a git checkout (it takes the HEAD commit's time); build
# one from the vendored files whenever the snapshot changes.
snapshot_id="$(grep '^commit=' "$SNAPSHOT/SNAPSHOT" | cut -d= -f2)"
snapshot_date="$(grep '^date=' "$SNAPSHOT/SNAPSHOT" | cut -d= -f2)"
if [ "$(cat "$DB_DIR/.deai-snapshot" 2>/dev/null)" != "$snapshot_id" ]; then
  rm -rf "$DB_DIR"
  mkdir -p "$DB_DIR"
  cp -r "$SNAPSHOT/crates" "$DB_DIR/"
  git -C "$DB_DIR" init -q
  git -C "$DB_DIR" add crates
  GIT_AUTHOR_DATE="$snapshot_date" GIT_COMMITTER_DATE="$snapshot_date" \
    git -C "$DB_DIR" -c user.name=deai -c user.email=deai@localhost commit -q -m "advisory-db $snapshot_id"
  echo "$snapshot_id" >"$DB_DIR/.deai-snapshot"
fi
age_days=$(( ($(date +%s) - $(date -d "$snapshot_date" +%s)) / 86400 ))
echo "advisory database: RustSec snapshot $snapshot_id of $snapshot_date ($age_days days old)" >&2
if [ "$age_days" -gt 90 ]; then
  echo "warning: the advisory snapshot is over 90 days old; refresh it (docs/supply-chain.md)" >&2
fi

# Every registry dependency names a version (cargo-deny's wildcard lint cannot tell the
# workspace's own path dependencies from registry ones).
if git ls-files '*Cargo.toml' | xargs grep -nE '^[^#]*(=|version *=) *"\*"'; then
  echo "error: a dependency has the wildcard version \"*\"" >&2
  exit 1
fi

# cargo metadata reads every package of the lockfiles, for every platform: fetch them from
# crates.io first (no build script runs), so that cargo-deny itself runs with --offline.
deny() {
  cargo fetch --locked --quiet --manifest-path "$1/Cargo.toml"
  cargo deny --offline --locked --color never --manifest-path "$1/Cargo.toml" \
    --config "$REPO_ROOT/deny.toml" check "${@:2}" advisories bans licenses sources
}
deny "$REPO_ROOT"
# The contracts use a subset of the chain's crates: the chain's exceptions that do not apply
# to them are not stale there.
deny "$REPO_ROOT/wasm-contracts" -A advisory-not-detected -A license-not-encountered \
  -A license-exception-not-encountered

# npm: the registry's audit endpoint for every committed lockfile. Where the registry does
# not serve that endpoint (this workplace's mirror answers 405), say so and go on: the
# exception and what stands in for it are in docs/supply-chain.md. Found advisories fail.
for lock in $(git ls-files '*package-lock.json'); do
  dir="$(dirname "$lock")"
  echo "npm audit --omit=dev in $dir" >&2
  if out="$(cd "$dir" && npm audit --omit=dev --audit-level=low 2>&1)"; then
    echo "$out" >&2
  elif grep -qE "audit endpoint returned an error|ENOTFOUND|ECONNREFUSED|EAI_AGAIN|network" <<<"$out"; then
    echo "$out" | tail -3 >&2
    echo "warning: npm audit is unavailable from this registry; $lock is checked by its pins and integrity hashes only (docs/supply-chain.md)" >&2
  else
    echo "$out" >&2
    exit 1
  fi
done
echo "supply-chain checks passed" >&2
