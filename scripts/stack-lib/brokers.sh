# Sourced by scripts/stack: the Kafka nodes of a stack, one (`kafka`, the default) or three
# (`up --brokers 3`: kafka-1..kafka-3, combined broker+controller KRaft nodes, replication 3,
# min ISR 2) — the fault bed of the three-broker tests. Also what only makes sense per node:
# pause/resume (SIGSTOP/SIGCONT) and which node leads a partition.
# shellcheck shell=bash

# Node names: `kafka` on a one-node stack, kafka-1..kafka-N on a cluster.
kafka_nodes() {
  if ((BROKERS == 1)); then
    echo kafka
  else
    local n
    for ((n = 1; n <= BROKERS; n++)); do echo "kafka-$n"; done
  fi
}

# A node name as the user gave it → the node's name in this stack: `kafka` is node 1 of a
# cluster, `kafka-1` is the node of a one-node stack. Fails for a node the stack lacks.
kafka_node_name() {
  local name=$1 n
  case $name in
  kafka) n=1 ;;
  kafka-[0-9]*) n=${name#kafka-} ;;
  *) return 1 ;;
  esac
  [[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= BROKERS)) || return 1
  if ((BROKERS == 1)); then echo kafka; else echo "kafka-$n"; fi
}

kafka_node_id() {
  if [[ $1 == kafka ]]; then echo 1; else echo "${1#kafka-}"; fi
}

# The PLAINTEXT port of a node, or its CONTROLLER port with `controller` (a one-node stack
# keeps KAFKA_PORT and CONTROLLER_PORT).
kafka_node_port() {
  local single=$KAFKA_PORT list=$KAFKA_PORTS ports
  if [[ ${2:-} == controller ]]; then
    single=$CONTROLLER_PORT
    list=$CONTROLLER_PORTS
  fi
  if ((BROKERS == 1)); then
    echo "$single"
    return 0
  fi
  read -r -a ports <<<"$list"
  echo "${ports[$(($(kafka_node_id "$1") - 1))]}"
}

kafka_bootstrap() {
  local node list=()
  for node in $(kafka_nodes); do list+=("127.0.0.1:$(kafka_node_port "$node")"); done
  (
    IFS=,
    echo "${list[*]}"
  )
}

# server.properties of node $1 of a cluster: every node is broker and controller, one voter
# list, and every internal topic (offsets, transaction state, share state) at replication
# $BROKERS (≤ 3) with min ISR 2, so one node may be down or paused without refusing writes.
write_cluster_node_properties() {
  local node=$1 id port cport voters=() n rf=$((BROKERS < 3 ? BROKERS : 3))
  local min_isr=$((rf > 1 ? 2 : 1))
  id=$(kafka_node_id "$node")
  port=$(kafka_node_port "$node")
  cport=$(kafka_node_port "$node" controller)
  for n in $(kafka_nodes); do voters+=("$(kafka_node_id "$n")@127.0.0.1:$(kafka_node_port "$n" controller)"); done
  cat <<EOF
# Written by scripts/stack: node $id of a $BROKERS-node KRaft cluster (broker and controller).
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$(
    IFS=,
    echo "${voters[*]}"
  )
$(kafka_listener_properties "$node" "$port" "$cport")
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$STACK_DATA_DIR/$node/data
num.partitions=3
default.replication.factor=$rf
min.insync.replicas=$min_isr
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
# A paused (SIGSTOPped) node is fenced and dropped from every ISR after the session timeout;
# a killed one may re-register once its previous incarnation is fenced.
broker.heartbeat.interval.ms=$BROKER_HEARTBEAT_MS
broker.session.timeout.ms=$BROKER_SESSION_MS
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
log.retention.hours=168
EOF
}

# pause / resume: SIGSTOP / SIGCONT a node. Its kernel still accepts connections, so clients
# wait on it until their request timeout — the "slow or frozen broker" of the fault tests.
pause_node() {
  local node=$1 pid
  pid=$(live_pid "$node") || die "$node is not running"
  [[ $(proc_state "$pid") == T ]] && return 0
  log "pausing $node (pid $pid, SIGSTOP)"
  kill -STOP "$pid"
}

resume_node() {
  local node=$1 pid
  pid=$(live_pid "$node") || die "$node is not running"
  [[ $(proc_state "$pid") == T ]] || return 0
  log "resuming $node (pid $pid, SIGCONT)"
  kill -CONT "$pid"
}

# A stopped process cannot act on SIGTERM: thaw it first (stop, down).
resume_if_paused() {
  local pid
  pid=$(live_pid "$1") || return 0
  [[ $(proc_state "$pid") == T ]] && kill -CONT "$pid" 2>/dev/null
  return 0
}

node_is_paused() {
  local pid
  pid=$(live_pid "$1") || return 1
  [[ $(proc_state "$pid") == T ]]
}

# `leader TOPIC [PARTITION]`: the id (N of kafka-N; 1 on a one-node stack) of the node leading
# the partition, as the cluster's metadata says, asked of the running, unpaused nodes only (a
# paused one would hold the request until it times out). Uses the repo's @platformatic/kafka.
cmd_leader() {
  local topic=${1:-} partition=${2:-0} node list=()
  [[ -n $topic && $partition =~ ^[0-9]+$ ]] || usage
  load_state || die "the stack is not up (run: scripts/stack up)"
  for node in $(kafka_nodes); do
    live_pid "$node" >/dev/null && ! node_is_paused "$node" && list+=("127.0.0.1:$(kafka_node_port "$node")")
  done
  ((${#list[@]})) || die "no Kafka node is running and unpaused"
  [[ -d $ROOT/node_modules/@platformatic/kafka ]] || die "@platformatic/kafka is missing: run npm ci"
  (
    IFS=,
    # The project's Node: the client needs a newer one than a system Node 20 (Promise.withResolvers).
    "$(bash "$ROOT/scripts/pinned-node")/bin/node" "$LIB/partition-leader.js" "${list[*]}" "$topic" "$partition"
  )
}
