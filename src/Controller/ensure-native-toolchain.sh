#!/bin/sh
# Installs what `dotnet publish` needs beside .NET to compile the product ahead of time (Native AOT):
# a C toolchain to link it (clang) and zlib's development files. Run by this project's publish; does
# nothing when they are present.
command -v clang >/dev/null 2>&1 && [ -e /usr/include/zlib.h ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing clang and zlib1g-dev to link the ahead-of-time compiled reconciler" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev >/dev/null
else
  echo "publishing reconciler (Native AOT) needs clang and zlib: sudo apt-get install clang zlib1g-dev" >&2
  exit 1
fi
