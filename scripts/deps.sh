#!/usr/bin/env bash
# scripts/deps.sh - install the Debian packages berth needs to build, test,
# demo and benchmark, when any is missing. Idempotent and quiet when all
# are present; needs root or sudo only when something must be installed.
set -euo pipefail

packages=(
	# build
	gcc clang meson ninja-build pkg-config
	libcurl4-openssl-dev libjansson-dev libyaml-dev libssl-dev libmicrohttpd-dev libgnutls28-dev libcmocka-dev
	# sanitizers and fuzzing with clang
	libclang-rt-14-dev
	# tests, demo, benchmark
	jq curl openssl iproute2 docker-registry skopeo umoci valgrind procps strace
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
else
	echo "deps: missing packages (${missing[*]}) and neither root nor sudo to install them" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/berth-deps.log 2>&1; then
	"${sudo[@]}" apt-get update -q >>/tmp/berth-deps.log 2>&1 || true
	if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/berth-deps.log 2>&1; then
		tail -20 /tmp/berth-deps.log >&2
		echo "deps: apt-get install failed (full log: /tmp/berth-deps.log)" >&2
		exit 1
	fi
fi
