#!/usr/bin/env bash
# Builds the ticketbridge image with podman from a local stand-in for node:22-bookworm-slim and
# smoke-tests it where no container engine may run. Run by hand, as root: scripts/verify-image.sh
# (not part of `npm test`: it takes minutes).
#
# The stand-in base is a debootstrap'd Debian bookworm (minbase, cached between runs) with this
# machine's node, npm and Node headers copied to /usr/local, the layout of the official image.
# `podman run` is blocked here, so the built image is checked from the outside: a container is
# created (not started) and mounted, and its filesystem entered with chroot as the image's user,
# in its working directory, with its environment, in a private network namespace:
#   - the image metadata (user, entrypoint, command, port, volume, healthcheck, stop signal) and
#     its contents (compiled JavaScript only, no dev dependencies, no compiler, ledger dir owned
#     by the user);
#   - run as docker-compose.yml runs it: read-only root, tmpfs /tmp, writable ledger volume;
#   - `validate` for config/demo.yaml and every config/examples/*.yaml, with the variables of
#     config/examples/docker.env.example;
#   - the default command without a config: exit code 2 and a one-line message;
#   - `demo` with its ledger on the volume: the image's own HEALTHCHECK command, GET /healthz,
#     GET /status without the token (401) and with it (200, every connection has links), then
#     SIGTERM, exit code 0 and a checkpointed ledger.
# Environment: TB_VERIFY_CACHE (default /var/tmp/ticketbridge-verify), TB_DEBIAN_MIRROR (default:
# the Debian mirror in apt's sources). The built image stays as localhost/ticketbridge:verify.
# Single quotes keep Go templates, `sh -c` and `node -e` programs literal on purpose:
# shellcheck disable=SC2016
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${TB_VERIFY_CACHE:-/var/tmp/ticketbridge-verify}
SUITE=bookworm
BASE_IMAGE=localhost/tb-node-base:$SUITE
IMAGE=localhost/ticketbridge:verify
ROOTFS=$CACHE/$SUITE-minbase
LABEL=org.ticketbridge.verify-image
DEMO_TOKEN=demo-status-token
DEMO_PORT=8080

log() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok   %s\n' "$*"; }

[[ $(id -u) -eq 0 ]] || fail "run as root (debootstrap, podman storage, chroot and mounts need it)"
mkdir -p "$CACHE"

# --- tools -------------------------------------------------------------------------------------
missing=()
for tool in podman debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >"$CACHE/apt.log" 2>&1 || { tail -n 20 "$CACHE/apt.log"; fail "apt-get install ${missing[*]}"; }
fi
for tool in node curl unshare nsenter chroot ip; do command -v "$tool" >/dev/null || fail "$tool is required"; done

# --- stand-in base image: debootstrap'd Debian + this machine's node ---------------------------
debian_mirror() {
  if [[ -n ${TB_DEBIAN_MIRROR:-} ]]; then echo "$TB_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -v '^[[:space:]]*#' | grep -oE 'https?://[^[:space:]]+' | grep -E '/debian/?$' | head -n 1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

NODE_BIN=$(readlink -f "$(command -v node)")
NODE_PREFIX=$(dirname "$(dirname "$NODE_BIN")")
NPM_DIR=$NODE_PREFIX/lib/node_modules/npm
[[ -f $NPM_DIR/bin/npm-cli.js ]] || NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
NODE_HEADERS=$NODE_PREFIX/include/node
[[ -f $NPM_DIR/bin/npm-cli.js ]] || fail "cannot find npm next to $NODE_BIN"
# Without the headers node-gyp would try to download them, which the image build must not need.
[[ -f $NODE_HEADERS/node.h ]] || fail "no Node headers in $NODE_HEADERS"
NODE_VERSION=$(node -v)
NPM_VERSION=$(node "$NPM_DIR/bin/npm-cli.js" -v)

if [[ ! -f $ROOTFS.done ]]; then
  MIRROR=$(debian_mirror)
  log "debootstrap --variant=minbase $SUITE from $MIRROR (cached in $ROOTFS)"
  rm -rf "$ROOTFS" "$ROOTFS.partial"
  debootstrap --variant=minbase "$SUITE" "$ROOTFS.partial" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -n 20 "$CACHE/debootstrap.log"; fail "debootstrap (log: $CACHE/debootstrap.log)"; }
  rm -f "$ROOTFS.partial"/var/cache/apt/archives/*.deb
  rm -rf "$ROOTFS.partial"/var/lib/apt/lists/*
  mv "$ROOTFS.partial" "$ROOTFS"
  touch "$ROOTFS.done"
fi

EXTRA_CA_SUM=$( { cat "${NODE_EXTRA_CA_CERTS:-/dev/null}" 2>/dev/null || true; } | sha256sum | cut -c1-12)
BASE_KEY="recipe-3 $NODE_VERSION npm-$NPM_VERSION rootfs-$(stat -c %Y "$ROOTFS.done") ca-$EXTRA_CA_SUM"
if ! podman image exists "$BASE_IMAGE" || [[ $(cat "$CACHE/base-image.key" 2>/dev/null) != "$BASE_KEY" ]]; then
  log "stand-in base $BASE_IMAGE: Debian $SUITE minbase + node $NODE_VERSION, npm $NPM_VERSION"
  # /usr/local is empty after debootstrap, so replacing what an earlier run put there is enough.
  rm -rf "$ROOTFS"/usr/local/bin/{node,npm,npx} "$ROOTFS"/usr/local/lib/node_modules "$ROOTFS"/usr/local/include/node
  mkdir -p "$ROOTFS"/usr/local/{bin,lib/node_modules,include}
  cp -a "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
  cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
  cp -a "$NODE_HEADERS" "$ROOTFS/usr/local/include/node"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
  rm -f "$ROOTFS/usr/local/etc/npmrc" "$ROOTFS/usr/local/etc/tb-verify-ca.pem"
  # This machine reaches the npm registry through a TLS-intercepting proxy whose CA it trusts with
  # NODE_EXTRA_CA_CERTS. npm in the stand-in gets the same trust through its global npmrc (Node's
  # own roots plus that CA), which keeps the Dockerfile and the image's environment untouched.
  if [[ -n ${NODE_EXTRA_CA_CERTS:-} && -f $NODE_EXTRA_CA_CERTS ]]; then
    mkdir -p "$ROOTFS/usr/local/etc"
    { node -p "require('tls').rootCertificates.join('\\n')"; cat "$NODE_EXTRA_CA_CERTS"; } >"$ROOTFS/usr/local/etc/tb-verify-ca.pem"
    echo "cafile=/usr/local/etc/tb-verify-ca.pem" >"$ROOTFS/usr/local/etc/npmrc"
  fi
  chroot "$ROOTFS" /usr/bin/env -i /usr/local/bin/node -e 'process.exit(0)' || fail "the copied node does not run on Debian $SUITE (missing libraries?)"
  tar -C "$ROOTFS" --numeric-owner -c . |
    podman import --quiet --change "LABEL $LABEL=1" \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["node"]' - "$BASE_IMAGE" >/dev/null
  echo "$BASE_KEY" >"$CACHE/base-image.key"
  # Build-cache images made on an earlier base are now orphans. Every image here descends from the
  # base and carries its label, so pruning by it touches nothing else on the machine.
  while [[ -n $(podman image prune --force --filter "label=$LABEL=1" 2>/dev/null) ]]; do :; done
else
  log "stand-in base $BASE_IMAGE is up to date ($BASE_KEY)"
fi

# --- build --------------------------------------------------------------------------------------
log "podman build $IMAGE (log: $CACHE/build.log)"
previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
started=$SECONDS
# Docker format, as `docker build` makes: the OCI format has no HEALTHCHECK.
if ! podman build --isolation chroot --format docker --pull=never \
  --build-arg NODE_IMAGE="$BASE_IMAGE" -t "$IMAGE" "$REPO" >"$CACHE/build.log" 2>&1; then
  tail -n 40 "$CACHE/build.log"
  fail "podman build (log: $CACHE/build.log)"
fi
grep -E 'STEP [0-9]+/|COMMIT|Using cache' "$CACHE/build.log" | cut -c1-110 | sed 's/^/  /' || true
current=$(podman image inspect --format '{{.Id}}' "$IMAGE")
# The image this tag named before is now untagged; remove it so repeated runs do not pile up.
if [[ -n $previous && $previous != "$current" ]]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
ok "built in $((SECONDS - started)) s"

# --- mount a container of the image; everything below is undone on exit -----------------------
CTR=""
MNT=""
NETNS_PID=""
DEMO_PID=""
WORK=$(mktemp -d "$CACHE/run.XXXXXX")
cleanup() {
  set +e
  [[ -n $DEMO_PID ]] && kill -KILL "$DEMO_PID" 2>/dev/null
  # The mounts for the smoke run live in the holder's private mount namespace and vanish with it.
  [[ -n $NETNS_PID ]] && { kill "$NETNS_PID" 2>/dev/null; wait "$NETNS_PID" 2>/dev/null; }
  [[ -n $MNT ]] && podman umount "$CTR" >/dev/null 2>&1
  [[ -n $CTR ]] && podman rm -f "$CTR" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CTR=$(podman create --name "tb-verify-$$" "$IMAGE")
MNT=$(podman mount "$CTR")

inspect() { podman image inspect --format "$1" "$IMAGE"; }
lines() { inspect "{{range $1}}{{println .}}{{end}}" | sed "/^$/d"; }

log "image metadata"
mapfile -t ENTRYPOINT < <(lines .Config.Entrypoint)
mapfile -t CMD < <(lines .Config.Cmd)
mapfile -t IMAGE_ENV < <(lines .Config.Env)
mapfile -t HEALTH < <(lines .Config.Healthcheck.Test)
IMAGE_USER=$(inspect '{{.Config.User}}')
WORKDIR=$(inspect '{{.Config.WorkingDir}}')
expect_eq() { [[ $2 == "$3" ]] || fail "$1: expected '$3', got '$2'"; ok "$1: $2"; }
expect_eq user "$IMAGE_USER" ticketbridge
expect_eq entrypoint "${ENTRYPOINT[*]}" "node /app/dist/cli.js"
expect_eq cmd "${CMD[*]}" "run --config /etc/ticketbridge/config.yaml"
expect_eq workdir "$WORKDIR" /var/lib/ticketbridge
expect_eq 'stop signal' "$(inspect '{{.Config.StopSignal}}')" SIGTERM
expect_eq 'exposed ports' "$(inspect '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}')" "8080/tcp "
expect_eq volumes "$(inspect '{{range $v, $_ := .Config.Volumes}}{{$v}} {{end}}')" "/var/lib/ticketbridge "
[[ ${HEALTH[0]:-} == CMD && ${HEALTH[1]:-} == node ]] || fail "healthcheck: expected a node command, got '${HEALTH[*]}'"
HEALTH=("${HEALTH[@]:1}")
ok "healthcheck: ${HEALTH[*]:0:2} …/healthz"

log "image contents"
USER_LINE=$(grep "^$IMAGE_USER:" "$MNT/etc/passwd") || fail "no user $IMAGE_USER in the image"
IFS=: read -r _ _ USER_UID USER_GID _ USER_HOME _ <<<"$USER_LINE"
((USER_UID != 0)) || fail "the image user is root"
ok "user $IMAGE_USER is uid $USER_UID, gid $USER_GID, home $USER_HOME"
expect_eq "uid and gid (deploy/ runs the pod as 10001)" "$USER_UID:$USER_GID" 10001:10001
expect_eq 'owner of /var/lib/ticketbridge' "$(stat -c %u "$MNT/var/lib/ticketbridge")" "$USER_UID"
expect_eq 'owner of /app' "$(stat -c %u "$MNT/app")" 0
[[ -f $MNT/app/dist/cli.js && -f $MNT/app/package.json ]] || fail "dist/cli.js or package.json missing"
[[ ! -e $MNT/app/src && -z $(find "$MNT/app/dist" -name '*.ts' -print -quit) ]] || fail "TypeScript sources in the image"
ok "compiled JavaScript only ($(find "$MNT/app/dist" -name '*.js' | wc -l) files in /app/dist)"
for dev in typescript vitest tsx eslint nock; do [[ ! -e $MNT/app/node_modules/$dev ]] || fail "dev dependency $dev in the image"; done
ok "no dev dependencies in /app/node_modules"
[[ -f $MNT/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node ]] || fail "better-sqlite3 addon missing"
ok "better-sqlite3 addon present"
for tool in g++ make python3; do [[ ! -e $MNT/usr/bin/$tool ]] || fail "$tool in the runtime image"; done
ok "no compiler in the runtime image"

# A holder process owns a private network and mount namespace: the demo's ports cannot collide
# with anything on this machine, and the mounts made for it go away when it exits.
unshare --net --mount --propagation private sleep 3600 &
NETNS_PID=$!
for _ in $(seq 50); do [[ $(readlink "/proc/$NETNS_PID/ns/net") != "$(readlink /proc/self/ns/net)" ]] && break; sleep 0.1; done
ns() { nsenter --target "$NETNS_PID" --net --mount -- "$@"; }
ns ip link set lo up
# As docker-compose.yml runs it: a read-only root, a tmpfs on /tmp, the ledger volume writable.
mkdir "$WORK/volume"
ns mount --bind "$MNT/var/lib/ticketbridge" "$WORK/volume"
ns mount --bind "$MNT" "$MNT"
ns mount -o remount,bind,ro "$MNT"
ns mount -t proc proc "$MNT/proc"
ns mount --bind /dev "$MNT/dev"
ns mount -t tmpfs -o mode=1777 tmpfs "$MNT/tmp"
ns mount --bind "$WORK/volume" "$MNT/var/lib/ticketbridge"

# Sets IMAGE_CMD to run a command in the image as `docker run` would: as its user, in its working
# directory, with its environment (plus EXTRA_ENV). Every step execs the next, so a background
# "${IMAGE_CMD[@]}" & leaves $! naming the process itself, the one SIGTERM must reach.
EXTRA_ENV=()
image_cmd() {
  IMAGE_CMD=(nsenter --target "$NETNS_PID" --net --mount --
    chroot --userspec="$USER_UID:$USER_GID" "$MNT"
    /usr/bin/env -i "${IMAGE_ENV[@]}" HOME="$USER_HOME" "${EXTRA_ENV[@]}"
    /bin/sh -c 'cd "$0" && exec "$@"' "$WORKDIR" "$@")
}
run_image() { image_cmd "$@"; "${IMAGE_CMD[@]}"; }

out=$(run_image /bin/sh -c 'touch /var/tmp/x' 2>&1) && fail "the root filesystem is writable (/var/tmp)"
ok "root filesystem read-only, /tmp and /var/lib/ticketbridge writable, as in docker-compose.yml"

log "validate the shipped configurations inside the image"
ENV_EXAMPLE=$MNT/app/config/examples/docker.env.example
declare -a EXAMPLE_ENV=()
if [[ -f $ENV_EXAMPLE ]]; then mapfile -t EXAMPLE_ENV < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$ENV_EXAMPLE"); fi
out=$(run_image "${ENTRYPOINT[@]}" validate --config /app/config/demo.yaml 2>&1) || { echo "$out"; fail "validate demo.yaml"; }
ok "$out"
shopt -s nullglob
for file in "$MNT"/app/config/examples/*.yaml; do
  path=/app/config/examples/$(basename "$file")
  while read -r name; do
    printf '%s\n' "${EXAMPLE_ENV[@]}" | grep -q "^$name=" || fail "$path reads \${env:$name}, which docker.env.example does not list"
  done < <(grep -oE '\$\{env:[A-Za-z_][A-Za-z0-9_]*\}' "$file" | sed -E 's/^\$\{env:(.*)\}$/\1/' | sort -u)
  EXTRA_ENV=("${EXAMPLE_ENV[@]}")
  out=$(run_image "${ENTRYPOINT[@]}" validate --config "$path" 2>&1) || { echo "$out"; fail "validate $path"; }
  EXTRA_ENV=()
  ok "$(grep valid <<<"$out")"
done

log "the default command without a mounted config"
rc=0
out=$(run_image "${ENTRYPOINT[@]}" "${CMD[@]}" 2>&1) || rc=$?
[[ $rc -eq 2 && $out == *"cannot read the config file"* ]] || { echo "$out"; fail "expected exit code 2 and a clear message, got $rc"; }
ok "exit code 2: $out"

log "demo inside the image, its ledger on the volume"
http() { ns curl -sS --max-time 5 -o "$WORK/body" -w '%{http_code}' "$@"; }
LEDGER=/var/lib/ticketbridge/verify-demo.sqlite
image_cmd "${ENTRYPOINT[@]}" demo --config /app/config/demo.yaml --ledger "$LEDGER" --log-level warn
"${IMAGE_CMD[@]}" >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!
up=""
for _ in $(seq 120); do
  kill -0 "$DEMO_PID" 2>/dev/null || { cat "$WORK/demo.log"; fail "the demo exited before it answered /healthz"; }
  [[ $(http "http://127.0.0.1:$DEMO_PORT/healthz" 2>/dev/null || true) == 200 ]] && { up=1; break; }
  sleep 0.5
done
[[ -n $up ]] || { cat "$WORK/demo.log"; fail "no answer on /healthz within 60 s"; }
ok "GET /healthz -> 200 $(cat "$WORK/body")"
run_image "${HEALTH[@]}" || fail "the image's HEALTHCHECK command failed against the running demo"
ok "the image's HEALTHCHECK command exits 0"
code=$(http "http://127.0.0.1:$DEMO_PORT/status")
expect_eq 'GET /status without a token' "$code" 401
# The demo seeds tickets on each side; wait until they are mirrored (links in the ledger, which
# shows better-sqlite3 works in the image), at most 60 s.
summary='
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const c of s.connections) console.log(`     ${c.name}: ${c.links} links (${c.activeLinks} active), ${c.openErrors} errors, ${c.openConflicts} conflicts, health ${c.health.level}`);
  process.exit(s.connections.every((c) => c.links > 0) ? 0 : 1);
'
linked=""
for _ in $(seq 60); do
  code=$(http -H "Authorization: Bearer $DEMO_TOKEN" "http://127.0.0.1:$DEMO_PORT/status")
  [[ $code == 200 ]] && node -e "$summary" "$WORK/body" >/dev/null && { linked=1; break; }
  sleep 1
done
expect_eq 'GET /status with the demo token' "$code" 200
node -e "$summary" "$WORK/body" || true
[[ -n $linked ]] || { cat "$WORK/demo.log"; fail "a connection has no links 60 s after the demo seeded its tickets"; }

log "SIGTERM"
kill -TERM "$DEMO_PID"
stopped=""
for _ in $(seq 60); do kill -0 "$DEMO_PID" 2>/dev/null || { stopped=1; break; }; sleep 0.5; done
[[ -n $stopped ]] || { cat "$WORK/demo.log"; fail "still running 30 s after SIGTERM"; }
rc=0
wait "$DEMO_PID" || rc=$?
DEMO_PID=""
[[ $rc -eq 0 ]] || { cat "$WORK/demo.log"; fail "exit code $rc after SIGTERM"; }
ok "stopped with exit code 0; its last lines:"
grep -v '^[[:space:]]*$' "$WORK/demo.log" | tail -n 2 | sed 's/^/     /'
[[ $(stat -c %u "$MNT$LEDGER") == "$USER_UID" ]] || fail "$LEDGER missing or not owned by $IMAGE_USER"
ok "ledger $LEDGER written by $IMAGE_USER: $(stat -c %s "$MNT$LEDGER") bytes after the stop, WAL $( [[ -s $MNT$LEDGER-wal ]] && echo "not checkpointed" || echo "checkpointed")"

log "size"
size=$(inspect '{{.Size}}')
base_size=$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")
printf 'image %s: %s bytes (%s); stand-in base %s; ticketbridge adds %s\n' "$IMAGE" "$size" \
  "$(numfmt --to=iec-i --suffix=B "$size")" "$(numfmt --to=iec-i --suffix=B "$base_size")" "$(numfmt --to=iec-i --suffix=B $((size - base_size)))"
printf '\nPASS\n'
