// `cdr-bridge replay` recovers CDRs a dead bridge left in the processing list: lists them,
// moves them back to the source list (taken next, oldest first), or publishes them — and
// never while a live bridge holds the lease, unless forced.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePayload } from '../../src/codec/decode-payload';
import { parseDeadLetter } from '../../src/source/dead-letter';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { runCli } from '../support/bridge-process';
import { closedPort } from '../support/closed-port';
import { assertAllDelivered, expectedCdr, scenarioFactory, type Scenario } from '../support/scenario';
import { pushAll } from '../support/services';

const scenario = scenarioFactory();

const MALFORMED = '{"ext":"1001","disposition":"ANSWERED"';

/** The processing list as a dead bridge leaves it: `items` oldest first, and its since key. */
async function leftInFlight(s: Scenario, items: readonly string[]): Promise<void> {
  await pushAll(s.redis, s.processing, items);
  await s.redis.set(`${s.processing}:since`, String(Date.now() - 60_000));
}

/** The source list in the order the bridge will take it (it takes from the tail). */
async function takeOrder(s: Scenario): Promise<string[]> {
  return (await s.redis.lrange(s.source, 0, -1)).reverse();
}

async function topicExists(s: Scenario): Promise<boolean> {
  const admin = s.kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(s.topic);
  } finally {
    await admin.disconnect();
  }
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
    assert.equal(await s.redis.exists(`${s.processing}:since`), 1);
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

    for (const args of [['replay'], ['replay', '--publish']]) {
      const { code, stdout, stderr } = await runCli(args, s.env());
      assert.equal(code, 1, args.join(' '));
      assert.equal(stdout, '');
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, /^cdr-bridge: a bridge is running and holds the lease \(bridge-host-7 pid 4242, lease expires in [0-9.]+ s\).*--force$/);
    }
    assert.deepEqual(await takeOrder(s), []);
    assert.deepEqual((await s.redis.lrange(s.processing, 0, -1)).reverse(), items, 'processing list untouched');
    assert.equal(await topicExists(s), false, 'nothing was published');
  });

  it('--force moves them back even while the lease is held: the next take gets the oldest', async () => {
    const s = scenario();
    const items = takeSynthetic(4, { seed: 24 });
    await leftInFlight(s, items);
    await s.redis.set(`${s.source}:lease`, `bridge-host-7|4242|${Date.now()}|abcdef`, 'PX', 60_000);

    const { code, stdout, stderr } = await runCli(['replay', '--force'], s.env());
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `moved 4 CDRs from ${s.processing} back to ${s.source}: the bridge takes them next, oldest first\n`);
    assert.deepEqual(await s.lengths(), { source: 4, processing: 0, deadLetter: 0 });
    assert.equal(await s.redis.rpop(s.source), items[0], 'the next RPOP gives the oldest');
    assert.deepEqual(await takeOrder(s), items.slice(1));
  });

  it('moves 2,500 CDRs back in chunks, all taken before what the dialler pushed meanwhile, oldest first, and clears the in-flight clock', async () => {
    const s = scenario();
    const items = takeSynthetic(2500, { seed: 25 });
    await leftInFlight(s, items);
    const newer = takeSynthetic(2, { seed: 26, startSeq: 10_000 });
    await pushAll(s.redis, s.source, newer);

    const { code, stdout, stderr } = await runCli(['replay', '--json'], s.env());
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { moved: 2500, from: s.processing, to: s.source });
    assert.deepEqual(await takeOrder(s), [...items, ...newer], 'replayed oldest first, then the newer CDRs in their own order');
    assert.equal(await s.redis.exists(s.processing, `${s.processing}:since`), 0, 'processing list and its since key are gone');
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
    assert.equal(await s.redis.exists(`${s.processing}:since`), 0);
  });

  it('--publish of CDRs the topic already holds (a crash after the broker confirmed) adds no second copy', async () => {
    const s = scenario();
    const good = takeSynthetic(4, { seed: 28 });
    await leftInFlight(s, good);
    assert.equal((await runCli(['replay', '--publish'], s.env())).code, 0);
    await leftInFlight(s, good);

    const { code, stdout, stderr } = await runCli(['replay', '--publish'], s.env());
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `published 0 CDRs to ${s.topic} (4 were already there), dead-lettered 0, and removed them from ${s.processing}\n`);
    assert.equal((await s.records()).length, 4);
    assert.deepEqual(await s.lengths(), { source: 0, processing: 0, deadLetter: 0 });
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
