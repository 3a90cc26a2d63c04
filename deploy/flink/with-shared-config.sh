#!/usr/bin/env bash
# The compose stack's Flink entrypoint: hands config.yaml beside this script (deploy/flink/config.yaml, the settings
# every deployment shares) to the Flink image's own entrypoint as FLINK_PROPERTIES, comments and blank lines dropped,
# followed by the container's own FLINK_PROPERTIES (which win where both set a key), and runs it with the command.
set -euo pipefail
shared="$(grep -Ev '^[[:space:]]*(#|$)' "$(dirname "$0")/config.yaml")"
export FLINK_PROPERTIES="${shared}"$'\n'"${FLINK_PROPERTIES:-}"
exec /docker-entrypoint.sh "$@"
