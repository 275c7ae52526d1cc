#!/usr/bin/env bash
# Installs every Debian package zwfw needs to build, test and run. Safe to
# run again: it installs only what is missing (and runs `apt-get update`
# first only then).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libzmq3-dev
  protobuf-c-compiler libprotobuf-c-dev
  libpq-dev postgresql postgresql-client
  libcjson-dev
  libcmocka-dev
  libsodium-dev
  python3 python3-zmq python3-protobuf protobuf-compiler
  iproute2 procps
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian's postgresql package starts a system cluster; zwfw never uses it
# (it runs its own), so leave it as the package set it up.
echo "setup: done"
