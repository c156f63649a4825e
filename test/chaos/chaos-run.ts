// The chaos run: while a steady dialler LPUSHes CDRs and a leader and a standby bridge run,
// kill -9 the leader at random moments (restarting a bridge each time), freeze it past its
// lease (SIGSTOP, then SIGCONT once a standby leads), stop/kill and restart Kafka nodes, pause
// them, restart Redis — then let an independent read_committed reader check every cdr_id in
// the topic. Lost, duplicated or reordered CDRs fail the run. On one Kafka node (the default)
// or on the three-node fault bed. Used by the bounded tests and `npm run chaos`.

import { BridgeProcess, leaseHolderPid, waitForNewLeaseHolder } from '../support/bridge-process';
import { checkDelivery } from '../support/delivery-check';
import { cdrsOnKeys, SteadyDialler } from '../support/dialler';
import { kafkaNode, OwnStack, type KafkaNode } from '../support/own-stack';
import { uniqueName } from '../support/services';
import { oracleRecords } from '../support/oracle-topic';

export interface ChaosOptions {
  cdrs: number;
  /** Leader kill -9s. */
  kills: number;
  /** Leader freezes: SIGSTOP past the lease, SIGCONT once another bridge leads. */
  freezes?: number;
  /** A Kafka node stopped or killed (alternately), then started again. */
  brokerRestarts: number;
  /** A Kafka node paused (SIGSTOP) past its session timeout, then resumed; three nodes only. */
  brokerPauses?: number;
  redisRestarts: number;
  /** Kafka nodes of the stack the run starts: 1 (default) or 3. */
  brokers?: 1 | 3;
  /** Run on this stack (left running) instead of starting one. */
  stack?: OwnStack;
  /** CDRs per second the dialler pushes. */
  rate: number;
  leaseTtlMs: number;
  seed: number;
  log: (line: string) => void;
}

export interface ChaosResult {
  cdrs: number;
  kills: number;
  freezes: number;
  brokerRestarts: number;
  brokerPauses: number;
  redisRestarts: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Records whose content is not what the oracle's rules expect of their payload. */
  altered: number;
  inTopic: number;
  failoverMs: number[];
  seconds: number;
  /** The one line the run prints. */
  line: string;
}

type Event = 'kill' | 'freeze' | 'broker' | 'pause' | 'redis';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const stack = opts.stack ?? (await OwnStack.up({ brokers: opts.brokers ?? 1 }));
  const nodes = stack.kafkaNodeIds;
  if ((opts.brokerPauses ?? 0) > 0 && nodes.length < 3) throw new Error('broker pauses need the three-node stack (brokers: 3)');
  const bridges: BridgeProcess[] = [];
  const failoverMs: number[] = [];
  const done = { kills: 0, freezes: 0, brokerRestarts: 0, brokerPauses: 0, redisRestarts: 0 };
  let dialler: SteadyDialler | undefined;
  try {
    const source = uniqueName('chaos:enigma:notifications:campaigns');
    const topic = uniqueName('chaos.enigma.cdrs');
    const env = {
      REDIS_URL: stack.redisUrl,
      KAFKA_BROKERS: stack.kafkaBrokers,
      CDR_SOURCE_KEY: source,
      KAFKA_TOPIC: topic,
      LEASE_TTL_MS: String(opts.leaseTtlMs),
      HTTP_PORT: '0',
      SHUTDOWN_TIMEOUT_MS: '15000',
      SCHEMA_REGISTRY_URL: '',
    };
    const redis = stack.redis();
    const startBridge = (): BridgeProcess => {
      const b = BridgeProcess.run(env);
      bridges.push(b);
      return b;
    };
    await startBridge().waitForLog('acquired the lease');
    await startBridge().waitForLog('lease held by another bridge');

    // Keys repeat (64 of them), so per-key order is checked, not only counts.
    dialler = new SteadyDialler({ redisUrl: stack.redisUrl, key: source, count: opts.cdrs, rate: opts.rate, seed: opts.seed, payloads: cdrsOnKeys(opts.seed, 64) });
    const events = shuffle<Event>([
      ...Array<Event>(opts.kills).fill('kill'),
      ...Array<Event>(opts.freezes ?? 0).fill('freeze'),
      ...Array<Event>(opts.brokerRestarts).fill('broker'),
      ...Array<Event>(opts.brokerPauses ?? 0).fill('pause'),
      ...Array<Event>(opts.redisRestarts).fill('redis'),
    ], opts.seed);
    const gap = ((opts.cdrs / opts.rate) * 1000) / (events.length + 1);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

    /** The bridge holding the lease (right after a failover there may briefly be none). */
    const leader = async (): Promise<BridgeProcess> => {
      let pid = -1;
      for (const until = Date.now() + 60_000; Date.now() < until; await sleep(50)) {
        pid = await leaseHolderPid(redis, source).catch(() => -1);
        const b = bridges.find((x) => x.running && x.pid === pid);
        if (b) return b;
      }
      throw new Error(`no live leader within 60 s (lease pid ${pid})`);
    };

    for (const event of events) {
      await sleep(gap * (0.5 + Math.random()));
      if (event === 'kill' || event === 'freeze') {
        const victim = await leader();
        const at = Date.now();
        if (event === 'kill') {
          victim.kill('SIGKILL');
          await victim.exited;
        } else {
          victim.kill('SIGSTOP');
        }
        const next = await waitForNewLeaseHolder(redis, source, victim.pid, Math.max(opts.leaseTtlMs * 10, 60_000));
        failoverMs.push(Date.now() - at);
        if (event === 'freeze') {
          // Frozen past its lease (a standby leads now): thawed, it must find itself fenced.
          victim.kill('SIGCONT');
          done.freezes++;
        } else {
          done.kills++;
        }
        opts.log(`${event} ${event === 'kill' ? done.kills : done.freezes}: leader pid ${victim.pid} ${event === 'kill' ? 'killed' : 'frozen'}; pid ${next} leads after ${Date.now() - at} ms`);
        // Two bridges again before the next fault — a killed one replaced, as a supervisor would,
        // and ready as a standby, so each failover is measured with a standby in place.
        if (bridges.filter((b) => b.running).length < 2) await startedUp(startBridge());
      } else if (event === 'broker') {
        const how = done.brokerRestarts % 2 === 0 ? 'stop' : 'kill';
        const node: KafkaNode = nodes.length === 1 ? 'kafka' : kafkaNode(await stack.leaderOf(topic, Math.floor(Math.random() * 3)).catch(() => pick(nodes)));
        await stack[how](node);
        await sleep(1000 + Math.random() * 2000);
        await stack.start(node);
        done.brokerRestarts++;
        opts.log(`broker restart ${done.brokerRestarts} (${how} ${node})`);
      } else if (event === 'pause') {
        const node = kafkaNode(pick(nodes));
        await stack.pause(node);
        // Past the session timeout (3 s on the bed): the controller fences it, the ISRs shrink.
        await sleep(4000 + Math.random() * 2000);
        await stack.resume(node);
        done.brokerPauses++;
        opts.log(`broker pause ${done.brokerPauses} (${node})`);
      } else {
        const how = done.redisRestarts % 2 === 0 ? 'stop' : 'kill';
        await dialler.pause();
        await stack[how]('redis');
        await sleep(500 + Math.random() * 1500);
        await stack.start('redis');
        dialler.resume();
        done.redisRestarts++;
        opts.log(`redis restart ${done.redisRestarts} (${how})`);
      }
    }
    await dialler.done;
    opts.log(`dialler done: ${dialler.pushed} CDRs; waiting for the bridges to drain`);
    const drainDeadline = Date.now() + 300_000;
    for (;;) {
      const [s, p] = await Promise.all([redis.llen(source), redis.llen(`${source}:processing`)]).catch(() => [-1, -1]);
      if (s === 0 && p === 0) break;
      if (Date.now() > drainDeadline) throw new Error(`not drained after 5 min: source=${s} processing=${p}`);
      await sleep(200);
    }

    // Read by the oracle (librdkafka + Apache Avro in Python), not by the project's reader.
    const records = await oracleRecords(stack.kafkaBrokers, topic);
    const report = checkDelivery(dialler.ids, records, dialler.payloads);
    opts.log(`dialler retried ${dialler.retries} pushes (each at most once in the list)`);
    const brokers = nodes.length === 1 ? '' : ` brokers=${nodes.length}`;
    return {
      cdrs: dialler.pushed,
      ...done,
      lost: report.lost,
      duplicated: report.duplicated,
      outOfOrder: report.outOfOrder,
      altered: report.altered,
      inTopic: records.length,
      failoverMs,
      seconds: (Date.now() - started) / 1000,
      line: `cdrs=${dialler.pushed}${brokers} kills=${done.kills} freezes=${done.freezes} broker_restarts=${done.brokerRestarts} broker_pauses=${done.brokerPauses} redis_restarts=${done.redisRestarts} lost=${report.lost} duplicated=${report.duplicated} out_of_order=${report.outOfOrder} altered=${report.altered}`,
    };
  } catch (err) {
    // What the bridges said last is most of a failed run's story.
    for (const b of bridges) opts.log(`bridge pid ${b.pid} (${b.running ? 'running' : 'exited'}), last log lines:\n${b.stderr.split('\n').slice(-6).join('\n')}`);
    throw err;
  } finally {
    for (const b of bridges) {
      b.kill('SIGCONT');
      b.kill('SIGKILL');
    }
    await Promise.all(bridges.map((b) => b.exited));
    await dialler?.stop();
    if (opts.stack) await opts.stack.heal();
    // On an attached stack this only closes the clients (open ones would keep the process alive).
    await stack.down();
  }
}

/** A replacement bridge is up once it leads or stands by; one that never gets there fails the run. */
async function startedUp(b: BridgeProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!b.logs.some((l) => l.msg.startsWith('acquired the lease') || l.msg.startsWith('lease held by another bridge'))) {
    if (!b.running) throw new Error(`a replacement bridge (pid ${b.pid}) exited before it led or stood by; stderr:\n${b.stderr.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`a replacement bridge (pid ${b.pid}) neither led nor stood by within 60 s; stderr:\n${b.stderr.slice(-2000)}`);
    await sleep(50);
  }
}

function shuffle<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0 || 1;
  const random = (): number => {
    a ^= a << 13;
    a ^= a >>> 17;
    a ^= a << 5;
    return (a >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
