#!/usr/bin/env bash
# The package check (SPEC §10): builds the .deb, installs it with apt-get,
# checks what the binary loads, lintian and the unit, runs the unit's command
# as its user against a test SQLite database and scrapes it, then purges the
# package and checks that nothing is left but the prometheus user.
# Run as root on a Debian bookworm machine with a Swift toolchain on PATH,
# after scripts/test.sh (never inside `swift test`: it holds .build). It refuses
# to run when the package is installed: it must never remove an operator's.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

name=prometheus-cinder-exporter
unit=/lib/systemd/system/$name.service
defaults=/etc/default/$name

fail() { echo "test-deb.sh: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

[ "$(id -u)" -eq 0 ] || fail "run as root: it installs and purges $name"
status="$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null || true)"
if [ -n "$status" ] && [ "$status" != "not-installed" ]; then
    fail "$name is on this machine ($status): refusing to touch an operator's install"
fi

# apt, patient with another apt running on the same machine.
apt_get() {
    local try
    for try in $(seq 1 60); do
        if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 "$@"; then return 0; fi
        pgrep -x 'apt-get|apt|dpkg|unattended-upgr' >/dev/null || return 1
        echo "test-deb.sh: apt is busy, retrying ($try)" >&2
        sleep 5
    done
    return 1
}
step "dependencies"
scripts/install-deps.sh
tools=(dpkg-dev help2man binutils git lintian adduser systemd sqlite3 curl procps)
missing=()
for package in "${tools[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt_get update
    apt_get install -y --no-install-recommends "${missing[@]}"
fi

tmp="$(mktemp -d)"
exporter=""
installed=no
cleanup() {
    if [ -n "$exporter" ]; then kill "$exporter" 2>/dev/null || true; wait "$exporter" 2>/dev/null || true; fi
    if [ "$installed" = yes ]; then apt_get purge -y "$name" >/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

step "build"
deb="$(scripts/build-deb.sh | tail -n 1)"
[ -f "$deb" ] || fail "build-deb.sh printed '$deb', which is not a file"
version="$(dpkg-deb -f "$deb" Version)"
revision="$(git rev-parse HEAD)"
git diff --quiet HEAD -- || revision="$revision-dirty"
echo "$deb: version $version, revision $revision"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | grep -v '^$' > "$tmp/contents"

step "lintian"
lintian -I --fail-on error "$deb" | tee "$tmp/lintian" || fail "lintian reports an error"
echo "lintian: $(grep -c '^E:' "$tmp/lintian" || true) errors, $(grep -c '^W:' "$tmp/lintian" || true) warnings, $(grep -c '^I:' "$tmp/lintian" || true) info"

step "install"
had_user=no
getent passwd prometheus >/dev/null && had_user=yes
installed=yes
apt_get install -y "./${deb#"$PWD"/}"
[ "$(dpkg-query -W -f='${db:Status-Status}' "$name")" = installed ] || fail "$name is not installed"
getent passwd prometheus >/dev/null || fail "the prometheus user was not created"
for path in /usr/bin/cinder-exporter "$unit" "$defaults"; do
    if [ ! -e "$path" ]; then fail "$path is missing"; fi
done
[ "$(grep -v -e '^#' -e '^$' "$defaults")" = 'ARGS=""' ] || fail "$defaults should set only ARGS=\"\""
grep -qx "$defaults" "/var/lib/dpkg/info/$name.conffiles" || fail "$defaults is not a conffile"
[ "$(systemctl is-enabled "$name.service" 2>/dev/null || true)" = disabled ] || fail "the unit is not installed disabled"
if [ -d /run/systemd/system ]; then
    [ "$(systemctl is-active "$name.service" || true)" = inactive ] || fail "the unit was started on install"
fi

# A machine without Prometheus has no prometheus user: the postinst makes it.
# Checked in a private mount namespace whose /etc is a copy without the user.
step "postinst creates the prometheus user when it is missing"
mkdir "$tmp/etc"
cp -a /etc/. "$tmp/etc/"
for file in passwd group shadow gshadow; do
    if [ -f "$tmp/etc/$file" ]; then sed -i '/^prometheus:/d' "$tmp/etc/$file"; fi
done
unshare --mount sh -c "mount --bind '$tmp/etc' /etc && ! getent passwd prometheus >/dev/null \
    && DPKG_MAINTSCRIPT_PACKAGE=$name DPKG_MAINTSCRIPT_NAME=postinst /var/lib/dpkg/info/$name.postinst configure \
    && getent passwd prometheus" > "$tmp/user" \
    || fail "the postinst did not create the prometheus user"
echo "created: $(cat "$tmp/user")"
IFS=: read -r _ _ _ _ _ home shell < "$tmp/user"
[ "$home" = /var/lib/prometheus ] && [ "$shell" = /usr/sbin/nologin ] || fail "unexpected prometheus user: $(cat "$tmp/user")"
rm -rf "$tmp/etc"

step "ldd"
ldd /usr/bin/cinder-exporter | tee "$tmp/ldd"
! grep -q 'not found' "$tmp/ldd" || fail "a library is missing"
# Every library loaded is a file that a Debian package installed.
for library in $(grep -o -E '/[^ ]+' "$tmp/ldd"); do
    case "$library" in /lib/* | /lib64/* | /usr/lib/*) ;; *) fail "loads $library, outside Debian's paths" ;; esac
    dpkg -S "$library" >/dev/null 2>&1 || dpkg -S "$(readlink -f "$library")" >/dev/null 2>&1 \
        || fail "loads $library, which no Debian package installed"
done
if grep -q -i -E 'swift|foundation|dispatch' "$tmp/ldd"; then fail "the binary loads a Swift library"; fi

step "systemd-analyze verify"
man=yes
command -v man >/dev/null || man=no
verify="$(systemd-analyze verify --man="$man" "$unit" 2>&1)" || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
echo "systemd-analyze verify: clean"

step "version"
/usr/bin/cinder-exporter --version
[ "$(/usr/bin/cinder-exporter --version)" = "cinder-exporter $version (revision $revision)" ] \
    || fail "--version does not carry $version and $revision"

step "run the unit's command as its user"
user="$(sed -n 's/^User=//p' "$unit")"
exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
[ "$user" = prometheus ] && [ "$exec_start" = '/usr/bin/cinder-exporter $ARGS' ] \
    || fail "unexpected unit: User=$user ExecStart=$exec_start"
chmod 0755 "$tmp"
db="$tmp/cinder.sqlite"
sqlite3 "$db" <<'SQL'
CREATE TABLE services (created_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted BOOLEAN,
    id INTEGER PRIMARY KEY, host VARCHAR(255), "binary" VARCHAR(255), topic VARCHAR(255),
    report_count INTEGER NOT NULL, disabled BOOLEAN, availability_zone VARCHAR(255),
    disabled_reason VARCHAR(255), modified_at DATETIME, rpc_current_version VARCHAR(36),
    object_current_version VARCHAR(36), replication_status VARCHAR(36), frozen BOOLEAN,
    active_backend_id VARCHAR(255), cluster_name VARCHAR(255), uuid VARCHAR(36));
INSERT INTO services (created_at, updated_at, deleted, host, "binary", topic, report_count, disabled, availability_zone)
    VALUES (datetime('now'), datetime('now'), 0, 'node1@lvm', 'cinder-volume', 'cinder-volume', 7, 0, 'nova');
SQL
chmod 0644 "$db"
# As systemd runs it: ARGS split at spaces, the unit's user, no inherited
# environment, no new privileges, from /.
ARGS="--database.url sqlite:///$db --web.listen-address 127.0.0.1:0"
command="${exec_start//'$ARGS'/$ARGS}"
# shellcheck disable=SC2086 # split like systemd splits $ARGS
(cd / && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs $command) > "$tmp/log" 2>&1 &
exporter=$!
port=""
for _ in $(seq 1 100); do
    port="$(sed -n 's/.*address=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/log" | head -n 1)"
    [ -n "$port" ] && break
    kill -0 "$exporter" 2>/dev/null || fail "the exporter exited: $(cat "$tmp/log")"
    sleep 0.1
done
[ -n "$port" ] || fail "the exporter did not start: $(cat "$tmp/log")"
cat "$tmp/log"
[ "$(ps -o user= -p "$exporter")" = "$user" ] || fail "the exporter does not run as $user"
curl -fsS "http://127.0.0.1:$port/metrics" > "$tmp/metrics" || fail "scrape failed"
grep -E '^cinder_exporter_(database_up|build_info)|^cinder_service_up' "$tmp/metrics"
grep -qx 'cinder_exporter_database_up 1' "$tmp/metrics" || fail "database_up is not 1"
grep -qx "cinder_exporter_build_info{revision=\"$revision\",version=\"$version\"} 1" "$tmp/metrics" \
    || fail "build_info does not carry $version and $revision"
grep -qE '^cinder_service_up\{.*host="node1@lvm".*\} 1$' "$tmp/metrics" || fail "the test service is not up"
kill "$exporter"
wait "$exporter" || true
exporter=""

step "purge"
# An admin's `systemctl enable` must not outlive the package either.
systemctl enable "$name.service" 2>&1
apt_get purge -y "$name"
installed=no
status="$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null || true)"
[ -z "$status" ] || [ "$status" = not-installed ] || fail "$name is still $status"
left=()
while read -r path; do
    case "$path" in /etc | /etc/default | /lib | /lib/systemd | /lib/systemd/system | /usr | /usr/bin | /usr/share | \
        /usr/share/doc | /usr/share/lintian | /usr/share/lintian/overrides | /usr/share/man | /usr/share/man/man1) continue ;; esac
    if [ -e "$path" ]; then left+=("$path"); fi
done < "$tmp/contents"
for path in /etc/systemd/system/*/"$name.service" /etc/systemd/system/"$name.service" \
    /var/lib/systemd/deb-systemd-helper-enabled/"$name.service"* \
    /var/lib/systemd/deb-systemd-helper-enabled/*/"$name.service" \
    /var/lib/systemd/deb-systemd-helper-masked/"$name.service" /var/lib/dpkg/info/"$name".*; do
    if [ -e "$path" ] || [ -L "$path" ]; then left+=("$path"); fi
done
[ "${#left[@]}" -eq 0 ] || fail "left after purge: ${left[*]}"
getent passwd prometheus >/dev/null || fail "purge removed the prometheus user (the Prometheus server shares it)"
echo "nothing left after purge; the prometheus user stays (it was there before: $had_user)"

echo "test-deb.sh: OK in $((SECONDS - started)) s"
