# `cpack -G DEB` gives Debian packages that install and run (issue 11): evlog with the shared
# libraries it needs declared in Depends, and libeventlog-dev with what a program needs to
# build against it. Unpacked with dpkg -x into a private root; nothing is installed on the
# machine. Usage: deb_package.sh EVLOG BUILD_DIR SOURCE_DIR (see install_package.sh for the
# EVLOG_INSTALL_TEST_* variables).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/install_lib.sh"
BUILD=${2:?usage: $0 EVLOG BUILD_DIR SOURCE_DIR}
SOURCE=${3:?usage: $0 EVLOG BUILD_DIR SOURCE_DIR}

cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/packages" >"$WORK/cpack.log" 2>&1 ||
  fail "cpack: $(cat "$WORK/cpack.log")"
tool_deb=$(echo "$WORK"/packages/evlog_*.deb)
dev_deb=$(echo "$WORK"/packages/libeventlog-dev_*.deb)
[[ -f $tool_deb && -f $dev_deb ]] || fail "cpack made: $(ls "$WORK/packages")"

echo "== evlog.deb: what it holds and declares"
field() { dpkg-deb -f "$1" "$2"; }
assert_eq "evlog" "$(field "$tool_deb" Package)" "Package"
assert_eq "$(dpkg --print-architecture)" "$(field "$tool_deb" Architecture)" "Architecture"
contents=$(dpkg-deb -c "$tool_deb" | awk '{print $6}')
for path in ./usr/bin/evlog ./usr/libexec/evlog/evlog-connectors ./usr/share/man/man1/evlog.1 ./usr/share/man/man1/evlog-tail.1 \
  ./usr/share/bash-completion/completions/evlog ./usr/share/zsh/vendor-completions/_evlog \
  ./usr/share/fish/vendor_completions.d/evlog.fish; do
  grep -qx -- "$path" <<<"$contents" || fail "evlog.deb lacks $path"
done
if grep -E '\.(h|a)$' <<<"$contents"; then fail "evlog.deb holds development files"; fi

# Every shared library the binary links to directly belongs to a package that Depends
# names, so that apt installs them on a machine that has none: what a clean machine checks.
# (Their own dependencies are their packages' business.)
depends=$(field "$tool_deb" Depends)
root=$WORK/root
dpkg -x "$tool_deb" "$root"
for binary in usr/bin/evlog usr/libexec/evlog/evlog-connectors; do
  libraries=$(ldd "$root/$binary")
  while read -r needed; do
    library=$(awk -v name="$needed" '$1 == name {print $3}' <<<"$libraries")
    [[ $library == /* ]] || fail "$binary needs $needed, which ldd does not find: $libraries"
    # By directory and name: with merged /usr, ldd's path and the one dpkg recorded may
    # differ by /usr; the directory tells /lib/x86_64-linux-gnu from /lib32.
    owner=$(dpkg -S "*/$(basename "$(dirname "$library")")/$needed" 2>/dev/null | head -1 | cut -d: -f1) || true
    [[ -n $owner ]] || fail "no package owns $library, which $binary loads"
    [[ ", $depends," == *", $owner"[\ ,]* ]] || fail "$binary loads $library from $owner, which Depends lacks: $depends"
  done < <(readelf -d "$root/$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
assert_contains "$depends" "liblmdb0" "Depends"
assert_contains "$depends" "librdkafka1" "Depends (evlog-connectors' libraries)"

echo "== the unpacked evlog runs"
assert_eq "$(evlog --version)" "$("$root/usr/bin/evlog" --version)" "unpacked evlog --version"
echo '{"payload":"x"}' | "$root/usr/bin/evlog" append --json "$WORK/log"
assert_eq "x" "$("$root/usr/bin/evlog" tail "$WORK/log" --from beginning)" "unpacked evlog round trip"
# capture, apply and bridge run in evlog-connectors, found in the package's libexec.
status=0
"$root/usr/bin/evlog" bridge "$WORK/log" -g relay 2>"$WORK/handoff.err" || status=$?
assert_eq 2 "$status" "unpacked evlog bridge without --to"
assert_contains "$(cat "$WORK/handoff.err")" "say where to relay" "unpacked evlog hands bridge to evlog-connectors"
assert_eq "$root/usr/share/man/man1/evlog-append.1" "$(man -M "$root/usr/share/man" -w evlog-append)" "man -w"
check_completions "$root/usr/share" vendor-completions

echo "== libeventlog-dev.deb: a program builds against it"
assert_eq "libeventlog-dev" "$(field "$dev_deb" Package)" "Package"
assert_contains "$(field "$dev_deb" Depends)" "liblmdb-dev" "libeventlog-dev Depends"
dpkg -x "$dev_deb" "$root"
[[ -f $root/usr/lib/cmake/eventlog/eventlogConfig.cmake ]] || fail "no eventlogConfig.cmake: $(dpkg-deb -c "$dev_deb")"
export PKG_CONFIG_PATH=$root/usr/lib/pkgconfig
cxx=${EVLOG_INSTALL_TEST_CXX:-c++}
# shellcheck disable=SC2046,SC2086 # the flags are words
"$cxx" -std=c++20 -o "$WORK/consumer" "$SOURCE/examples/consumer.cc" $(pkg-config --cflags --libs eventlog) \
  ${EVLOG_INSTALL_TEST_LDFLAGS:-} || fail "building examples/consumer.cc against the package"
assert_eq "group audit: processed 1 events; position 1" "$("$WORK/consumer" "$WORK/log" audit | tail -1)" "consumer"
echo "PASS"
