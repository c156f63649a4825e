// A leader that cannot make progress steps down (issue 16, point 2): with CDRs waiting and no
// commit or ack for PROGRESS_TIMEOUT_MS it stops renewing its lease, says why once, and lets the
// standby try; bridges that are all cut off hand the lease round at most once per bound each.
// Real processes on a private one-node stack whose broker is frozen (SIGSTOP) on purpose.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BridgeProcess, leaseHolderPid, runCli, type LogLine } from '../support/bridge-process';
import { cdrsOnKeys } from '../support/dialler';
import { endpointsOf, httpGet, scrapeSample } from '../support/ops-endpoints';
import { runKafkaJava, topicSegments } from '../support/kafka-java';
import { OwnStack } from '../support/own-stack';
import { assertAllDelivered, assertOrderPerKey, Scenario } from '../support/scenario';
import { pushAll, waitFor } from '../support/services';
import { readTopicUntil } from '../support/topic';

const LEASE_TTL_MS = 2000;
const BOUND_MS = 6000;
const STOOD_DOWN = 'standing down so another bridge can lead';

const take = (n: number, seed: number): string[] => {
  const out: string[] = [];
  for (const cdr of cdrsOnKeys(seed, 50)) {
    if (out.length === n) break;
    out.push(cdr);
  }
  return out;
};
const standDowns = (b: BridgeProcess): LogLine[] => b.logs.filter((l) => typeof l.msg === 'string' && l.msg.includes(STOOD_DOWN));

describe('progress watchdog (own stack: the broker is frozen on purpose)', () => {
  let stack: OwnStack;
  const scenarios: Scenario[] = [];
  before(async () => {
    stack = await OwnStack.up();
  });
  after(async () => {
    for (const s of scenarios) await s.close();
    await stack?.resume('kafka').catch(() => undefined);
    await stack?.down();
  });

  it('a leader with CDRs waiting and a frozen broker stands down once per bound, the standby takes the lease, and after the thaw every CDR lands once in order', async () => {
    const s = new Scenario();
    scenarios.push(s);
    const env = s.env({ REDIS_URL: stack.redisUrl, KAFKA_BROKERS: stack.kafkaBrokers, BATCH_SIZE: '100', LEASE_TTL_MS: String(LEASE_TTL_MS), PROGRESS_TIMEOUT_MS: String(BOUND_MS) });
    const redis = stack.redis();
    const drained = (timeoutMs = 60_000): Promise<boolean> =>
      waitFor('source, landing and processing lists to drain', async () => (await redis.llen(s.source)) + (await redis.llen(`${s.processing}:landing`)) + (await redis.llen(s.processing)) === 0, timeoutMs);
    const before = take(1000, 61);
    const during = take(3000, 62).slice(1000);
    const leader = BridgeProcess.run(env);
    let standby: BridgeProcess | undefined;
    try {
      await leader.waitForLog('acquired the lease');
      standby = BridgeProcess.run(env);
      await standby.waitForLog('lease held by another bridge: standing by');
      const bridges = [leader, standby];
      await pushAll(redis, s.source, before);
      await drained();
      assert.equal(standDowns(leader).length, 0, 'a leader that keeps up never stands down');

      // An idle leader keeps its lease, whatever the broker does: nothing waits.
      await stack.pause('kafka');
      const pausedAt = Date.now();
      await new Promise((r) => setTimeout(r, BOUND_MS + LEASE_TTL_MS));
      assert.equal(await leaseHolderPid(redis, s.source), leader.pid, 'idle: the leader keeps the lease through a frozen broker');
      assert.equal(standDowns(leader).length, 0);

      await pushAll(redis, s.source, during);
      const pushedAt = Date.now();
      const first = await leader.waitForLog(STOOD_DOWN, BOUND_MS + 4 * LEASE_TTL_MS + 10_000);
      const firstAfterMs = Date.now() - pushedAt;
      assert.equal(first.level, 'warn');
      assert.ok((first.stalledMs as number) >= BOUND_MS, `stalled ${String(first.stalledMs)} ms before standing down`);
      const waiting = first.waiting as { source: number; landing: number; processing: number };
      assert.equal(waiting.source + waiting.landing + waiting.processing, during.length, 'it names what was waiting: every CDR pushed while frozen');
      assert.match(first.msg, /no progress for \d+\.\d s with 2000 CDRs waiting/);

      await waitFor('the standby to take the lease', async () => (await leaseHolderPid(redis, s.source)) === standby!.pid, LEASE_TTL_MS + 10_000);
      const health = await httpGet(`${await endpointsOf(leader)}/healthz`);
      assert.equal(health.status, 200, 'alive: a restart would not help');
      assert.match(health.body, /^ok: standing by since stepping down as leader at \S+: no progress for .* with 2000 CDRs waiting/);
      const readyz = JSON.parse((await httpGet(`${await endpointsOf(leader)}/readyz`)).body) as { role: string; stoodDown?: { reason: string } };
      assert.equal(readyz.role, 'standby');
      assert.match(readyz.stoodDown?.reason ?? '', /no progress for/);

      // The standby is cut off too: it stands down in its turn, and neither storms.
      await standby.waitForLog(STOOD_DOWN, BOUND_MS + 4 * LEASE_TTL_MS + 10_000);
      await new Promise((r) => setTimeout(r, 2 * BOUND_MS));
      const frozenMs = Date.now() - pausedAt;
      for (const b of bridges) {
        const at = standDowns(b).map((l) => Date.parse(l.time as string));
        for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= BOUND_MS, `pid ${b.pid} stood down ${at[i]! - at[i - 1]!} ms after its previous stand-down (bound ${BOUND_MS})`);
        assert.ok(at.length <= Math.ceil(frozenMs / BOUND_MS), `pid ${b.pid}: ${at.length} stand-downs in ${frozenMs} ms`);
        assert.equal(await scrapeSample(await endpointsOf(b), 'cdr_bridge_stood_down_total'), at.length, 'the metric counts every stand-down, the log says each once');
      }
      const total = bridges.reduce((n, b) => n + standDowns(b).length, 0);

      await stack.resume('kafka');
      const resumedAt = Date.now();
      await drained(180_000);
      const recoveredMs = Date.now() - resumedAt;
      const all = [...before, ...during];
      const records = await readTopicUntil(stack.kafka(), s.topic, all.length);
      const copies = assertAllDelivered(all, records);
      const doubled = records.filter((r) => copies.get(r.cdr.cdr_id)! > 1).map((r) => `${r.partition}/${r.offset}`);
      if (doubled.length > 0) {
        // What the broker stored (producer ids, epochs, markers): whether a reader or a writer doubled them.
        const dump = await runKafkaJava('org.apache.kafka.tools.DumpLogSegments', ['--files', topicSegments(stack.env.STACK_DATA_DIR!, s.topic).map((g) => g.file).join(',')]);
        writeFileSync(path.join(tmpdir(), `progress-watchdog-${process.pid}-segments.txt`), dump.stdout);
        // And Kafka's own read_committed reader, beside the tests' own one.
        const java = await runKafkaJava('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', stack.kafkaBrokers, '--topic', s.topic, '--from-beginning', '--timeout-ms', '20000', '--isolation-level', 'read_committed', '--formatter-property', 'print.partition=true', '--formatter-property', 'print.offset=true', '--formatter-property', 'print.value=false']);
        writeFileSync(path.join(tmpdir(), `progress-watchdog-${process.pid}-java-read.txt`), java.stdout);
      }
      assert.equal(records.length, all.length, `exactly once (${records.length - copies.size} extra copies, at partition/offset ${doubled.slice(0, 20).join(' ')}; logs in ${tmpdir()}/progress-watchdog-${process.pid}-*.log)`);
      const keys = assertOrderPerKey(records);
      assert.equal(keys, 100, "50 keys from each of the two pushes");

      const status = await runCli(['status', '--json'], env);
      assert.equal(status.code, 0, status.stderr);
      const shown = (JSON.parse(status.stdout) as { standDown: { pid: number; reason: string } | null }).standDown;
      assert.ok(shown && bridges.some((b) => b.pid === shown.pid), `status names the bridge that stood down last: ${JSON.stringify(shown)}`);
      assert.match(shown.reason, /^no progress for \d+\.\d s with \d+ CDRs waiting/);
      const table = await runCli(['status'], env);
      assert.match(table.stdout, /^stood down\s+\S+ pid \d+\s+at \S+: no progress for /m);
      console.log(`# first stand-down ${firstAfterMs} ms after the push (bound ${BOUND_MS} ms); ${total} stand-downs in ${frozenMs} ms frozen; drained ${recoveredMs} ms after the thaw`);
    } finally {
      // Both bridges' logs outlive the run: a failure here is read from them.
      writeFileSync(path.join(tmpdir(), `progress-watchdog-${process.pid}-leader.log`), leader.stderr);
      writeFileSync(path.join(tmpdir(), `progress-watchdog-${process.pid}-standby.log`), standby?.stderr ?? '');
      await stack.resume('kafka').catch(() => undefined);
      const codes = await Promise.all([leader.stop(), standby?.stop()]);
      assert.equal(codes[0].code, 0, leader.stderr.slice(-2000));
      assert.equal(codes[1]?.code, 0, standby?.stderr.slice(-2000));
    }
  });
});
