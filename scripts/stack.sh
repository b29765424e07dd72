#!/usr/bin/env bash
# Install and start the container stack shipyard drives and tests against:
# Docker engine with BuildKit, buildx and compose v2, the distribution
# registry, sshd and a locally made busybox base image. Idempotent: a second
# run changes nothing and returns within seconds.
set -euo pipefail

BASE_IMAGE=${SHIPYARD_BASE_IMAGE:-busybox:1.36.1}
DOCKERD_LOG=${SHIPYARD_DOCKERD_LOG:-/var/log/shipyard-dockerd.log}

log() { printf 'stack: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_commands() {
    local cmd
    for cmd in dockerd docker-registry sshd busybox htpasswd ip git shellcheck; do
        command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || echo "$cmd"
    done
}

add_trixie_source() {
    local list=/etc/apt/sources.list.d/shipyard-trixie.sources
    [ -f "$list" ] && return 0
    local uris signed
    uris=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    signed=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    as_root tee "$list" >/dev/null <<SRC
Types: deb
URIs: $uris
Suites: trixie
Components: main
Signed-By: $signed
SRC
    as_root tee /etc/apt/preferences.d/shipyard-trixie >/dev/null <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
}

install_packages() {
    local need_apt=0
    [ -n "$(missing_commands)" ] && need_apt=1
    docker compose version >/dev/null 2>&1 || need_apt=1
    docker buildx version >/dev/null 2>&1 || need_apt=1
    [ "$need_apt" -eq 0 ] && return 0

    log "installing Debian packages (docker.io, docker-registry, openssh-server, compose v2, buildx)"
    add_trixie_source
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends \
        docker.io docker-registry openssh-server openssh-client busybox-static \
        apache2-utils iproute2 iptables git ca-certificates shellcheck >/dev/null
    as_root apt-get install -y -qq --no-install-recommends \
        docker-compose/trixie docker-buildx/trixie >/dev/null
    # The registry package starts its own service on :5000; shipyard runs its own.
    as_root systemctl disable --now docker-registry >/dev/null 2>&1 || true
    pkill -x docker-registry 2>/dev/null || true
}

start_dockerd() {
    docker info >/dev/null 2>&1 && return 0
    log "starting dockerd (log: $DOCKERD_LOG)"
    as_root bash -c "nohup setsid dockerd >'$DOCKERD_LOG' 2>&1 </dev/null &"
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && return 0
        sleep 1
    done
    log "dockerd did not answer within 60 s; see $DOCKERD_LOG"
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    exit 1
}

import_base_image() {
    docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
    log "importing $BASE_IMAGE from the busybox-static package"
    local root
    root=$(mktemp -d)
    mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/var/www"
    cp /bin/busybox "$root/bin/busybox"
    local applet
    for applet in $("$root/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    tar -C "$root" -c . | docker import \
        --change 'ENV PATH=/bin' --change 'CMD ["sh"]' - "$BASE_IMAGE" >/dev/null
    rm -rf "$root"
}

install_packages
start_dockerd
import_base_image
log "ready: $(docker version --format 'engine {{.Server.Version}}'), $(docker compose version --short 2>/dev/null | sed 's/^/compose /'), $(docker buildx version | awk '{print "buildx", $2}')"
