// Exactly once on a three-broker cluster (issue 9): the bridge driven as a process while real
// brokers and bridges are frozen and killed under a steady stream of CDRs; an independent
// read_committed reader then demands every CDR once, in push order per key. Each fault is one
// that a single-node Kafka cannot produce, or that the lease alone cannot fence.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { decodePayload } from '../../src/codec/decode-payload';
import { singleObjectFramer } from '../../src/codec/framing';
import { BridgeProcess, leaseHolderPid, runCli, waitForNewLeaseHolder } from '../support/bridge-process';
import { frozen, processState } from '../support/frozen-mid-batch';
import { settledDelivery, verifyTopic, type DeliveryReport } from '../support/delivery-check';
import { cdrsOnKeys, SteadyDialler } from '../support/dialler';
import { kafkaNode, OwnStack } from '../support/own-stack';
import { PlainProducer } from '../support/plain-producer';
import { scenarioFactory, type Scenario } from '../support/scenario';
import { waitFor } from '../support/services';

/**
 * A hard bound per test, far above the usual 40–90 s: a killed Kafka node restarted on a
 * saturated 2-core machine took over 100 s to be ready (it replays the metadata log).
 */
const TEST_TIMEOUT_MS = 240_000;
/** CDRs whose keys repeat over this many values, so per-key order is checked on every key. */
const KEYS = 16;
/** How long a slow replica stalls the partition: the bridge's send timeout (the producer's 30 s request timeout) and a margin. */
const FROZEN_FOLLOWERS_MS = 35_000;

describe('exactly once on a three-broker cluster', () => {
  const bed = OwnStack.attached();
  const scenario = scenarioFactory();
  const bridges: BridgeProcess[] = [];
  const diallers: SteadyDialler[] = [];

  afterEach(async () => {
    // A test that failed half way leaves its dialler pushing: stop it before the next test.
    await Promise.all(diallers.splice(0).map((d) => d.stop()));
    for (const b of bridges.splice(0)) {
      b.kill('SIGKILL');
      await b.exited;
    }
    await bed.heal();
  });

  function bridge(env: Record<string, string>): BridgeProcess {
    const b = BridgeProcess.run(env);
    bridges.push(b);
    return b;
  }

  /** A leader (lease taken, topic created) and, when asked, a standby behind it. */
  async function leaderAndStandby(s: Scenario, env: Record<string, string>, standby: boolean, leaderEnv: Record<string, string> = {}): Promise<BridgeProcess> {
    const leader = bridge({ ...env, ...leaderEnv });
    await leader.waitForLog('acquired the lease');
    if (standby) await bridge(env).waitForLog('lease held by another bridge');
    // The leader creates the topic as it starts; the faults below need its partition leaders.
    await waitFor('the topic to have a leader', () => bed.leaderOf(s.topic).catch(() => undefined), 60_000, 250);
    return leader;
  }

  function dialler(s: Scenario, count: number, rate: number, seed: number): SteadyDialler {
    const d = new SteadyDialler({ redisUrl: s.env().REDIS_URL!, key: s.source, count, rate, seed, payloads: cdrsOnKeys(seed, KEYS) });
    diallers.push(d);
    return d;
  }

  /** All pushed, the lists drained, the topic read until its count is steady: the verdict. */
  async function verdict(s: Scenario, d: SteadyDialler): Promise<DeliveryReport> {
    await d.done;
    await s.drained(90_000);
    const report = await settledDelivery(bed.kafkaBrokers, s.topic, d.ids, d.payloads);
    console.log(`# ${report.line}`);
    return report;
  }

  function assertExactlyOnce(report: DeliveryReport): void {
    assert.equal(report.lost, 0, `no CDR lost (${report.line})`);
    assert.equal(report.duplicated, 0, `no CDR duplicated (${report.line})`);
    assert.equal(report.outOfOrder, 0, `order per key kept (${report.line})`);
    assert.equal(report.altered, 0, `every record is the CDR its payload makes, by the oracle's rules (${report.line})`);
    assert.equal(report.delivered, report.pushed);
  }

  it('a slow replica: the partition\'s followers frozen past the send timeout, then thawed, leave one copy of every CDR', { timeout: TEST_TIMEOUT_MS }, async () => {
    const s = scenario();
    // One partition, so the frozen nodes are exactly its followers and its leader stays up.
    const env = s.env({ KAFKA_TOPIC_PARTITIONS: '1' });
    const leader = await leaderAndStandby(s, env, false);
    const partitionLeader = await bed.leaderOf(s.topic);
    const followers = bed.kafkaNodeIds.filter((id) => id !== partitionLeader);
    const d = dialler(s, 3000, 60, 901);
    await d.reached(300);
    // Both followers: with one frozen, the controller fences it after the session timeout (3 s)
    // and the write completes on two. With both frozen the controllers lose their quorum, the
    // ISR cannot shrink, and the high-water mark stays put: the records sit appended, uncommitted,
    // on the leader while the bridge's send times out (30 s) — then the followers catch up.
    for (const id of followers) await bed.pause(kafkaNode(id));
    const frozenAt = Date.now();
    // From now on no send can complete: the batch the leader sends is held in flight. (A second
    // first, so that a batch committed just before the freeze has been acked.)
    await new Promise((r) => setTimeout(r, 1000));
    const held = await waitFor('a batch in flight while the followers are frozen', async () => {
      const items = await s.redis.lrange(s.processing, 0, -1);
      return items.length > 0 ? items : undefined;
    }, 10_000, 20);
    // The fault's length, not a wait for a condition: past the send timeout.
    await new Promise((r) => setTimeout(r, frozenAt + FROZEN_FOLLOWERS_MS - Date.now()));
    // It landed only if that batch was held all along: still in flight, past the 30 s request
    // timeout. (@platformatic/kafka retries a timed-out produce itself, idempotently, so the
    // bridge may never see the timeout; whether it does is printed.)
    const stillHeld = new Set(await s.redis.lrange(s.processing, 0, -1));
    const settled = held.filter((item) => !stillHeld.has(item));
    assert.equal(settled.length, 0, `the fault missed: ${settled.length} of the ${held.length} CDRs in flight at the freeze left the processing list while the followers were frozen`);
    for (const id of followers) await bed.resume(kafkaNode(id));
    const failed = leader.logs.filter((l) => l.msg.startsWith('kafka publish failed')).map((l) => String(l.err));
    console.log(`# ${held.length} CDRs held in flight ${Math.round((Date.now() - frozenAt) / 1000)} s; the bridge saw ${failed.length === 0 ? 'no failed send (the client retried)' : `a failed send: ${failed[0]}`}`);
    assertExactlyOnce(await verdict(s, d));
  });

  it('the broker leading a partition killed mid-stream and restarted later: one copy of every CDR', { timeout: TEST_TIMEOUT_MS }, async () => {
    const s = scenario();
    const env = s.env();
    await leaderAndStandby(s, env, false);
    const d = dialler(s, 3000, 100, 902);
    await d.reached(800);
    const victim = await bed.leaderOf(s.topic, 0);
    await bed.kill(kafkaNode(victim));
    await waitFor('another node to lead partition 0', async () => {
      const id = await bed.leaderOf(s.topic, 0).catch(() => -1);
      return id > 0 && id !== victim;
    }, 60_000, 250);
    await d.reached(1800);
    await bed.start(kafkaNode(victim));
    assertExactlyOnce(await verdict(s, d));
  });

  it('another producer writing the same topic throughout and the leader kill -9\'d: the standby recovers exactly', { timeout: TEST_TIMEOUT_MS }, async () => {
    const s = scenario();
    const env = s.env();
    // The leader stops itself with its first transaction sent and not committed: a batch is
    // certainly in flight (appended on the brokers, uncommitted) when it is killed.
    const first = await leaderAndStandby(s, env, true, { CDR_BRIDGE_FAILPOINT: 'stop-before-commit', CDR_BRIDGE_TEST_FAILPOINTS: 'true' });
    // Another writer (a second dialler's bridge, say): valid CDRs of its own, idempotent, fast
    // enough to push a crashed batch's first copy out of any read-back window by count.
    const other = await PlainProducer.open(s.kafka);
    const framer = singleObjectFramer();
    const otherCdrs = cdrsOnKeys(77, 1000);
    let otherWritten = 0;
    let writing = true;
    const otherDone = (async () => {
      while (writing) {
        const messages = Array.from({ length: 200 }, () => {
          const r = decodePayload(Buffer.from(otherCdrs.next().value as string), Date.now());
          if (!r.ok) throw new Error('synthetic CDR did not decode');
          return { key: r.cdr.internal_call_ref, value: framer.encode(r.cdr), headers: { 'cdr-id': r.cdr.cdr_id } };
        });
        await other.send(s.topic, messages);
        otherWritten += messages.length;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const d = dialler(s, 3000, 100, 903);
      await first.waitForOutput('failpoint stop-before-commit', 60_000);
      await frozen(first);
      const inFlight = await s.redis.llen(s.processing);
      assert.ok(inFlight > 0, 'the fault missed: the leader stopped before its commit with nothing in its processing list');
      first.kill('SIGKILL');
      await first.exited;
      bridge(env); // the next standby, as an operator's supervisor would start
      const next = await waitForNewLeaseHolder(s.redis, s.source, first.pid, 30_000);
      const settling = await bridges.find((b) => b.pid === next)!.waitForLog('settling what was in flight', 60_000);
      assert.ok(Number(settling.cdrs) >= inFlight, `the new leader settled the ${inFlight} CDRs the kill left in flight (it found ${String(settling.cdrs)})`);
      assert.equal(settling.alreadyInKafka, 0, 'none of them was committed: they were published by the new leader');
      await d.done;
      await s.drained(90_000);
      writing = false;
      await otherDone;
      const report = await settledDelivery(bed.kafkaBrokers, s.topic, d.ids, d.payloads);
      console.log(`# ${report.line} (the other producer wrote ${otherWritten})`);
      assert.equal(report.others, otherWritten, 'the other producer\'s records are all there, untouched');
      assertExactlyOnce(report);
    } finally {
      writing = false;
      // The other producer's failure is the test's (surfaced by the await above when it ran); here only its end.
      await otherDone.catch((err: Error) => console.log(`# the other producer stopped on: ${err.message}`));
      await other.close();
    }
  });

  it('a zombie leader frozen between its lease check and its send, thawed after a standby took over, adds no copy', { timeout: TEST_TIMEOUT_MS }, async () => {
    const s = scenario();
    const env = s.env();
    // Test-only failpoint (issue 9): after the lease check, before the first produce request
    // of a batch, the bridge logs "failpoint stop-before-send" and SIGSTOPs itself.
    const zombie = await leaderAndStandby(s, env, true, { CDR_BRIDGE_FAILPOINT: 'stop-before-send', CDR_BRIDGE_TEST_FAILPOINTS: 'true' });
    const d = dialler(s, 2000, 100, 904);
    try {
      await zombie.waitForOutput('failpoint stop-before-send', 30_000);
    } catch (err) {
      throw new Error(`the leader never reached the failpoint: this build does not implement CDR_BRIDGE_FAILPOINT=stop-before-send (issue 9). ${(err as Error).message.slice(0, 300)}`);
    }
    await waitFor('the zombie to be stopped', async () => processState(zombie.pid) === 'T', 10_000, 20);
    const beforeFreeze = d.ids.slice(0, d.pushed);
    await waitForNewLeaseHolder(s.redis, s.source, zombie.pid, 30_000);
    // Published past the zombie's batch: every CDR pushed before the freeze is in the topic.
    await waitFor('the standby to publish the zombie\'s batch and beyond', async () => (await verifyTopic(bed.kafkaBrokers, s.topic, beforeFreeze).catch(() => undefined))?.lost === 0, 60_000, 1000);
    process.kill(zombie.pid, 'SIGCONT');
    // The zombie runs again and sends what it held: Kafka refuses it (the standby's producer
    // fenced its transactional id) and it says so. Once it has, it cannot write a late copy.
    const refused = await zombie.waitForLog('no longer the leader', 60_000);
    assert.match(String(refused.reason), /another producer with this transactional id has taken over/, `the zombie's write was refused by Kafka, not skipped: ${JSON.stringify(refused)}`);
    assertExactlyOnce(await verdict(s, d));
  });

  for (const [mode, seed] of [['--publish', 905], ['--requeue', 906]] as const) {
    it(`replay ${mode} --force against a live leader holding an uncommitted batch fences it and leaves one copy of every CDR`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const s = scenario();
      // A long lease: the frozen leader still holds it when replay comes (no standby takes it first).
      const env = s.env({ LEASE_TTL_MS: '60000' });
      // The leader stops itself with its first transaction sent and not committed: a batch in flight.
      const leader = await leaderAndStandby(s, env, false, { CDR_BRIDGE_FAILPOINT: 'stop-before-commit', CDR_BRIDGE_TEST_FAILPOINTS: 'true' });
      const d = dialler(s, 3000, 100, seed);
      await leader.waitForOutput('failpoint stop-before-commit', 60_000);
      await frozen(leader);
      const inFlight = await s.redis.llen(s.processing);
      assert.ok(inFlight > 0, 'the fault missed: the leader stopped before its commit with nothing in flight');
      assert.equal(await leaseHolderPid(s.redis, s.source), leader.pid, 'the leader still holds the lease: replay takes it from a live leader');
      await d.reached(1200);
      const replay = await runCli(['replay', mode, '--force', '--json'], env, 120_000);
      assert.equal(replay.code, 0, `replay ${mode} --force exits 0: ${replay.stderr.slice(-1000)}`);
      const summary = JSON.parse(replay.stdout) as { published?: number; moved?: number; alreadyInTopic: number };
      const acted = mode === '--publish' ? summary.published! : summary.moved!;
      assert.equal(summary.alreadyInTopic, 0, `the leader's batch was not committed: ${replay.stdout}`);
      assert.equal(acted, inFlight, `replay ${mode} acted on the ${inFlight} CDRs in flight: ${replay.stdout}`);
      // Thawed, the leader commits what it held: Kafka refuses it, fenced by replay's producer.
      process.kill(leader.pid, 'SIGCONT');
      const fenced = await leader.waitForLog('no longer the leader', 60_000);
      assert.match(String(fenced.reason), /another producer with this transactional id has taken over/, `the leader was fenced by Kafka: ${JSON.stringify(fenced)}`);
      assertExactlyOnce(await verdict(s, d));
    });
  }
});
