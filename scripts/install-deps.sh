#!/usr/bin/env bash
# Installs every Debian package the build and the tests need. Idempotent: it
# only calls apt-get when something is missing, so `make run` stays fast.
# --fuzz adds clang and libFuzzer, for `make fuzz` and `make check-sanitize`
# only; the normal build and `make test` (which replays the fuzz corpus with
# g++) do not need them.
set -euo pipefail

fuzz=0
for arg in "$@"; do
  case "$arg" in
    --fuzz) fuzz=1 ;;
    *) echo "install-deps: unknown option $arg (known: --fuzz)" >&2; exit 2 ;;
  esac
done

packages=(
  # build
  cmake ninja-build ccache g++ pkg-config
  qt6-base-dev libqt6sql6-sqlite
  # the remediation view's feedback chart (widgets/ only); Debian's Qt6Charts
  # CMake package needs Qt6OpenGL's but does not depend on it
  qt6-charts-dev libqt6opengl6-dev
  # the desktop console's platform plugins (xcb, offscreen for its tests)
  qt6-qpa-plugins
  libyaml-cpp-dev nlohmann-json3-dev libhiredis-dev libsqlite3-dev libssl-dev zlib1g-dev
  libncurses-dev
  # etcd's native gRPC API (core/providers/etcd/proto/)
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  # tests
  redis-server redis-tools etcd-server etcd-client tmux procps bsdutils
  # the TUI runs in GNU screen too (tests/tui)
  screen
  openssl curl
  # the desktop console: run under a virtual X server (xvfb-run needs xauth),
  # a font for the offscreen and X11 platforms, screenshots (import)
  xvfb xauth fonts-dejavu-core imagemagick
  # the GUI smoke test finds the window on the X server (xwininfo)
  x11-utils
  # the state graph: layout by libgvc (linked by widgets/ only), and `dot`
  # to check the CLI's DOT output in tests
  libgraphviz-dev graphviz
  # benchmarks
  sqlite3 time perl jq
)

# The Kubernetes emulator's interop tests drive the real kubectl. Debian's
# kubernetes-client is old (1.20) but real; a newer kubectl already on PATH
# is kept rather than shadowed.
if ! command -v kubectl >/dev/null 2>&1; then
  packages+=(kubernetes-client)
fi

if [ "$fuzz" -eq 1 ]; then
  packages+=(clang libfuzzer-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
