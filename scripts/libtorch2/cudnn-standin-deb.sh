#!/usr/bin/env bash
# Builds an empty Debian package that stands in for trixie's `nvidia-cudnn` (contrib), which is
# only an installer: at install time it downloads cuDNN from NVIDIA, and this machine (like a CI
# runner without internet beyond Debian's archive) cannot. libtorch-cuda-2.6 depends on it, so
# apt needs *something* called nvidia-cudnn to install the CUDA LibTorch at all.
# The package ships no files. The link check then uses a stub libcudnn.so.9 generated from the
# symbols libtorch_cuda needs (scripts/libtorch2/cudnn-link-stub.sh): enough for the linker and
# the dynamic loader, never a runnable cuDNN.
#   cudnn-standin-deb.sh OUTDIR   -> prints the path of the .deb
set -euo pipefail
out="$1"
# The real package's version with a suffix sorting above it, so apt never "upgrades" it away.
version="9.0.0.312~cuda12+ggtalker.standin1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/DEBIAN"
cat >"$work/DEBIAN/control" <<CONTROL
Package: nvidia-cudnn
Version: $version
Architecture: amd64
Maintainer: ggtalker check-libtorch2 <noreply@localhost>
Provides: libcudnn.so.9, libcudnn-dev
Section: contrib/libs
Priority: optional
Description: stand-in for the nvidia-cudnn installer (ggtalker link check only)
 Empty package satisfying libtorch-cuda-2.6's dependency on nvidia-cudnn, which downloads
 cuDNN from NVIDIA at install time. It installs no cuDNN: CUDA LibTorch builds made with it
 are link checks; running them needs the real cuDNN 9.
CONTROL
mkdir -p "$out"
deb="$out/nvidia-cudnn_${version}_amd64.deb"
# Fixed timestamps: the same script makes the same bytes, so the cached root stays valid.
SOURCE_DATE_EPOCH=1735689600 dpkg-deb --root-owner-group -Zxz --build "$work" "$deb" >/dev/null
echo "$deb"
