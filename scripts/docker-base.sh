#!/usr/bin/env bash
# Builds a stand-in for the image's default base, node:20-bookworm-slim, on a machine that reaches no image
# registry but does reach a Debian mirror: a debootstrapped bookworm with this machine's Node.js and npm, laid out
# as the official image lays them out (/usr/local, a `node` user with uid 1000), imported with `docker import`.
#
#   scripts/docker-base.sh [TAG]        # default TAG: palisade-node-standin:20-bookworm
#   docker build --build-arg BASE_IMAGE=palisade-node-standin:20-bookworm -t palisade .
#
# Needs root, debootstrap and a running Docker daemon (apt-get install -y docker.io debootstrap). DEBIAN_MIRROR
# picks the mirror (default http://deb.debian.org/debian); the image's apt sources point at it, so `apt-get install`
# works inside. This machine's CA bundle is copied in and named by NODE_EXTRA_CA_CERTS, so npm inside trusts what
# npm on this machine trusts (a TLS-inspecting egress proxy's CA, for instance).
set -euo pipefail

tag="${1:-palisade-node-standin:20-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
node_bin="$(command -v node)"
npm_dir="$(npm root -g)/npm"

if [ "$(id -u)" -ne 0 ]; then echo "scripts/docker-base.sh: run it as root (debootstrap needs root)" >&2; exit 1; fi
for tool in debootstrap docker; do
  command -v "$tool" >/dev/null || { echo "scripts/docker-base.sh: $tool is missing (apt-get install -y docker.io debootstrap)" >&2; exit 1; }
done
if [ "$("$node_bin" -p 'process.versions.node.split(".")[0]')" != 20 ]; then
  echo "scripts/docker-base.sh: this machine's Node.js is $("$node_bin" -v); the stand-in must match the default base's Node.js 20" >&2
  exit 1
fi

rootfs="$(mktemp -d /var/tmp/palisade-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT

echo "--- debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null

echo "--- Node.js $("$node_bin" -v) and npm $(npm -v) from this machine"
install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"

# As in the official image: a `node` user and group, uid and gid 1000, with a home directory.
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
chroot "$rootfs" node --version >/dev/null

# Like the official slim image: no downloaded packages or package lists (apt-get update fetches them again).
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

echo "--- docker import $tag"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$("$node_bin" -p process.versions.node)" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
echo "Built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=iec))"
