#!/usr/bin/env bash
# Builds a PostgreSQL 15 container image from this machine's own PostgreSQL install, without
# pulling anything (no image registry is reachable on the build machines: docs/design.md "Platform notes").
#
#   test/support/build-postgres-image.sh [image]      default image: quanliantong/postgres:15-local
#
# The image is a `docker import` of a minimal root filesystem: the server binaries and share files,
# exactly the shared libraries they need (ldd), /bin/sh, a postgres user, and an entrypoint that
# behaves like the official image's for what testcontainers' PostgreSqlContainer relies on:
#   - POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB create the superuser and the database;
#   - host connections authenticate with scram-sha-256, local (socket) ones are trusted, and the
#     server listens on every address unless the command says otherwise (listen_addresses);
#   - initialisation runs on a temporary socket-only server, then the real one starts with the
#     container's command (`postgres -p <port> -c …`), so "database system is ready to accept
#     connections" is logged twice and the second one means ready (the wait strategy counts 2).
# The image runs as the postgres user (initdb refuses root). Needs root (or docker group) and a
# running engine; prints the image id.
set -euo pipefail

IMAGE="${1:-quanliantong/postgres:15-local}"
PG_VERSION=15
PG_LIB="/usr/lib/postgresql/$PG_VERSION"
PG_SHARE="/usr/share/postgresql/$PG_VERSION"
DOCKER="${DOCKER:-docker}"

[ -x "$PG_LIB/bin/postgres" ] || { echo "build-postgres-image: no PostgreSQL $PG_VERSION in $PG_LIB" >&2; exit 1; }
uid="$(id -u postgres)" || { echo "build-postgres-image: no postgres user on this machine" >&2; exit 1; }
gid="$(id -g postgres)"

root="$(mktemp -d /tmp/qlt-pg-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT

# The host's merged-/usr layout (bin -> usr/bin, lib -> usr/lib, …), so library paths match.
mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/usr/sbin" "$root/usr/local/bin" "$root/etc" \
  "$root/tmp" "$root/var/lib/postgresql/data" "$root/var/run/postgresql" "$root/dev" "$root/proc" "$root/sys"
for d in bin lib lib64 sbin; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"; else mkdir -p "$root/$d"; fi
done
chmod 1777 "$root/tmp"

# Copies a file to the same path in the image; a symlink is copied as a link and followed.
copy() {
  local path="$1" dir
  dir="$(dirname "$path")"
  dir="$(readlink -f "$dir")"
  mkdir -p "$root$dir"
  cp -a "$path" "$root$dir/"
  if [ -L "$path" ]; then copy "$(readlink -f "$path")"; fi
}

# Server and client binaries, and the server's loadable modules (except the LLVM JIT: jit is
# simply unavailable without it, and it would pull in ~100 MB of LLVM).
mkdir -p "$root$PG_LIB" "$root/usr/share/postgresql"
cp -a "$PG_LIB/bin" "$root$PG_LIB/"
cp -a "$PG_LIB/lib" "$root$PG_LIB/"
rm -rf "$root$PG_LIB/lib/llvmjit"* "$root$PG_LIB/lib/bitcode" "$root$PG_LIB/lib/pgxs"
cp -a "$PG_SHARE" "$root/usr/share/postgresql/"
# Debian builds against the system time zone database.
cp -a /usr/share/zoneinfo "$root/usr/share/"

# A shell and the few tools the entrypoint uses.
tools=(/bin/sh "$(readlink -f /bin/sh)" /usr/bin/env /usr/bin/rm /usr/bin/cat /usr/bin/id)
for tool in "${tools[@]}"; do copy "$tool"; done

# Every shared library any of those executables or modules needs, and the dynamic loader.
mapfile -t elves < <(find "$root$PG_LIB" -type f \( -perm -u+x -o -name '*.so' \) | sed "s|^$root||"; printf '%s\n' "${tools[@]}")
{
  for elf in "${elves[@]}"; do
    ldd "$elf" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' || true
  done
} | sort -u | while read -r lib; do copy "$lib"; done
[ -f /etc/ld.so.cache ] && cp /etc/ld.so.cache "$root/etc/"

# Users and name-service configuration (postgres looks its own user up).
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:%s:%s:PostgreSQL administrator:/var/lib/postgresql:/bin/sh\n' "$uid" "$gid" >"$root/etc/passwd"
printf 'root:x:0:\npostgres:x:%s:\n' "$gid" >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"

cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
# Like the official postgres image's entrypoint, for what tests rely on (see build-postgres-image.sh).
set -eu
if [ "${1:-}" = postgres ]; then shift; fi
: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo "docker-entrypoint: set POSTGRES_PASSWORD (host connections use scram-sha-256)" >&2
  exit 1
fi
export PGDATA
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="/tmp/pwfile.$$"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C --no-sync
  rm -f "$pwfile"
  printf "\nhost all all all scram-sha-256\n" >>"$PGDATA/pg_hba.conf"
  # Like the official image: listen everywhere unless the command line says otherwise.
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  # Temporary server on the socket only (as the official image does), to create the database.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /var/run/postgresql" -w start
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -h /var/run/postgresql --username "$POSTGRES_USER" --dbname postgres \
      -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo "PostgreSQL init process complete; ready for start up."
fi
exec postgres -D "$PGDATA" -k /var/run/postgresql "$@"
ENTRYPOINT
chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"

chown -R "$uid:$gid" "$root/var/lib/postgresql" "$root/var/run/postgresql"
chmod 700 "$root/var/lib/postgresql/data"

echo "build-postgres-image: root filesystem $(du -sh "$root" | cut -f1), importing as $IMAGE" >&2
tar -C "$root" --numeric-owner -cf - . | "$DOCKER" import \
  --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  --change 'CMD ["postgres"]' \
  --change 'USER postgres' \
  --change "ENV PATH=$PG_LIB/bin:/usr/local/bin:/usr/bin:/bin" \
  --change 'ENV PGDATA=/var/lib/postgresql/data' \
  --change 'ENV LANG=C.UTF-8' \
  - "$IMAGE"
