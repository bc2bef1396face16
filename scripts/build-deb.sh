#!/usr/bin/env bash
# Builds dist/prometheus-cinder-exporter_<version>_<arch>.deb from this
# checkout with Debian's own tools (dpkg-deb, dpkg-shlibdeps, help2man) and
# prints its path as the last line (build output goes to stderr).
# Needs what scripts/install-deps.sh installs, plus:
#   apt-get install --no-install-recommends dpkg-dev help2man binutils git
# The package's files are in scripts/deb/; the version is the binary's own
# (BuildInfo.version), which must match scripts/deb/changelog.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022

name=prometheus-cinder-exporter
sources=scripts/deb
scratch=.build-deb
stage="$scratch/package"
root="$stage/root"

fail() { echo "build-deb.sh: $*" >&2; exit 1; }
for tool in dpkg-deb dpkg-shlibdeps dpkg-parsechangelog help2man strip git; do
    command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install --no-install-recommends dpkg-dev help2man binutils git)"
done

# The commit the package is built from; a package must never say "unknown".
# Outside a git checkout, give it: CINDER_EXPORTER_REVISION=<commit>.
revision="${CINDER_EXPORTER_REVISION:-}"
if [ -z "$revision" ]; then
    revision="$(git rev-parse HEAD 2>/dev/null)" || fail "not a git checkout: set CINDER_EXPORTER_REVISION"
    git diff --quiet HEAD -- || revision="$revision-dirty"
fi
case "$revision" in
    "" | unknown | *[!0-9A-Za-z.+-]*) fail "revision '$revision' is not a commit" ;;
esac
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

# A scratch path of its own: a release build must not disturb .build (tests).
# -z now: relocations resolved at start-up, then read-only (full RELRO).
build=(swift build -c release --static-swift-stdlib --scratch-path "$scratch"
       -Xcc "-DCINDER_EXPORTER_REVISION=\"$revision\"" -Xlinker -z -Xlinker now)
"${build[@]}" >&2
binary="$("${build[@]}" --show-bin-path)/cinder-exporter"

stamp="$("$binary" --version)"
version="${stamp#cinder-exporter }"
version="${version%% *}"
[ "$stamp" = "cinder-exporter $version (revision $revision)" ] \
    || fail "the binary says '$stamp', expected version and revision $revision"
changelog_version="$(dpkg-parsechangelog -l "$sources/changelog" -S Version)"
[ "$changelog_version" = "$version" ] \
    || fail "$sources/changelog is at $changelog_version but the binary is $version: add a changelog entry"
arch="$(dpkg --print-architecture)"

rm -rf "$stage"
mkdir -p "$root/DEBIAN"
install -D -m 0755 "$binary" "$root/usr/bin/cinder-exporter"
strip --remove-section=.comment --remove-section=.note "$root/usr/bin/cinder-exporter"
install -D -m 0644 "$sources/$name.service" "$root/lib/systemd/system/$name.service"
install -D -m 0644 "$sources/default" "$root/etc/default/$name"
doc="$root/usr/share/doc/$name"
install -D -m 0644 "$sources/copyright" "$doc/copyright"
gzip -9n < "$sources/changelog" > "$doc/changelog.gz"
mkdir -p "$root/usr/share/man/man1"
help2man --no-info --no-discard-stderr --section 1 --version-string "$version" \
    --name "Prometheus exporter for OpenStack Cinder service state and work in flight" \
    --include "$sources/cinder-exporter.h2m" "$root/usr/bin/cinder-exporter" \
    | gzip -9n > "$root/usr/share/man/man1/cinder-exporter.1.gz"
chmod 0644 "$doc/changelog.gz" "$root/usr/share/man/man1/cinder-exporter.1.gz"

# Depends: the C libraries the binary loads, as dpkg-shlibdeps finds them
# (it reads a debian/control, so give it a minimal one).
mkdir -p "$stage/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" > "$stage/debian/control"
shlibs="$(cd "$stage" && dpkg-shlibdeps -O -eroot/usr/bin/cinder-exporter)"
shlibs="${shlibs#shlibs:Depends=}"
[ -n "$shlibs" ] || fail "dpkg-shlibdeps found no dependencies"

install -m 0755 "$sources/postinst" "$sources/prerm" "$sources/postrm" "$root/DEBIAN/"
echo "/etc/default/$name" > "$root/DEBIAN/conffiles"
installed_size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    -e "s/@SHLIBS_DEPENDS@/$shlibs/" "$sources/control" > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
    > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

mkdir -p dist
deb="dist/${name}_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$PWD/$deb"
