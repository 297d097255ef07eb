#!/bin/sh
# Installs what the runtime tests use beside .NET: qemu-img (Debian's qemu-utils), which checks every
# qcow2 image the runtime writes. Run by the test project's build; does nothing when it is present.
command -v qemu-img >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing qemu-utils for the runtime tests" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-utils >/dev/null
else
  echo "the runtime tests need qemu-img: sudo apt-get install qemu-utils" >&2
  exit 1
fi
