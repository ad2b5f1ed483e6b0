#!/usr/bin/env bash
# The Debian packages the tests need (gcc builds tools/malloc-peak.c, the Duktape heap meter). `--install` installs the missing ones (as root);
# `--check` installs them too when running as root, and otherwise names what is missing.
set -u
pkgs=(dataset-fashion-mnist duktape socat gcc)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages the tests need: ${missing[*]}" >&2
  (apt-get install -y "${missing[@]}" || { apt-get update && apt-get install -y "${missing[@]}"; }) >/dev/null
  exit $?
fi
echo "missing Debian packages the tests need: ${missing[*]} (run: sudo apt-get install -y ${missing[*]})" >&2
exit 1
