#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs Debian's LibTorch and the OpenBLAS it must run on (without OpenBLAS, LibTorch's
# matrix multiply falls back to reference BLAS, ~70x slower), plus the build tools, and the
# Gloo headers that LibTorch's c10d headers include (libgloo-dev: not pulled in by libtorch-dev;
# without it the addon builds without distributed training).
# Run as root on Debian 12 / Ubuntu; `npm install` calls it when it finds no LibTorch.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "setup-libtorch: run as root (sudo bash scripts/setup-libtorch.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  libtorch-dev libgloo-dev libopenblas0-pthread cmake g++ make ninja-build ccache python3 >/dev/null
# Make OpenBLAS the BLAS that libblas.so.3 resolves to, whatever was selected before.
for alt in $(update-alternatives --get-selections | awk '/^lib(blas|lapack)\.so\.3/ {print $1}'); do
  target=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas-pthread | head -n 1 || true)
  [ -n "$target" ] && update-alternatives --set "$alt" "$target" >/dev/null
done
echo "setup-libtorch: libtorch-dev $(dpkg-query -W -f='${Version}' libtorch-dev), OpenBLAS $(dpkg-query -W -f='${Version}' libopenblas0-pthread), Gloo $(dpkg-query -W -f='${Version}' libgloo-dev)"
