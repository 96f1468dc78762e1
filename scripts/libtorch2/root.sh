# Sourced by scripts/check-libtorch2.sh: make (or reuse) a Debian 13 (trixie) root with
# mmdebstrap, and run commands inside it.
#   make_root NAME COMPONENTS PACKAGES...   -> $cache/NAME, reused while its stamp matches
#   in_root NAME COMMAND...                 -> runs COMMAND in the root (own mount namespace)
# The stamp is the suite, mirror, components and package list: change any and the root is
# rebuilt from scratch, so a cached root never hides a missing package from a clean machine.

cache="${GGT_TRIXIE_CACHE:-/var/cache/ggtalker-trixie}"
mirror="${GGT_TRIXIE_MIRROR:-http://deb.debian.org/debian}"
suite=trixie

# make_root NAME COMPONENTS PACKAGE...   (a PACKAGE starting with / is a local .deb file)
make_root() {
  local name="$1" components="$2"; shift 2
  local names=() debs=() p
  for p in "$@"; do
    if [[ "$p" == /* ]]; then debs+=("$p"); else names+=("$p"); fi
  done
  local dir="$cache/$name" stamp
  stamp="$( { printf '%s\n' "$suite" "$mirror" "$components" "${names[@]}"
             if ((${#debs[@]})); then sha256sum "${debs[@]}" | cut -d' ' -f1; fi; } | sha256sum | cut -c1-16)"
  if [[ -f "$dir/.ggt-stamp" && "$(cat "$dir/.ggt-stamp")" == "$stamp" ]]; then
    echo "reusing the $suite root $dir (stamp $stamp)"
    return 0
  fi
  echo "creating the $suite root $dir: $*"
  $sudo mkdir -p "$cache"
  $sudo rm -rf "$dir.tmp" "$dir"
  # The apt variant: Essential packages, apt and what --include asks for; no Recommends.
  local args=(--variant=apt --components="$components" --include="$(IFS=,; echo "${names[*]}")"
              --aptopt='APT::Install-Recommends "false"' --aptopt='Acquire::Retries "3"')
  if ((${#debs[@]})); then
    # Local .deb files must be visible inside the root at the same path: mmdebstrap's own hook.
    args+=(--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount)
    for p in "${debs[@]}"; do args+=(--include="$p"); done
  fi
  $sudo mmdebstrap "${args[@]}" "$suite" "$dir.tmp" "$mirror"
  echo "$stamp" | $sudo tee "$dir.tmp/.ggt-stamp" >/dev/null
  $sudo mv "$dir.tmp" "$dir"
}

# in_root NAME COMMAND...: a private mount namespace, so /proc, /sys and /dev go away with it
# even when the command fails or is interrupted.
in_root() {
  local dir="$cache/$1"; shift
  $sudo unshare --mount --propagation private -- /bin/bash -c '
    set -e
    dir="$1"; shift
    mount -t proc proc "$dir/proc"
    mount --rbind /sys "$dir/sys"
    mount --rbind /dev "$dir/dev"
    mount -t tmpfs tmpfs "$dir/tmp"
    exec chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
      LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
  ' in_root "$dir" "$@"
}
