#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages when it is missing:
# the real etcd 3.4.23 server and etcdctl that etcd-ts is compared against.
set -euo pipefail
missing=()
command -v /usr/bin/etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v /usr/bin/etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (reference etcd for compatibility tests)" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian's etcd-server package may start a system etcd on 2379; tests use their own ports,
# but stop it so `npm start` and the tests never talk to the wrong server.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  systemctl stop etcd || true
fi
