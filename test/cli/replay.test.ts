// `cdr-bridge replay` recovers CDRs a dead bridge left in the processing list: lists them (the
// default), moves them back to the source list (taken next, oldest first), or publishes them —
// never sending again what Kafka already committed, and never while a live bridge holds the
// lease, unless forced (then it takes the lease, fencing the bridge).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePayload } from '../../src/codec/decode-payload';
import { parseDeadLetter } from '../../src/source/dead-letter';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { withAdmin } from '../../src/sink/kafka-client';
import { runCli } from '../support/bridge-process';
import { closedPort } from '../support/closed-port';
import { assertAllDelivered, expectedCdr, scenarioFactory, type Scenario } from '../support/scenario';
import { Lease } from '../../src/source/lease';
import { companionKeys, ReliableList } from '../../src/source/reliable-list';
import { BridgeProcess, leaseHolderPid } from '../support/bridge-process';
import { freezeWithWorkInFlight } from '../support/frozen-mid-batch';
import { pushAll, waitFor } from '../support/services';

const scenario = scenarioFactory();

const MALFORMED = '{"ext":"1001","disposition":"ANSWERED"';

/** The processing list as a dead bridge leaves it: `items` oldest first, taken in batches of 500. */
async function leftInFlight(s: Scenario, items: readonly string[]): Promise<void> {
  await pushAll(s.redis, s.source, items);
  const lease = new Lease(s.redis, `${s.source}:lease`, 60_000);
  assert.ok(await lease.tryAcquire());
  const list = new ReliableList(s.redis, s.redis, { source: s.source, processing: s.processing, deadLetter: s.deadLetter, lease: `${s.source}:lease` });
  while (await list.takeReady(500, lease.token));
  await lease.release();
}

/** The source list in the order the bridge will take it (it takes from the tail). */
async function takeOrder(s: Scenario): Promise<string[]> {
  return (await s.redis.lrange(s.source, 0, -1)).reverse();
}

async function topicExists(s: Scenario): Promise<boolean> {
  return withAdmin(s.kafka, async (admin) => (await admin.listTopics()).includes(s.topic));
}

describe('cdr-bridge replay', () => {
  it('--dry-run --json lists exactly the CDRs in flight, oldest first, decoded, and changes nothing', async () => {
    const s = scenario();
    const good = takeSynthetic(3, { seed: 21 });
    const items = [good[0]!, good[1]!, MALFORMED, good[2]!];
    await leftInFlight(s, items);
    const before = await s.redis.lrange(s.processing, 0, -1);

    const { code, stdout, stderr } = await runCli(['replay', '--dry-run', '--json'], s.env());
    assert.equal(code, 0, stderr);
    const listed = JSON.parse(stdout) as { position: number; size: number; internal_call_ref: string | null; cdr_id: string | null; raw: string; cdr?: unknown; error?: string }[];
    assert.deepEqual(listed.map((l) => l.position), [0, 1, 2, 3]);
    assert.deepEqual(listed.map((l) => l.raw), items, 'oldest first, byte for byte');
    assert.deepEqual(listed.map((l) => l.size), items.map((i) => Buffer.byteLength(i)));
    for (const [i, l] of listed.entries()) {
      if (items[i] === MALFORMED) {
        assert.equal(l.cdr_id, null);
        const r = decodePayload(Buffer.from(MALFORMED), 0);
        assert.ok(!r.ok);
        assert.equal(l.error, r.reason);
      } else {
        const want = expectedCdr(items[i]!);
        assert.equal(l.cdr_id, want.cdr_id);
        assert.equal(l.internal_call_ref, want.internal_call_ref);
        assert.deepEqual({ ...(l.cdr as object), received_at: 0 }, { ...want, received_at: 0 });
      }
    }

    assert.deepEqual(await s.redis.lrange(s.processing, 0, -1), before, 'processing list untouched');
    assert.deepEqual(await s.lengths(), { source: 0, processing: 4, deadLetter: 0 });
    assert.equal(await s.redis.llen(companionKeys(s.processing).batches), 1, 'its batch record untouched');
    assert.equal(await topicExists(s), false, 'a dry run does not touch Kafka');
  });

  it('--dry-run prints one row per CDR in flight, oldest first, with internal_call_ref, cdr_id and size', async () => {
    const s = scenario();
    const good = takeSynthetic(2, { seed: 22 });
    await leftInFlight(s, [good[0]!, MALFORMED, good[1]!]);
    const { code, stdout } = await runCli(['replay', '--dry-run'], s.env());
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines[0], `3 CDRs in flight in ${s.processing}, oldest first:`);
    assert.match(lines[1]!, /^#\s+internal_call_ref\s+cdr_id\s+size$/);
    const rows = lines.slice(2).map((l) => l.split(/\s{2,}/));
    assert.equal(rows.length, 3);
    const [a, b] = [expectedCdr(good[0]!), expectedCdr(good[1]!)];
    assert.deepEqual(rows[0], ['0', a.internal_call_ref, a.cdr_id, String(Buffer.byteLength(good[0]!))]);
    assert.deepEqual(rows[1]!.slice(0, 4), ['1', '-', '-', String(MALFORMED.length)]);
    assert.match(rows[1]![4]!, /^undecodable: /);
    assert.deepEqual(rows[2], ['2', b.internal_call_ref, b.cdr_id, String(Buffer.byteLength(good[1]!))]);
  });

  it('refuses with exit 1 and one line naming the holder while a live bridge holds the lease, moving nothing', async () => {
    const s = scenario();
    const items = takeSynthetic(4, { seed: 23 });
    await leftInFlight(s, items);
    await s.redis.set(`${s.source}:lease`, `bridge-host-7|4242|${Date.now()}|abcdef`, 'PX', 60_000);

    for (const args of [['replay', '--requeue'], ['replay', '--publish']]) {
      const { code, stdout, stderr } = await runCli(args, s.env());
      assert.equal(code, 1, args.join(' '));
      assert.equal(stdout, '');
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, /^cdr-bridge: a bridge is running and holds the lease \(bridge-host-7 pid 4242, lease expires in [0-9.]+ s\).*pass --force to take the lease from it$/);
    }
    assert.deepEqual(await takeOrder(s), []);
    assert.deepEqual((await s.redis.lrange(s.processing, 0, -1)).reverse(), items, 'processing list untouched');
    assert.equal(await topicExists(s), false, 'nothing was published');
  });

  it('--requeue --force takes the lease from its holder and moves them back: the next take gets the oldest', async () => {
    const s = scenario();
    const items = takeSynthetic(4, { seed: 24 });
    await leftInFlight(s, items);
    await s.redis.set(`${s.source}:lease`, `bridge-host-7|4242|${Date.now()}|abcdef`, 'PX', 60_000);

    const { code, stdout, stderr } = await runCli(['replay', '--requeue', '--force'], s.env());
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `moved 4 CDRs from ${s.processing} back to ${s.source}: the bridge takes them next, oldest first\n`);
    assert.deepEqual(await s.lengths(), { source: 4, processing: 0, deadLetter: 0 });
    assert.equal(await s.redis.rpop(s.source), items[0], 'the next RPOP gives the oldest');
    assert.deepEqual(await takeOrder(s), items.slice(1));
    assert.equal(await s.redis.exists(`${s.source}:lease`), 0, 'replay released the lease it took');
  });

  it('without --requeue or --publish only lists them, changing nothing', async () => {
    const s = scenario();
    const items = takeSynthetic(3, { seed: 31 });
    await leftInFlight(s, items);
    const { code, stdout, stderr } = await runCli(['replay'], s.env());
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^3 CDRs in flight in .*, oldest first:/);
    assert.deepEqual((await s.redis.lrange(s.processing, 0, -1)).reverse(), items, 'processing list untouched');
    assert.equal(await s.redis.llen(s.source), 0);
  });

  it('--requeue moves 2,500 CDRs back in chunks, all taken before what the dialler pushed meanwhile, oldest first, and leaves no batch record', async () => {
    const s = scenario();
    const items = takeSynthetic(2500, { seed: 25 });
    await leftInFlight(s, items);
    const newer = takeSynthetic(2, { seed: 26, startSeq: 10_000 });
    await pushAll(s.redis, s.source, newer);

    const { code, stdout, stderr } = await runCli(['replay', '--requeue', '--json'], s.env());
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { moved: 2500, alreadyInTopic: 0, from: s.processing, to: s.source });
    assert.deepEqual(await takeOrder(s), [...items, ...newer], 'replayed oldest first, then the newer CDRs in their own order');
    assert.equal(await s.redis.exists(s.processing, companionKeys(s.processing).batches), 0, 'processing list and its batch records are gone');
  });

  it('--publish publishes them decoded, dead-letters the undecodable one, and empties the processing list', async () => {
    const s = scenario();
    const good = takeSynthetic(5, { seed: 27 });
    await leftInFlight(s, [good[0]!, good[1]!, MALFORMED, ...good.slice(2)]);

    const { code, stdout, stderr } = await runCli(['replay', '--publish', '--json'], s.env());
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { published: 5, alreadyInTopic: 0, deadLettered: 1, topic: s.topic });

    const records = await s.records();
    assert.equal(records.length, 5);
    const copies = assertAllDelivered(good, records);
    assert.deepEqual([...copies.values()], [1, 1, 1, 1, 1]);
    for (const r of records) assert.equal(r.key, r.cdr.internal_call_ref, 'keyed as the bridge keys');
    assert.deepEqual(await s.lengths(), { source: 0, processing: 0, deadLetter: 1 });
    const letter = parseDeadLetter((await s.redis.lindexBuffer(s.deadLetter, 0))!);
    assert.equal(letter?.bytes.toString(), MALFORMED);
    assert.equal(await s.redis.exists(companionKeys(s.processing).batches), 0);
  });

  it('--publish after a crash between the commit and the ack sends nothing again: Kafka\'s committed position says it has them', async () => {
    const s = scenario();
    const good = takeSynthetic(4, { seed: 28 });
    await pushAll(s.redis, s.source, good);
    // The bridge commits its first transaction, then dies (SIGKILL) before acking it in Redis.
    const bridge = BridgeProcess.run(s.env({ CDR_BRIDGE_FAILPOINT: 'crash-after-commit', CDR_BRIDGE_TEST_FAILPOINTS: 'true' }));
    const exit = await bridge.exited;
    assert.equal(exit.signal, 'SIGKILL', bridge.stderr.slice(-2000));
    assert.equal((await s.records()).length, 4, 'the transaction was committed');
    assert.equal(await s.redis.llen(s.processing), 4, 'and not acked');
    await waitFor('the dead bridge\'s lease to expire', async () => (await s.redis.exists(`${s.source}:lease`)) === 0, 10_000);

    const { code, stdout, stderr } = await runCli(['replay', '--publish'], s.env());
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `published 0 CDRs to ${s.topic} (4 were already there), dead-lettered 0, and removed them from ${s.processing}\n`);
    assert.equal((await s.records()).length, 4);
    assert.deepEqual(await s.lengths(), { source: 0, processing: 0, deadLetter: 0 });
  });

  it('--publish --force against a live leader mid-stream takes the lease, and every CDR ends in the topic exactly once', async () => {
    const s = scenario();
    const payloads = takeSynthetic(3000, { seed: 32 });
    // A long lease: the frozen leader still holds it when replay comes, so replay must seize it.
    const env = s.env({ BATCH_SIZE: '50', LEASE_TTL_MS: '60000' });
    const bridge = BridgeProcess.run(env);
    try {
      await bridge.waitForLog('acquired the lease');
      const pushing = (async () => {
        for (let i = 0; i < payloads.length; i += 50) {
          await pushAll(s.redis, s.source, payloads.slice(i, i + 50));
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      await waitFor('the leader to have published some', async () => (await s.records()).length >= 300, 60_000);
      // Replay comes while the leader holds a batch in flight (frozen there) and its lease.
      const inFlight = await freezeWithWorkInFlight(bridge, s.redis, s.processing);
      assert.equal(await leaseHolderPid(s.redis, s.source), bridge.pid, 'the leader holds the lease when replay comes');
      const { code, stdout, stderr } = await runCli(['replay', '--publish', '--force', '--json'], env);
      assert.equal(code, 0, stderr);
      const summary = JSON.parse(stdout) as { published: number; alreadyInTopic: number; deadLettered: number; topic: string };
      assert.equal(summary.published + summary.alreadyInTopic, inFlight.length, `replay settled exactly the ${inFlight.length} CDRs in flight: ${stdout}`);
      assert.equal(summary.deadLettered, 0);
      // The seizure: thawed, the leader finds it no longer leads (fenced by Kafka, or its lease gone), and leads again after.
      bridge.kill('SIGCONT');
      await waitFor('the thawed leader to find it lost the lease', async () => bridge.logs.find((l) => /^no longer the leader|^lease lost to another bridge/.test(l.msg)), 60_000);
      await pushing;
      await s.drained();
      const records = await s.records();
      const copies = assertAllDelivered(payloads, records);
      assert.equal(records.length, payloads.length, 'no CDR twice');
      assert.equal(copies.size, payloads.length);
    } finally {
      bridge.kill('SIGCONT');
      assert.equal((await bridge.stop()).code, 0, bridge.stderr.slice(-2000));
    }
  });

  it('--publish exits 1 with one line, changing nothing, when the configured schema registry cannot be reached', async () => {
    const s = scenario();
    const items = takeSynthetic(2, { seed: 29 });
    await leftInFlight(s, items);
    const port = await closedPort();
    const { code, stdout, stderr } = await runCli(['replay', '--publish'], s.env({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}` }));
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(stderr, `cdr-bridge: cannot reach the schema registry at http://127.0.0.1:${port}/ within 10 s; nothing was published\n`);
    assert.deepEqual((await s.redis.lrange(s.processing, 0, -1)).reverse(), items, 'processing list untouched');
    assert.equal(await topicExists(s), false, 'Kafka untouched');
  });

  it('says so and exits 0 when nothing is in flight', async () => {
    const s = scenario();
    const { code, stdout } = await runCli(['replay'], s.env());
    assert.equal(code, 0);
    assert.equal(stdout, `nothing in flight in ${s.processing}\n`);
  });

  it('--dry-run with --publish is a usage error (exit 2)', async () => {
    const s = scenario();
    const { code, stderr } = await runCli(['replay', '--dry-run', '--publish'], s.env());
    assert.equal(code, 2);
    assert.match(stderr, /'--publish' cannot be used with option '--dry-run'/);
  });
});
