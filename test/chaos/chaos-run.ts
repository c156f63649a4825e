// The chaos run: while a steady producer LPUSHes CDRs and a leader and a standby bridge run,
// kill -9 the leader at random moments (restarting a bridge each time), stop and restart the
// Kafka broker, restart Redis — then let an independent reader count every cdr_id in the
// topic. Lost or duplicated CDRs fail the run. Used by the bounded test and `npm run chaos`.

import { createHash } from 'node:crypto';
import IORedis, { type Redis } from 'ioredis';
import { syntheticCdrs } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess } from '../support/bridge-process';
import { OwnStack } from '../support/own-stack';
import { readTopic } from '../support/topic';

export interface ChaosOptions {
  cdrs: number;
  kills: number;
  brokerRestarts: number;
  redisRestarts: number;
  /** CDRs per second the producer pushes. */
  rate: number;
  leaseTtlMs: number;
  seed: number;
  log: (line: string) => void;
}

export interface ChaosResult {
  cdrs: number;
  kills: number;
  brokerRestarts: number;
  redisRestarts: number;
  lost: number;
  duplicated: number;
  inTopic: number;
  failoverMs: number[];
  seconds: number;
  /** The one line the run prints. */
  line: string;
}

type Event = 'kill' | 'broker' | 'redis';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Pushes a chunk at most once, however often it is retried: a marker key per chunk is set in
// the same script. A push whose reply was lost can then be retried without the test ever
// counting the producer's own double push as the bridge's duplicate.
const PUSH_ONCE = `if redis.call('SET', KEYS[2], '1', 'NX', 'EX', 86400) then
  return redis.call('LPUSH', KEYS[1], unpack(ARGV))
end
return 0`;

/** The dialler stand-in: pushes at a steady rate; pausable around Redis restarts. */
class Producer {
  pushed = 0;
  retries = 0;
  private paused = false;
  private inFlight: Promise<unknown> = Promise.resolve();
  readonly ids: string[] = [];
  readonly done: Promise<void>;
  private readonly redis: Redis;

  constructor(url: string, key: string, count: number, rate: number, seed: number) {
    this.redis = new IORedis(url, { maxRetriesPerRequest: null });
    this.redis.on('error', () => undefined);
    this.done = this.produce(key, count, rate, seed).finally(() => this.redis.disconnect());
  }

  private async produce(key: string, count: number, rate: number, seed: number): Promise<void> {
    const cdrs = syntheticCdrs({ seed });
    const perTick = Math.max(1, Math.round(rate / 20));
    const started = Date.now();
    for (let chunkNo = 0; this.pushed < count; chunkNo++) {
      while (this.paused) await sleep(20);
      const n = Math.min(perTick, count - this.pushed);
      const chunk: string[] = [];
      for (let i = 0; i < n; i++) chunk.push(cdrs.next().value as string);
      for (;;) {
        try {
          this.inFlight = this.redis.eval(PUSH_ONCE, 2, key, `${key}:chaos-chunk:${seed}:${chunkNo}`, ...chunk);
          await this.inFlight;
          break;
        } catch {
          this.retries++;
          await sleep(100);
        }
      }
      for (const c of chunk) this.ids.push(createHash('sha256').update(c).digest('hex'));
      this.pushed += n;
      const due = started + (this.pushed / rate) * 1000;
      await sleep(Math.max(0, due - Date.now()));
    }
  }

  /** Stops pushing and waits for the push in flight: a dialler cannot write to a Redis that is down. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.inFlight.catch(() => undefined);
  }

  resume(): void {
    this.paused = false;
  }
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const stack = await OwnStack.up();
  const bridges: BridgeProcess[] = [];
  const failoverMs: number[] = [];
  const done = { kills: 0, brokerRestarts: 0, redisRestarts: 0 };
  try {
    const source = 'chaos:enigma:notifications:campaigns';
    const topic = 'chaos.enigma.cdrs';
    const env = {
      REDIS_URL: stack.redisUrl,
      KAFKA_BROKERS: stack.kafkaBrokers,
      CDR_SOURCE_KEY: source,
      KAFKA_TOPIC: topic,
      LEASE_TTL_MS: String(opts.leaseTtlMs),
      HTTP_PORT: '0',
      SHUTDOWN_TIMEOUT_MS: '15000',
    };
    const redis = stack.redis();
    // Redis is restarted on purpose; the client reconnects, and its errors meanwhile are expected.
    redis.on('error', () => undefined);
    const startBridge = (): BridgeProcess => {
      const b = BridgeProcess.run(env);
      bridges.push(b);
      return b;
    };
    await startBridge().waitForLog('acquired the lease');
    startBridge();

    const producer = new Producer(stack.redisUrl, source, opts.cdrs, opts.rate, opts.seed);
    const events = shuffle<Event>([...Array(opts.kills).fill('kill'), ...Array(opts.brokerRestarts).fill('broker'), ...Array(opts.redisRestarts).fill('redis')], opts.seed);
    const produceMs = (opts.cdrs / opts.rate) * 1000;
    const gap = produceMs / (events.length + 1);

    for (const event of events) {
      await sleep(gap * (0.5 + Math.random()));
      if (event === 'kill') {
        // Right after a restart there may briefly be no leader: wait for one to kill.
        let leaderPid = -1;
        let leader: BridgeProcess | undefined;
        for (const until = Date.now() + 60_000; !leader && Date.now() < until; await sleep(50)) {
          leaderPid = await currentLeaderPid(redis, env.CDR_SOURCE_KEY).catch(() => -1);
          leader = bridges.find((b) => b.running && b.pid === leaderPid);
        }
        if (!leader) throw new Error(`no live leader to kill within 60 s (lease pid ${leaderPid})`);
        const killedAt = Date.now();
        leader.kill('SIGKILL');
        await leader.exited;
        startBridge();
        const next = await waitForNewLeader(redis, env.CDR_SOURCE_KEY, leaderPid, opts.leaseTtlMs * 10);
        failoverMs.push(Date.now() - killedAt);
        done.kills++;
        opts.log(`kill ${done.kills}: leader pid ${leaderPid} killed; pid ${next} leads after ${Date.now() - killedAt} ms`);
      } else if (event === 'broker') {
        const how = done.brokerRestarts % 2 === 0 ? 'stop' : 'kill';
        await stack[how]('kafka');
        await sleep(1000 + Math.random() * 2000);
        await stack.start('kafka');
        done.brokerRestarts++;
        opts.log(`broker restart ${done.brokerRestarts} (${how})`);
      } else {
        const how = done.redisRestarts % 2 === 0 ? 'stop' : 'kill';
        await producer.pause();
        await stack[how]('redis');
        await sleep(500 + Math.random() * 1500);
        await stack.start('redis');
        producer.resume();
        done.redisRestarts++;
        opts.log(`redis restart ${done.redisRestarts} (${how})`);
      }
    }
    await producer.done;
    opts.log(`producer done: ${producer.pushed} CDRs; waiting for the bridges to drain`);
    const drainDeadline = Date.now() + 300_000;
    for (;;) {
      const [s, p] = await Promise.all([redis.llen(source), redis.llen(`${source}:processing`)]).catch(() => [-1, -1]);
      if (s === 0 && p === 0) break;
      if (Date.now() > drainDeadline) throw new Error(`not drained after 5 min: source=${s} processing=${p}`);
      await sleep(200);
    }

    const counts = new Map<string, number>();
    const records = await readTopic(stack.kafka(), topic);
    for (const r of records) counts.set(r.cdr.cdr_id, (counts.get(r.cdr.cdr_id) ?? 0) + 1);
    let lost = 0;
    let duplicated = 0;
    for (const id of producer.ids) {
      const c = counts.get(id) ?? 0;
      if (c === 0) lost++;
      if (c > 1) duplicated += c - 1;
    }
    opts.log(`producer retried ${producer.retries} pushes (each at most once in the list)`);
    const result: ChaosResult = {
      cdrs: producer.pushed,
      ...done,
      lost,
      duplicated,
      inTopic: records.length,
      failoverMs,
      seconds: (Date.now() - started) / 1000,
      line: `cdrs=${producer.pushed} kills=${done.kills} broker_restarts=${done.brokerRestarts} redis_restarts=${done.redisRestarts} lost=${lost} duplicated=${duplicated}`,
    };
    return result;
  } finally {
    for (const b of bridges) b.kill('SIGKILL');
    await Promise.all(bridges.map((b) => b.exited));
    await stack.down();
  }
}

async function currentLeaderPid(redis: Redis, source: string): Promise<number> {
  const token = await redis.get(`${source}:lease`);
  return token ? Number(token.split('|')[1]) : -1;
}

async function waitForNewLeader(redis: Redis, source: string, oldPid: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = await currentLeaderPid(redis, source).catch(() => -1);
    if (pid > 0 && pid !== oldPid) return pid;
    if (Date.now() > deadline) throw new Error(`no new leader within ${timeoutMs} ms of killing pid ${oldPid}`);
    await sleep(20);
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
