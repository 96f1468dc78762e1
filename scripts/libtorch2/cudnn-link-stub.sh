#!/usr/bin/env bash
# Generates a link-only stand-in for cuDNN: one shared library per cuDNN soname that the
# installed CUDA LibTorch needs (libcudnn.so.9), defining exactly the cudnn* functions LibTorch
# imports, each of which prints a message and aborts. It lets the linker resolve libtorch_cuda's
# symbols and the dynamic loader load the addon on a machine without the real cuDNN, which
# trixie's nvidia-cudnn would download from NVIDIA at install time (not possible here).
# It is never a runnable cuDNN: the check only links and loads, no cuDNN function is called
# (loading calls none; any call would abort loudly instead of computing something wrong).
#   cudnn-link-stub.sh OUTDIR    (run where the CUDA LibTorch is installed)
set -euo pipefail
out="$1"
libdir="$(dirname "$(find /usr/lib -name 'libtorch_cuda.so' -print -quit)")"
[[ -d "$libdir" ]] || { echo "cudnn-link-stub: expected libtorch_cuda.so under /usr/lib, received none" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The LibTorch libraries that need cuDNN, and the cuDNN sonames they need.
needers=() sonames=()
for lib in "$libdir"/lib{torch,c10,caffe2}*.so; do
  [[ -f "$lib" ]] || continue
  names="$(readelf -d "$lib" | sed -n 's/.*NEEDED.*\[\(libcudnn[^]]*\)\].*/\1/p')"
  [[ -n "$names" ]] || continue
  needers+=("$lib")
  sonames+=($names)
done
((${#needers[@]})) || { echo "cudnn-link-stub: no LibTorch library needs cuDNN: nothing to stub"; exit 0; }
mapfile -t sonames < <(printf '%s\n' "${sonames[@]}" | sort -u)
# Undefined dynamic symbols named cudnn*: what those libraries import from cuDNN, with the
# symbol version they ask for (cuDNN 9 versions its symbols "libcudnn.so.9").
nm -D --undefined-only "${needers[@]}" 2>/dev/null | awk '{print $NF}' | grep -E '^cudnn' | sort -u >"$work/imports"
sed 's/@.*//' "$work/imports" | sort -u >"$work/symbols"
{
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  echo 'static int ggt_stub(const char* name) {'
  echo '  fprintf(stderr, "ggtalker cuDNN link stub: %s called; this is not a runnable cuDNN (install the real cuDNN 9)\n", name);'
  echo '  abort();'
  echo '}'
  while read -r sym; do echo "int $sym(void) { return ggt_stub(\"$sym\"); }"; done <"$work/symbols"
} >"$work/stub.c"
# A version script giving each function the version LibTorch binds it to (unversioned imports
# bind to whatever the library defines).
{
  for version in $(grep -o '@.*' "$work/imports" | tr -d '@' | sort -u); do
    echo "$version { global:"
    grep "@$version\$" "$work/imports" | sed 's/@.*/;/'
    echo "};"
  done
} >"$work/versions.map"
for soname in "${sonames[@]}"; do
  version_script=()
  [[ -s "$work/versions.map" ]] && version_script=(-Wl,--version-script="$work/versions.map")
  gcc -shared -fPIC -O1 -Wl,-soname,"$soname" "${version_script[@]}" -o "$out/$soname" "$work/stub.c"
  ln -sf "$soname" "$out/${soname%%.so*}.so"
done
echo "cuDNN link stub: ${sonames[*]} in $out, $(wc -l <"$work/symbols") functions (imported by: ${needers[*]##*/})"
