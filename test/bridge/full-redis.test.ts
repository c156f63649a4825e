// A full Redis (maxmemory, noeviction) through the real CLI: Redis refuses the dialler's LPUSH,
// and the bridge — the one process that frees memory — must still lead, take, ack and
// dead-letter until the backlog is gone. Each test starts a redis-server of its own and fills it
// until LPUSH answers OOM; Kafka is the stack's (or, where it is stopped, a stack of the test's own).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import type { DoctorReport } from '../../src/bridge/doctor';
import type { Status } from '../../src/cli/commands/status';
import { syntheticCdrs } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess, runCli, type LogLine } from '../support/bridge-process';
import { settledDelivery } from '../support/delivery-check';
import { cdrsOnKeys, SteadyDialler } from '../support/dialler';
import { LocalRedis } from '../support/local-redis';
import { endpointsOf, httpGet, sample } from '../support/ops-endpoints';
import { OwnStack } from '../support/own-stack';
import { assertAllDelivered, Scenario, sha256 } from '../support/scenario';
import { waitFor } from '../support/services';
import { readTopicUntil } from '../support/topic';

// A broker restart on a loaded machine can take longer than scripts/stack's default wait.
process.env.STACK_TIMEOUT ??= '170';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-full-redis-'));
const servers: LocalRedis[] = [];
const clients: Redis[] = [];
const scenarios: Scenario[] = [];

after(async () => {
  for (const c of clients) c.disconnect();
  for (const s of scenarios) await s.close();
  for (const r of servers) await r.kill();
  rmSync(dir, { recursive: true, force: true });
});

function scenario(): Scenario {
  const s = new Scenario();
  scenarios.push(s);
  return s;
}

/** Room for about 12,000 synthetic CDRs above what an empty Redis uses. */
const HEADROOM_BYTES = 3 * 1024 * 1024;

/** A redis-server of the test's own with AOF, noeviction and maxmemory = used + `headroom`. */
async function cappedRedis(name: string, headroom = HEADROOM_BYTES): Promise<{ url: string; redis: Redis }> {
  const server = await LocalRedis.start(path.join(dir, name), ['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']);
  servers.push(server);
  const url = `redis://127.0.0.1:${server.port}`;
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  clients.push(redis);
  const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  await redis.config('SET', 'maxmemory', String(used + headroom));
  return { url, redis };
}

const isOom = (err: unknown): boolean => err instanceof Error && err.message.startsWith('OOM ');

/**
 * LPUSHes payloads, oldest first, until Redis refuses one with OOM (in chunks of 100, then one
 * by one from the refused chunk): what a dialler meets. Returns what was accepted, in push order.
 */
async function fillUntilRefused(redis: Redis, key: string, payloads: Iterator<string | Buffer>): Promise<(string | Buffer)[]> {
  const pushed: (string | Buffer)[] = [];
  for (;;) {
    const chunk: (string | Buffer)[] = [];
    for (let i = 0; i < 100; i++) chunk.push(payloads.next().value as string | Buffer);
    try {
      await redis.lpush(key, ...chunk);
      pushed.push(...chunk);
      continue;
    } catch (err) {
      if (!isOom(err)) throw err;
    }
    for (const one of chunk) {
      try {
        await redis.lpush(key, one);
        pushed.push(one);
      } catch (err) {
        if (!isOom(err)) throw err;
        return pushed;
      }
    }
  }
}

async function refusesPush(redis: Redis, key: string): Promise<boolean> {
  return redis.lpush(key, '{"internal_call_ref":"probe"}').then(async () => {
    await redis.lpop(key);
    return false;
  }, (err: unknown) => {
    if (!isOom(err)) throw err;
    return true;
  });
}

const lines = (b: BridgeProcess, text: string): LogLine[] => b.logs.filter((l) => typeof l.msg === 'string' && l.msg.includes(text));

async function drained(redis: Redis, s: Scenario, timeoutMs: number): Promise<void> {
  await waitFor('the source and processing lists to drain', async () => (await redis.llen(s.source)) === 0 && (await redis.llen(s.processing)) === 0, timeoutMs, 50);
}

describe('a bridge started against a full Redis', () => {
  it('leads, drains the backlog to empty with nothing lost or doubled, and the dialler\'s LPUSH works again', async (t) => {
    const s = scenario();
    const { url, redis } = await cappedRedis('drain');
    const backlog = await fillUntilRefused(redis, s.source, syntheticCdrs({ seed: 1601 }));
    assert.ok(backlog.length > 5000, `a backlog of ${backlog.length} CDRs`);
    assert.ok(await refusesPush(redis, s.source), 'the dialler\'s LPUSH is refused with OOM');

    const started = Date.now();
    const bridge = BridgeProcess.run(s.env({ REDIS_URL: url }));
    try {
      const led = await bridge.waitForLog('acquired the lease', 90_000);
      const ledAt = Date.now();
      await drained(redis, s, 120_000);
      const drainedAt = Date.now();
      t.diagnostic(`${backlog.length} CDRs: led ${ledAt - started} ms after start, drained ${drainedAt - ledAt} ms after leading`);
      assert.equal(led.level, 'info');
      const memoryWarning = lines(bridge, 'redis.memory');
      assert.equal(memoryWarning.length, 1, 'the full Redis is said once at start');
      assert.match(memoryWarning[0]!.msg, /Redis refuses writes \(OOM\)/);
      assert.equal(lines(bridge, 'cannot take the lease').length, 0);

      const records = await readTopicUntil(s.kafka, s.topic, backlog.length);
      assert.equal(records.length, backlog.length, 'as many records as CDRs, no more');
      const copies = assertAllDelivered(backlog as string[], records);
      assert.ok([...copies.values()].every((n) => n === 1), 'each CDR exactly once');

      // Room again: the dialler's next CDR is accepted and carried like any other.
      const next = syntheticCdrs({ seed: 1602 }).next().value as string;
      await redis.lpush(s.source, next);
      const after = await readTopicUntil(s.kafka, s.topic, backlog.length + 1);
      assert.ok(after.some((r) => r.cdr.cdr_id === sha256(next)));
    } finally {
      assert.equal((await bridge.stop()).code, 0, bridge.stderr.slice(-2000));
    }
  });

  it('dead-letters the malformed CDRs of a full backlog with their reasons, losing none', async (t) => {
    const s = scenario();
    const { url, redis } = await cappedRedis('dead-letters');
    // Every 40th CDR is malformed: truncated JSON, or no internal_call_ref.
    function* mixed(): Generator<string> {
      let i = 0;
      for (const good of syntheticCdrs({ seed: 1603 })) {
        i++;
        if (i % 80 === 0) yield good.slice(0, good.length - 7);
        else if (i % 80 === 40) yield JSON.stringify({ ext: '1001', n: i });
        else yield good;
      }
    }
    const backlog = (await fillUntilRefused(redis, s.source, mixed())) as string[];
    const malformed = backlog.filter((p, i) => (i + 1) % 40 === 0);
    const good = backlog.filter((p, i) => (i + 1) % 40 !== 0);
    assert.ok(malformed.length > 100, `${malformed.length} malformed among ${backlog.length}`);
    assert.ok(await refusesPush(redis, s.source));

    const bridge = BridgeProcess.run(s.env({ REDIS_URL: url }));
    try {
      await drained(redis, s, 180_000);
      const records = await readTopicUntil(s.kafka, s.topic, good.length);
      assert.equal(records.length, good.length);
      assert.ok([...assertAllDelivered(good, records).values()].every((n) => n === 1), 'each good CDR exactly once');
      // The bridge LPUSHes envelopes: the oldest is at the tail.
      const letters = (await redis.lrangeBuffer(s.deadLetter, 0, -1)).reverse().map((b) => JSON.parse(b.toString()) as { reason: string; raw_base64: string });
      assert.deepEqual(letters.map((l) => Buffer.from(l.raw_base64, 'base64').toString()), malformed, 'every malformed CDR, in order, bytes exact');
      for (const l of letters) assert.ok(l.reason.length > 10, `a reason: ${l.reason}`);
      assert.ok(letters.some((l) => /internal_call_ref/.test(l.reason)), 'the missing field is named');
      assert.ok(lines(bridge, 'dead-lettered undecodable CDRs').length > 0);
      // What the envelopes add beyond their CDRs (ack-4.lua's bound), measured.
      const held = Number(await redis.memory('USAGE', s.deadLetter, 'SAMPLES', '0'));
      const raw = malformed.reduce((n, p) => n + Buffer.byteLength(p), 0);
      t.diagnostic(`${malformed.length} dead letters among ${backlog.length}: the list holds ${held} bytes for ${raw} bytes of CDRs`);
    } finally {
      assert.equal((await bridge.stop()).code, 0, bridge.stderr.slice(-2000));
    }
  });
});

describe('a full Redis through a Kafka outage (own stack: the broker is stopped on purpose)', () => {
  let stack: OwnStack;
  before(async () => {
    stack = await OwnStack.up();
  }, { timeout: 400_000 });
  after(async () => {
    await stack?.down();
  });

  it('leader and standby killed and restarted while Redis is full lead again once Kafka is back, and carry every CDR exactly once', { timeout: 600_000 }, async (t) => {
    const s = scenario();
    const { url, redis } = await cappedRedis('outage');
    const env = s.env({ REDIS_URL: url, KAFKA_BROKERS: stack.kafkaBrokers });
    const first = [BridgeProcess.run(env)];
    await first[0]!.waitForLog('acquired the lease', 90_000);
    first.push(BridgeProcess.run(env));
    await first[1]!.waitForLog('standing by', 90_000);

    const dialler = new SteadyDialler({ redisUrl: url, key: s.source, count: 40_000, rate: 1000, seed: 1604, payloads: cdrsOnKeys(1604, 200) });
    const restarted: BridgeProcess[] = [];
    try {
      await dialler.reached(2000);
      await stack.stop('kafka');
      // Redis fills: the dialler's pushes are refused and retried.
      await waitFor('Redis to refuse the dialler\'s pushes', async () => dialler.retries > 20, 120_000, 100);
      assert.ok(await refusesPush(redis, s.source));
      for (const b of first) b.kill('SIGKILL');
      for (const b of first) await b.exited;
      restarted.push(BridgeProcess.run(env), BridgeProcess.run(env));
      for (const b of restarted) await b.waitForLog('kafka unreachable at start', 90_000);
      const refusedBefore = dialler.retries;
      const pushedBefore = dialler.pushed;

      const kafkaBack = Date.now();
      await stack.start('kafka');
      const kafkaReady = Date.now();
      const leader = await Promise.any(restarted.map(async (b) => {
        await b.waitForLog('acquired the lease', 180_000);
        return b;
      }));
      const ledAt = Date.now();
      await waitFor('the dialler\'s pushes to be accepted again', async () => dialler.pushed > pushedBefore, 120_000, 50);
      const acceptedAt = Date.now();
      await dialler.done;
      const report = await settledDelivery(stack.kafkaBrokers, s.topic, dialler.ids, dialler.payloads, 240_000);
      const doneAt = Date.now();
      t.diagnostic(`${report.line}; refused pushes ${dialler.retries} (${refusedBefore} before Kafka came back); Kafka took ${kafkaReady - kafkaBack} ms to start, a restarted bridge led ${ledAt - kafkaReady} ms after, the dialler's pushes were accepted ${acceptedAt - ledAt} ms after that, all ${dialler.ids.length} delivered ${doneAt - kafkaReady} ms after Kafka was ready`);
      assert.equal(report.lost, 0, report.line);
      assert.equal(report.duplicated, 0, report.line);
      assert.equal(report.outOfOrder, 0, report.line);
      assert.equal(report.altered, 0, report.line);
      assert.equal(report.delivered, 40_000, report.line);
      assert.equal(restarted.filter((b) => b !== leader && lines(b, 'acquired the lease').length === 0).length, 1, 'the other one stands by');
      await drained(redis, s, 60_000);
    } finally {
      await dialler.stop();
      for (const b of [...first, ...restarted]) await b.stop();
    }
  });
});

describe('what an operator sees of a full Redis', () => {
  async function doctor(env: Record<string, string>): Promise<{ code: number | null; memory: DoctorReport['checks'][number]; notOk: string[] }> {
    const run = await runCli(['doctor', '--json'], env);
    const report = JSON.parse(run.stdout) as DoctorReport;
    const memory = report.checks.find((c) => c.name === 'redis.memory') ?? assert.fail(run.stdout);
    return { code: run.code, memory, notOk: report.checks.filter((c) => c.verdict !== 'ok').map((c) => `${c.verdict} ${c.name}`) };
  }

  it('doctor warns above 80 % (exit 3) and FAILs once writes are refused (exit 1); status says why no bridge leads; the bridge exports the ratio', async () => {
    const s = scenario();
    const { url, redis } = await cappedRedis('operator');
    const env = s.env({ REDIS_URL: url });
    const backlog = await fillUntilRefused(redis, s.source, syntheticCdrs({ seed: 1605 }));

    const full = await doctor(env);
    assert.deepEqual(full.notOk, ['FAIL redis.memory']);
    assert.equal(full.code, 1);
    assert.match(full.memory.found, new RegExp(`^\\d+\\.\\d MiB of maxmemory \\d+\\.\\d MiB \\(10\\d %\\), noeviction; the source list holds ${backlog.length} CDRs: Redis refuses writes \\(OOM\\)`));
    assert.match(full.memory.action, /bridge leads/);
    assert.equal(await redis.exists(`${s.source}:doctor`), 0, 'no doctor record written into a full Redis');

    const st = await runCli(['status', '--json'], env);
    assert.equal(st.code, 0, st.stderr);
    const status = JSON.parse(st.stdout) as Status;
    assert.equal(status.lease.holder, null);
    assert.match(status.lease.noLeaderReason ?? '', /^Redis is full and refuses writes \(.+\): the dialler's pushes fail until a bridge leads and drains it/);
    assert.equal(status.memory?.refusesWrites, true);
    const table = await runCli(['status'], env);
    assert.match(table.stdout, /^leader\s+\S+\s+none \(no bridge is leading: Redis is full and refuses writes/m);
    assert.match(table.stdout, /^memory\s+redis\s+.+ \(10\d %\), noeviction: full, Redis refuses writes/m);

    // Room for a fifth more: about 83 % used.
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    await redis.config('SET', 'maxmemory', String(Math.round(used / 0.83)));
    const high = await doctor(env);
    assert.deepEqual(high.notOk, ['warn redis.memory']);
    assert.equal(high.code, 3);
    assert.match(high.memory.found, /\(8\d %\), noeviction; the source list holds \d+ CDRs: above 80 %$/);

    const bridge = BridgeProcess.run(env);
    try {
      await bridge.waitForLog('acquired the lease', 90_000);
      const endpoints = await endpointsOf(bridge);
      const ratio = sample((await httpGet(`${endpoints}/metrics`)).body, 'cdr_bridge_redis_memory_used_ratio');
      assert.ok(ratio !== undefined && ratio > 0 && ratio < 1, `cdr_bridge_redis_memory_used_ratio ${ratio}`);
      await drained(redis, s, 120_000);
      const after = sample((await httpGet(`${endpoints}/metrics`)).body, 'cdr_bridge_redis_memory_used_ratio');
      assert.ok(after !== undefined && after < ratio, `the ratio falls as the backlog drains: ${ratio} → ${after}`);
    } finally {
      assert.equal((await bridge.stop()).code, 0, bridge.stderr.slice(-2000));
    }
  });

  it('a lease that cannot be taken is a warning once, naming the Redis error, and status says why; its end is an info line', async () => {
    const s = scenario();
    // A replica (of a master that is not there) refuses every write: READONLY.
    const replica = await LocalRedis.start(path.join(dir, 'replica'), ['--appendonly', 'yes', '--replicaof', '127.0.0.1', '1']);
    servers.push(replica);
    const url = `redis://127.0.0.1:${replica.port}`;
    const bridge = BridgeProcess.run(s.env({ REDIS_URL: url }));
    try {
      const warned = await bridge.waitForLog('cannot take the lease', 90_000);
      assert.equal(warned.level, 'warn');
      assert.match(String(warned.err), /^READONLY /);
      // Several attempts later (one every 300 ms at a 3 s TTL), still one line.
      const attemptsFrom = Date.now();
      await waitFor('a few more lease attempts', async () => Date.now() - attemptsFrom > 2000, 5000, 100);
      assert.equal(lines(bridge, 'cannot take the lease').length, 1, 'once, not per retry');
      assert.ok(bridge.running);
      const st = JSON.parse((await runCli(['status', '--json'], s.env({ REDIS_URL: url }))).stdout) as Status;
      assert.equal(st.lease.holder, null);
      assert.match(st.lease.noLeaderReason ?? '', /^this Redis is a read-only replica: no bridge can take the lease on it/);

      const redis = new Redis(url);
      clients.push(redis);
      await redis.replicaof('NO', 'ONE');
      const cleared = await bridge.waitForLog('the lease can be taken again', 30_000);
      assert.equal(cleared.level, 'info');
      await bridge.waitForLog('acquired the lease', 30_000);
    } finally {
      assert.equal((await bridge.stop()).code, 0, bridge.stderr.slice(-2000));
    }
  });
});
