#!/bin/sh
# deps.sh — find qlens's build dependencies with pkg-config and, on Debian or
# Ubuntu, install the ones that are missing.
#
#   scripts/deps.sh MODULE...     e.g. scripts/deps.sh ncursesw readline jansson
#
# Prints nothing when everything is there. Otherwise says what it installs
# (apt-get; through sudo when not root) or, on other systems, names the
# packages to install and exits 1.
set -u

deb_package() {
	case "$1" in
	pkg-config) echo pkg-config ;;
	ncursesw) echo libncurses-dev ;;
	readline) echo libreadline-dev ;;
	jansson) echo libjansson-dev ;;
	zlib) echo zlib1g-dev ;;
	cmocka) echo libcmocka-dev ;;
	*) echo "$1" ;;
	esac
}

missing=""
command -v pkg-config >/dev/null 2>&1 || missing="pkg-config"
for m in "$@"; do
	if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$m"; then
		missing="$missing $m"
	fi
done
[ -z "$missing" ] && exit 0

pkgs=""
for m in $missing; do pkgs="$pkgs $(deb_package "$m")"; done
pkgs=$(echo $pkgs | tr ' ' '\n' | sort -u | tr '\n' ' ')

if [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
	echo "qlens: missing build dependencies:$missing" >&2
	echo "qlens: installing with apt-get: $pkgs" >&2
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	# make -j runs this for the program's and the tests' libraries at once:
	# wait for the other apt-get's lock instead of failing on it.
	lock="-o DPkg::Lock::Timeout=600"
	# shellcheck disable=SC2086
	if ! $sudo apt-get $lock install -y -q $pkgs >&2; then
		echo "qlens: apt-get install failed; updating the package lists and trying again" >&2
		$sudo apt-get $lock update -q >&2 && $sudo apt-get $lock install -y -q $pkgs >&2 || {
			echo "qlens: could not install:$pkgs — install them by hand" >&2
			exit 1
		}
	fi
	exit 0
fi

echo "qlens: missing build dependencies (pkg-config modules):$missing" >&2
echo "qlens: install them with your package manager, e.g. on Debian/Ubuntu: $pkgs;" >&2
echo "       Fedora: pkgconf ncurses-devel readline-devel jansson-devel zlib-devel libcmocka-devel;" >&2
echo "       macOS (Homebrew): pkg-config ncurses readline jansson zlib cmocka" >&2
exit 1
