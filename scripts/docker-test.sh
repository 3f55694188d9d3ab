#!/usr/bin/env bash
# `npm run test:docker`: builds the image, then runs tests/docker against it (PostgreSQL from TEST_DATABASE_URL,
# default postgres://postgres@127.0.0.1:5432/postgres, and the embedded PGlite in a volume). Too slow for every CI
# run, so not part of `npm test`.
#
# The image's base is DOCKER_BASE_IMAGE when set (node:20-bookworm-slim, for instance); otherwise the stand-in that
# scripts/docker-base.sh builds, once, for machines that reach no image registry.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! docker info >/dev/null 2>&1; then
  echo "Docker's daemon is not reachable. Start it (dockerd, or: systemctl start docker) and run this again." >&2
  exit 1
fi

started=$(date +%s)
base="${DOCKER_BASE_IMAGE:-palisade-node-standin:20-bookworm}"
if [ -z "${DOCKER_BASE_IMAGE:-}" ] && ! docker image inspect "$base" >/dev/null 2>&1; then
  scripts/docker-base.sh "$base"
fi

image=palisade:test
echo "--- docker build on $base"
build_started=$(date +%s)
docker build --build-arg BASE_IMAGE="$base" -t "$image" .
build_seconds=$(( $(date +%s) - build_started ))

echo "--- container tests"
status=0
PALISADE_TEST_IMAGE="$image" node_modules/.bin/vitest run --config tests/docker/vitest.config.ts || status=$?

echo
echo "Image $image: $(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=si --suffix=B), built in ${build_seconds} s"
echo "npm run test:docker took $(( $(date +%s) - started )) s"
exit "$status"
