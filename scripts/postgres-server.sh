#!/usr/bin/env bash
# A PostgreSQL server on 127.0.0.1:5432 that accepts
# postgres://postgres@127.0.0.1:5432/postgres without a password, for the
# DATABASE_URL test pass and anyone who wants chillybin on a server:
# Debian's postgresql (installed if missing; it brings pgbench), its cluster
# started, and trust for 127.0.0.1 and ::1 in pg_hba.conf. Run as root on a
# Debian machine (CI's .ci/run does); running it again changes nothing.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL is not installed: run this as root, or: apt-get install postgresql" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends postgresql >/dev/null
fi

version="$(ls /etc/postgresql | sort -V | tail -1)"
hba="/etc/postgresql/$version/main/pg_hba.conf"
# Trust loopback TCP connections (the first matching line wins, so these go first).
for address in 127.0.0.1/32 ::1/128; do
  if ! grep -Eq "^host[[:space:]]+all[[:space:]]+all[[:space:]]+${address//./\\.}[[:space:]]+trust" "$hba"; then
    sed -i "1i host    all             all             $address            trust" "$hba"
    reload=1
  fi
done

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
elif [ -n "${reload:-}" ]; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi
pg_isready -h 127.0.0.1 -p 5432
psql -q -h 127.0.0.1 -U postgres -d postgres -c 'select 1' >/dev/null
echo "PostgreSQL $version: postgres://postgres@127.0.0.1:5432/postgres"
