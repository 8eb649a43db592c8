#!/usr/bin/env bash
# Provisions Node.js 18 for arm64 from Debian's packages into .cache/arm64-node/root,
# to run under qemu-aarch64-static (see node.sh). Idempotent: exits at once when a
# previous run finished. Needs qemu-user-static (apt) and network access to the apt
# mirrors the host already uses.
#
# The host is left alone: no `dpkg --add-architecture`, nothing installed. apt runs
# on a private configuration (APT_CONFIG) whose only architecture is arm64, with its
# own package lists, cache and an empty dpkg status, so "install nodejs" resolves the
# whole dependency closure; the .debs are fetched with `apt-get download` and
# unpacked with `dpkg -x`. Works without root.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
base="${ARM64_NODE_DIR:-$repo/.cache/arm64-node}"
root="$base/root"
stamp="$base/provisioned"

if [[ -f "$stamp" && -x "$root/usr/bin/node" ]]; then
  echo "arm64 Node already provisioned in $root ($(head -n1 "$stamp"))"
  exit 0
fi
command -v qemu-aarch64-static >/dev/null || {
  echo "provision.sh: qemu-aarch64-static is missing: apt-get install qemu-user-static" >&2
  exit 1
}

rm -rf "$base/apt" "$base/debs" "$root" "$stamp"
apt_dir="$base/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources" \
  "$apt_dir/preferences" "$base/debs" "$root"
touch "$apt_dir/status"
# The host's sources, so the same mirrors (and keys, via Signed-By) are used.
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [[ -f "$f" ]] && cp "$f" "$apt_dir/sources/$(basename "$f")"
done
if [[ -f "$apt_dir/sources/sources.list" ]]; then mv "$apt_dir/sources/sources.list" "$apt_dir/sources/host.list"; fi
cat > "$apt_dir/apt.conf" <<CONF
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
APT::Sandbox::User "root";
Dir::State "$apt_dir";
Dir::State::Lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::Cache "$apt_dir/cache";
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$apt_dir/sources";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$apt_dir/preferences";
CONF
if [[ "$(id -u)" != 0 ]]; then echo 'APT::Sandbox::User "'"$(id -un)"'";' >> "$apt_dir/apt.conf"; fi
export APT_CONFIG="$apt_dir/apt.conf"

echo "arm64 Node: apt-get update (private lists in $apt_dir)"
apt-get -qq update
# nodejs and everything it depends on, resolved against an empty system.
mapfile -t packages < <(apt-get -s --no-install-recommends install nodejs | awk '/^Inst /{print $2}')
[[ ${#packages[@]} -gt 0 ]] || { echo "provision.sh: apt resolved no packages for nodejs:arm64" >&2; exit 1; }
echo "arm64 Node: downloading ${#packages[@]} packages: ${packages[*]}"
(cd "$base/debs" && apt-get -qq download "${packages[@]}")
for deb in "$base"/debs/*.deb; do dpkg -x "$deb" "$root"; done

version="$(qemu-aarch64-static -L "$root" "$root/usr/bin/node" -p 'process.version + " " + process.arch')"
[[ "$version" == *" arm64" ]] || { echo "provision.sh: the unpacked node says '$version'" >&2; exit 1; }
{ echo "node $version"; printf '%s\n' "${packages[@]}"; } > "$stamp"
rm -rf "$base/debs" "$apt_dir/cache"
echo "arm64 Node $version ready in $root ($(du -sh "$root" | cut -f1))"
