#!/bin/sh
# Node.js 18 for arm64, emulated: the folder targets/arm64/provision.sh unpacked, run by
# qemu-aarch64-static with that folder as the library root (-L). Arguments go to node.
#   targets/arm64/node.sh targets/node/smoke.mjs
repo="$(cd "$(dirname "$0")/../.." && pwd)"
root="${ARM64_NODE_DIR:-$repo/.cache/arm64-node}/root"
if ! command -v qemu-aarch64-static >/dev/null; then
  echo "targets/arm64/node.sh: qemu-aarch64-static is missing: apt-get install qemu-user-static (.ci/run does)" >&2
  exit 127
fi
if [ ! -x "$root/usr/bin/node" ]; then
  echo "targets/arm64/node.sh: no arm64 Node in $root: run targets/arm64/provision.sh (.ci/run does)" >&2
  exit 127
fi
exec qemu-aarch64-static -L "$root" "$root/usr/bin/node" "$@"
