#!/usr/bin/env bash
# Maintainers: run the whole suite on Debian 13 (trixie) and its Python 3.13, in a chroot. As root:
#   MNIST_SAMPLE_TGZ=/path/to/mnist_sample.tgz tools/py313_chroot.sh [--chromium] [pytest args]
# The chroot (CHROOT, default /var/tmp/sgd-course-trixie) is made on first use and reused after.
# Each run copies this checkout into it afresh (HEAD plus uncommitted changes to tracked files)
# and runs `./course.sh test` there; the chroot's .venv/ is kept between runs. --chromium installs
# Debian's Chromium in the chroot, so that the browser test runs instead of being skipped. Prints a
# summary and exits with the tests' status.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=$(realpath -m "${CHROOT:-/var/tmp/sgd-course-trixie}")
work=/root/course  # the checkout, inside the chroot
die() { echo "py313_chroot: $*" >&2; exit 1; }

chromium=0
if [ "${1:-}" = --chromium ]; then chromium=1; shift; fi
[ "$root" != / ] || die "CHROOT=/ is this machine itself"
[ "$(id -u)" = 0 ] || die "run it as root (debootstrap, mount and chroot need root)"
archive=${MNIST_SAMPLE_TGZ:-}
[ -f "$archive" ] || die "set MNIST_SAMPLE_TGZ to the data archive, mnist_sample.tgz" \
  "(now '$archive')"
git -C "$repo" rev-parse --verify -q HEAD >/dev/null || die "$repo is not a git checkout"

# The Debian mirror that this machine's apt uses; DEBIAN_MIRROR overrides it.
apt_mirror() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
    2>/dev/null | sed -nE 's#^(URIs:|deb)( +\[[^]]*\])? +([^ ]+/debian)/?( .*)?$#\3#p' | head -1
}
mirror=${DEBIAN_MIRROR:-$(apt_mirror || true)}
mirror=${mirror:-http://deb.debian.org/debian}

if [ ! -f "$root/.debootstrap-done" ]; then
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  echo "py313_chroot: debootstrap trixie into $root from $mirror"
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,git,ca-certificates \
    trixie "$root" "$mirror"
  touch "$root/.debootstrap-done"
fi

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true
  done
}
trap unmount_all EXIT
mount_in() {  # mount_in PATH MOUNT-ARGS...: mounts on PATH inside the chroot (once)
  local target=$root$1
  shift
  mountpoint -q "$target" || mount "$@" "$target"  # a killed run may have left it mounted
  mounted+=("$target")
}
mount_in /proc -t proc proc
mount_in /sys --bind /sys
mount_in /dev --bind /dev
mount_in /dev/pts --bind /dev/pts
mount_in /dev/shm -t tmpfs shm  # torch.multiprocessing shares tensors through /dev/shm

# This machine's name servers and host names: gloo (notebook 12's torchrun) resolves the hostname.
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp -L /etc/hosts "$root/etc/hosts"
# Certificate authorities added on this machine (a proxy's, say), so that pip reaches PyPI.
mkdir -p "$root/usr/local/share/ca-certificates"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
fi

env=(HOME=/root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
     PIP_CERT=/etc/ssl/certs/ca-certificates.crt MNIST_SAMPLE_TGZ=/root/mnist_sample.tgz)
for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  if [ -n "${!name:-}" ]; then env+=("$name=${!name}"); fi
done
inside() { chroot "$root" /usr/bin/env -i "${env[@]}" "$@"; }  # none of this machine's settings

if [ "$chromium" = 1 ] && [ ! -x "$root/usr/bin/chromium" ]; then
  inside apt-get update -qq
  inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

cp "$archive" "$root/root/mnist_sample.tgz"
if [ -d "$root$work/.venv" ]; then mv "$root$work/.venv" "$root/root/.course-venv"; fi
rm -rf "$root$work"
git clone --quiet --no-checkout "$repo" "$root$work"
git -C "$root$work" checkout --quiet --detach "$(git -C "$repo" rev-parse HEAD)"
if ! git -C "$repo" diff --quiet HEAD; then
  git -C "$repo" diff --binary HEAD | git -C "$root$work" apply
fi
if [ -d "$root/root/.course-venv" ]; then mv "$root/root/.course-venv" "$root$work/.venv"; fi

log=$root/root/course-test.log
start=$SECONDS
inside bash -c "cd $work && ./course.sh setup"
setup_s=$((SECONDS - start))
start=$SECONDS
if inside bash -c "cd $work && ./course.sh test \"\$@\"" course "$@" 2>&1 | tee "$log"; then
  status=0
else
  status=$?
fi
test_s=$((SECONDS - start))
echo
echo "py313_chroot: summary"
echo "  chroot:  $root (Debian $(cat "$root/etc/debian_version"))"
echo "  tested:  $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD ||
  echo ' + uncommitted changes')"
echo "  python:  $(inside "$work/.venv/bin/python" --version)"
echo "  setup:   ${setup_s}s (./course.sh setup)"
echo "  tests:   ${test_s}s: $(grep -E '^=+ .*(passed|failed|error).* =+$' "$log" | tail -1 ||
  echo 'no pytest summary line')"
echo "  log:     $log"
exit "$status"
