# Sourced by scripts/stack: the network fault bed of `up --proxy` — Toxiproxy between each bridge
# and each service, so a test can make one bridge's path fail without closing (held, slowed, cut)
# while another's works. Two paths, a and b (one per bridge); each has a proxy in front of Redis
# and one in front of every Kafka node.
#
# Kafka clients connect to the address a broker ADVERTISES after bootstrap, not to the one they
# bootstrapped with, so a proxy in front of a broker must be what the broker advertises: every
# node gets a listener per path (PATH_A, PATH_B) on a port of its own, advertised as the port of
# that path's proxy. A client that bootstraps through proxy a is told, for every node, proxy a's
# address for it; the PLAINTEXT listener (what tests read with) stays direct.
#
# Toxiproxy itself is built from the Go module proxy (`go install`), once, into the cache.
# shellcheck shell=bash

readonly TOXIPROXY_VERSION=${TOXIPROXY_VERSION:-2.5.0}
readonly PROXY_PATHS=(a b)

# State (saved by scripts/stack): whether the stack has the proxies, the API port, and per node
# and path (node-major: node 1 path a, node 1 path b, node 2 path a, ...) the broker's listener
# port and its proxy's port; per path the Redis proxy's port.
WITH_PROXY=0
TOXIPROXY_PORT=""
PATH_LISTENER_PORTS=""
PATH_PROXY_PORTS=""
REDIS_PROXY_PORTS=""
TOXIPROXY_BIN=""

# Ports `up` needs for the proxies of a stack of $1 Kafka nodes: the API, then per node and path
# a listener and a proxy, then per path a Redis proxy.
proxy_port_count() {
  echo $((1 + ${#PROXY_PATHS[@]} * (2 * $1 + 1)))
}

# assign_proxy_ports PORT...: the ports picked by `up`, in proxy_port_count's order.
assign_proxy_ports() {
  local ports=("$@") per_path=${#PROXY_PATHS[@]} nodes
  nodes=$(((${#ports[@]} - 1 - per_path) / (2 * per_path)))
  TOXIPROXY_PORT=${ports[0]}
  PATH_LISTENER_PORTS=${ports[*]:1:nodes*per_path}
  PATH_PROXY_PORTS=${ports[*]:1+nodes*per_path:nodes*per_path}
  REDIS_PROXY_PORTS=${ports[*]:1+2*nodes*per_path:per_path}
}

# path_port listener|proxy NODE PATH: a node's listener for a path, or that listener's proxy.
path_port() {
  local kind=$1 node=$2 path=$3 list index i
  if [[ $kind == listener ]]; then list=($PATH_LISTENER_PORTS); else list=($PATH_PROXY_PORTS); fi
  for i in "${!PROXY_PATHS[@]}"; do [[ ${PROXY_PATHS[$i]} == "$path" ]] && index=$i; done
  echo "${list[$((($(kafka_node_id "$node") - 1) * ${#PROXY_PATHS[@]} + index))]}"
}

redis_proxy_port() {
  local list=($REDIS_PROXY_PORTS) i
  for i in "${!PROXY_PATHS[@]}"; do [[ ${PROXY_PATHS[$i]} == "$1" ]] && echo "${list[$i]}"; done
}

path_listener_name() { echo "PATH_${1^^}"; }

# The three listener lines of a node's server.properties, with the path listeners when proxied.
kafka_listener_properties() {
  local node=$1 port=$2 cport=$3 path listeners advertised map
  listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
  advertised="PLAINTEXT://127.0.0.1:$port"
  map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ $WITH_PROXY == 1 ]]; then
    for path in "${PROXY_PATHS[@]}"; do
      listeners+=",$(path_listener_name "$path")://127.0.0.1:$(path_port listener "$node" "$path")"
      advertised+=",$(path_listener_name "$path")://127.0.0.1:$(path_port proxy "$node" "$path")"
      map+=",$(path_listener_name "$path"):PLAINTEXT"
    done
  fi
  printf 'listeners=%s\nadvertised.listeners=%s\nlistener.security.protocol.map=%s\n' "$listeners" "$advertised" "$map"
}

# Proxy names: <node>-<path> in front of a Kafka node (kafka-a; kafka-1-a on a cluster), redis-<path>.
kafka_proxy_name() { echo "$1-$2"; }
redis_proxy_name() { echo "redis-$1"; }

# Lines for .stack/env: the API, and per path what a bridge on it connects to and its proxies' names.
proxy_env_lines() {
  [[ $WITH_PROXY == 1 ]] || return 0
  local path node upper brokers names
  env_line TOXIPROXY_URL "http://127.0.0.1:$TOXIPROXY_PORT"
  env_line PROXY_PATHS "$(
    IFS=,
    echo "${PROXY_PATHS[*]}"
  )"
  for path in "${PROXY_PATHS[@]}"; do
    upper=${path^^}
    brokers=()
    names=()
    for node in $(kafka_nodes); do
      brokers+=("127.0.0.1:$(path_port proxy "$node" "$path")")
      names+=("$(kafka_proxy_name "$node" "$path")")
    done
    env_line "PATH_${upper}_KAFKA_BROKERS" "$(
      IFS=,
      echo "${brokers[*]}"
    )"
    env_line "PATH_${upper}_KAFKA_PROXIES" "$(
      IFS=,
      echo "${names[*]}"
    )"
    env_line "PATH_${upper}_REDIS_URL" "redis://127.0.0.1:$(redis_proxy_port "$path")"
    env_line "PATH_${upper}_REDIS_PROXY" "$(redis_proxy_name "$path")"
  done
}

# Toxiproxy's -config: every proxy of the stack, created (enabled) as the server starts.
write_proxy_config() {
  local node path sep="" first=1
  printf '['
  for path in "${PROXY_PATHS[@]}"; do
    for node in $(kafka_nodes); do
      ((first)) || sep=","
      first=0
      printf '%s\n  {"name": "%s", "listen": "127.0.0.1:%s", "upstream": "127.0.0.1:%s", "enabled": true}' \
        "$sep" "$(kafka_proxy_name "$node" "$path")" "$(path_port proxy "$node" "$path")" "$(path_port listener "$node" "$path")"
    done
    printf ',\n  {"name": "%s", "listen": "127.0.0.1:%s", "upstream": "127.0.0.1:%s", "enabled": true}' \
      "$(redis_proxy_name "$path")" "$(redis_proxy_port "$path")" "$REDIS_PORT"
  done
  printf '\n]\n'
}

# The Go toolchain: `go` on PATH, or the usual install location.
find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    echo /usr/local/go/bin/go
  else
    return 1
  fi
}

# Build toxiproxy-server $TOXIPROXY_VERSION from the Go module proxy into the cache, once. Only
# the binary is kept: the module and build caches live in a scratch dir removed afterwards.
ensure_toxiproxy() {
  local home="$CACHE_DIR/toxiproxy-$TOXIPROXY_VERSION"
  TOXIPROXY_BIN="$home/bin/toxiproxy-server"
  [[ -x $TOXIPROXY_BIN && -f $home/.complete ]] && return 0
  local go
  go=$(find_go) || die "Go is needed to build Toxiproxy (github.com/Shopify/toxiproxy/v2) for up --proxy"
  mkdir -p "$home"
  exec 8>"$home/.lock"
  flock -w 900 8 || die "timed out waiting for another build of Toxiproxy $TOXIPROXY_VERSION"
  if [[ -x $TOXIPROXY_BIN && -f $home/.complete ]]; then
    exec 8>&-
    return 0
  fi
  log "building Toxiproxy $TOXIPROXY_VERSION from the Go module proxy (cached afterwards in $home)"
  local work
  work=$(mktemp -d)
  if ! GOPATH="$work/go" GOMODCACHE="$work/go/pkg/mod" GOCACHE="$work/cache" GOBIN="$work/bin" \
    GOFLAGS="-mod=mod -modcacherw" GOTOOLCHAIN=local \
    "$go" install "github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION" >"$work/go.log" 2>&1; then
    tail -n 30 "$work/go.log" >&2
    rm -rf "$work"
    die "could not build github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION"
  fi
  mkdir -p "$home/bin"
  mv -f "$work/bin/server" "$TOXIPROXY_BIN"
  rm -rf "$work"
  touch "$home/.complete"
  exec 8>&-
}

start_toxiproxy() {
  if live_pid toxiproxy >/dev/null; then return 0; fi
  ensure_toxiproxy
  local dir="$STACK_DATA_DIR/toxiproxy"
  mkdir -p "$dir"
  write_proxy_config >"$dir/proxies.json"
  # Its default level logs every connection at trace: info keeps accepted connections and errors.
  launch toxiproxy "$dir" "$dir/toxiproxy.out" env LOG_LEVEL="${TOXIPROXY_LOG_LEVEL:-info}" "$TOXIPROXY_BIN" \
    -host 127.0.0.1 -port "$TOXIPROXY_PORT" -config "$dir/proxies.json"
  wait_toxiproxy
}

# Ready = the API answers and lists every proxy of the config (each one listening).
wait_toxiproxy() {
  local deadline=$((SECONDS + READY_TIMEOUT)) want listed
  want=$(grep -c '"name"' "$STACK_DATA_DIR/toxiproxy/proxies.json")
  while ((SECONDS < deadline)); do
    if ! live_pid toxiproxy >/dev/null; then
      tail -n 20 "$STACK_DATA_DIR/toxiproxy/toxiproxy.out" >&2 2>/dev/null || true
      die "toxiproxy exited during startup"
    fi
    listed=$(curl -s -m 2 "http://127.0.0.1:$TOXIPROXY_PORT/proxies" 2>/dev/null | grep -o '"enabled":true' | wc -l || true)
    if ((listed == want)); then
      log "toxiproxy $TOXIPROXY_VERSION ready on http://127.0.0.1:$TOXIPROXY_PORT with $want proxies (pid $(live_pid toxiproxy))"
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$STACK_DATA_DIR/toxiproxy/toxiproxy.out" >&2 2>/dev/null || true
  die "toxiproxy not ready after ${READY_TIMEOUT}s"
}
