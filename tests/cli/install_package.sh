# `cmake --install` gives users what they need (issue 11): the evlog binary, its man pages and
# completion scripts, and a library that a new CMake project finds with find_package(eventlog)
# and a plain compiler finds with pkg-config. Installs this build tree into a DESTDIR, builds
# examples/ against it, and runs everything from there.
# Usage: install_package.sh EVLOG BUILD_DIR SOURCE_DIR. EVLOG_INSTALL_TEST_CXX names the
# compiler the library was built with; EVLOG_INSTALL_TEST_LDFLAGS what a program linking the
# library needs besides it (the sanitizer runtimes in a sanitizer build).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/install_lib.sh"
BUILD=${2:?usage: $0 EVLOG BUILD_DIR SOURCE_DIR}
SOURCE=${3:?usage: $0 EVLOG BUILD_DIR SOURCE_DIR}

STAGE=$WORK/stage
PREFIX=$STAGE/usr/local
DESTDIR=$STAGE cmake --install "$BUILD" --prefix /usr/local >"$WORK/install.log" || fail "cmake --install: $(cat "$WORK/install.log")"

echo "== the installed evlog runs"
assert_eq "$(evlog --version)" "$("$PREFIX/bin/evlog" --version)" "installed evlog --version"
printf 'one\ntwo\n' | "$PREFIX/bin/evlog" append "$WORK/cli-log"
assert_eq $'one\ntwo' "$("$PREFIX/bin/evlog" tail "$WORK/cli-log" --from beginning)" "installed evlog round trip"
[[ -x $PREFIX/libexec/evlog/evlog-connectors ]] || fail "evlog-connectors is not installed in libexec/evlog"
expect_status 2 "$PREFIX/bin/evlog" bridge "$WORK/cli-log" -g relay
assert_contains "$(cat "$WORK/stderr")" "say where to relay" "installed evlog hands bridge to evlog-connectors"

echo "== man finds the pages"
assert_eq "$PREFIX/share/man/man1/evlog-tail.1" "$(man -M "$PREFIX/share/man" -w evlog-tail)" "man -w evlog-tail"
for page in "$SOURCE"/man/*.1; do
  [[ -f $PREFIX/share/man/man1/$(basename "$page") ]] || fail "man page $(basename "$page") is not installed"
done

echo "== completion scripts"
check_completions "$PREFIX/share" site-functions
assert_completes_all "$PREFIX/share/bash-completion/completions/evlog"

echo "== development files: nothing private installed"
for header in "$SOURCE"/libeventlog/include/eventlog/*.h; do
  cmp -s "$header" "$PREFIX/include/eventlog/$(basename "$header")" || fail "$(basename "$header") is not installed as is"
done
# Public headers never include a dependency's headers, so users need none of them to compile.
if grep -hE '#include [<"](lmdb|xxhash|fmt/|CLI/)' "$PREFIX"/include/eventlog/*.h; then
  fail "an installed header includes a dependency's header"
fi

echo "== the installed CMake package is what a fresh configure exports"
# A build tree configured more than once keeps cache entries that a first configure lacks
# (GNUInstallDirs' paths, once defined after the target that used them, left the installed
# target without include directories, which only a clean clone showed): compare with a
# first configure of the same sources.
cmake -S "$SOURCE" -B "$WORK/fresh" -DEVLOG_BUILD_TESTS=OFF >"$WORK/fresh.log" 2>&1 ||
  fail "a fresh configure of the sources: $(cat "$WORK/fresh.log")"
fresh_targets=$(find "$WORK/fresh/libeventlog/CMakeFiles/Export" -name eventlogTargets.cmake)
assert_files_equal "$fresh_targets" "$PREFIX/lib/cmake/eventlog/eventlogTargets.cmake" "the installed eventlogTargets.cmake"
grep -q 'INTERFACE_INCLUDE_DIRECTORIES "${_IMPORT_PREFIX}/include"' "$fresh_targets" ||
  fail "the exported target does not name the installed headers: $(grep INTERFACE_ "$fresh_targets")"

echo "== a new CMake project finds the library and builds examples/"
cxx=${EVLOG_INSTALL_TEST_CXX:-c++}
ldflags=${EVLOG_INSTALL_TEST_LDFLAGS:-}
cmake -S "$SOURCE/examples" -B "$WORK/examples" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_EXE_LINKER_FLAGS="$ldflags" -DCMAKE_BUILD_TYPE=Release >"$WORK/configure.log" 2>&1 ||
  fail "configuring examples/: $(cat "$WORK/configure.log")"
grep -q "eventlog_DIR:PATH=$PREFIX/lib/cmake/eventlog" "$WORK/examples/CMakeCache.txt" ||
  fail "find_package(eventlog) did not find the staged install: $(grep eventlog_DIR "$WORK/examples/CMakeCache.txt")"
cmake --build "$WORK/examples" -j2 >"$WORK/build.log" 2>&1 || fail "building examples/: $(cat "$WORK/build.log")"
run_examples "$WORK/examples/producer" "$WORK/examples/consumer" "$WORK/orders"

echo "== a plain compiler finds the library with pkg-config"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
flags=$(pkg-config --cflags --libs eventlog) || fail "pkg-config eventlog"
# The module finds its prefix from where it lies, here inside the DESTDIR.
assert_eq "$PREFIX/include" "$(realpath "$(pkg-config --variable=includedir eventlog)")" "pkg-config includedir"
# shellcheck disable=SC2086 # the flags are words
"$cxx" -std=c++20 -o "$WORK/producer-pc" "$SOURCE/examples/producer.cc" $flags $ldflags ||
  fail "compiling with pkg-config's flags: $flags"
assert_eq "appended 1 events at offsets 3..3" "$("$WORK/producer-pc" "$WORK/orders" pad)" "producer built with pkg-config"
assert_eq $'processing offset 3 key order-3: {"item":"pad"}\ngroup billing: processed 1 events; position 4' \
  "$("$WORK/examples/consumer" "$WORK/orders" billing)" "the consumer gets only the new event"
echo "PASS"
