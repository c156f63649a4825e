// `cdr-bridge status` reports where the CDRs are — list lengths, the oldest in flight, the
// leader, the topic's records — and fails with one clear line when a service is unreachable.

import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import type { Status } from '../../src/cli/commands/status';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess, runCli } from '../support/bridge-process';
import { closedPort } from '../support/closed-port';
import { scenarioFactory, type Scenario } from '../support/scenario';
import { ReliableList } from '../../src/source/reliable-list';
import { pushAll, redisClient, waitFor } from '../support/services';
import { readTopicUntil } from '../support/topic';

const scenario = scenarioFactory();

async function status(s: Scenario, extra: Record<string, string> = {}): Promise<Status> {
  const { code, stdout, stderr } = await runCli(['status', '--json'], s.env(extra));
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout) as Status;
}

describe('cdr-bridge status', () => {
  it('reports the exact list lengths, the topic\'s record count and the live leader after a bridge run', async () => {
    const s = scenario();
    await pushAll(s.redis, s.source, [...takeSynthetic(20, { seed: 41 }), 'not json', '{"ext":"1001"}']);
    const bridge = BridgeProcess.run(s.env());
    try {
      await Promise.all([s.drained(), waitFor('two dead letters', async () => (await s.redis.llen(s.deadLetter)) === 2), readTopicUntil(s.kafka, s.topic, 20)])
        .catch((err: Error) => assert.fail(`${err.message}; the bridge's stderr:\n${bridge.stderr.slice(-3000)}`));

      const st = await status(s);
      assert.deepEqual(st.source, { key: s.source, length: 0 });
      assert.deepEqual(st.processing, { key: s.processing, length: 0, oldestAgeMs: null, oldestTakenAtMs: null });
      assert.deepEqual(st.deadLetter, { key: s.deadLetter, length: 2 });
      assert.equal(st.lease.key, `${s.source}:lease`);
      assert.equal(st.lease.holder, hostname());
      assert.equal(st.lease.pid, bridge.pid);
      assert.ok(st.lease.expiresInMs !== null && st.lease.expiresInMs > 0 && st.lease.expiresInMs <= 3000, `lease expires in ${st.lease.expiresInMs} ms`);
      assert.ok(!('error' in st.topic), JSON.stringify(st.topic));
      assert.equal(st.topic.name, s.topic);
      // 20 records, plus one marker per partition a commit wrote to.
      const markers = st.topic.offsets - 20;
      assert.ok(markers >= 1 && markers <= 3 * 20, `20 records and ${markers} transaction markers`);
      assert.deepEqual(st.topic.partitions.map((p) => p.partition), [0, 1, 2]);
      assert.equal(st.topic.partitions.reduce((a, p) => a + Number(p.high) - Number(p.low), 0), st.topic.offsets);
      assert.equal(st.topic.replicationFactor, 1, 'the one-node stack');
      assert.equal(st.topic.minInsyncReplicas, 1);
      assert.equal(st.topic.warning, undefined, 'one replica is all a one-broker cluster can keep: no warning');

      const table = await runCli(['status'], s.env());
      assert.equal(table.code, 0);
      assert.match(table.stdout, new RegExp(`^leader\\s+${s.source}:lease\\s+${hostname()} pid ${bridge.pid}, since `, 'm'));
      assert.match(table.stdout, new RegExp(`^dead letters\\s+${s.deadLetter}\\s+2$`, 'm'));
      assert.match(table.stdout, new RegExp(`^topic\\s+${s.topic.replace(/\./g, '\\.')}\\s+${st.topic.offsets} offsets \\(records and transaction markers\\) in 3 partitions, replication factor 1, min.insync.replicas 1$`, 'm'));
    } finally {
      await bridge.stop();
    }
  });

  it('shows the backlog, how long the oldest has been in flight, and no leader when no bridge runs', async () => {
    const s = scenario();
    await pushAll(s.redis, s.source, ['a', 'b', 'c']);
    // Two batches in flight, as a dead leader leaves them: the oldest taken 5 s ago, one just now.
    await pushAll(s.redis, s.processing, ['d', 'e']);
    await s.redis.lpush(`${s.processing}:batches`, `7 1 ${Date.now() - 5000}`, `8 1 ${Date.now()}`);

    const st = await status(s);
    assert.equal(st.source.length, 3);
    assert.equal(st.processing.length, 2);
    assert.ok(st.processing.oldestAgeMs !== null && st.processing.oldestAgeMs >= 5000 && st.processing.oldestAgeMs < 60_000, `oldest in flight ${st.processing.oldestAgeMs} ms`);
    assert.deepEqual(st.lease, { key: `${s.source}:lease`, holder: null, pid: null, sinceMs: null, expiresInMs: null, noLeaderReason: null });
    assert.ok(st.memory && st.memory.used > 0 && !st.memory.refusesWrites, JSON.stringify(st.memory));

    const table = await runCli(['status'], s.env());
    assert.match(table.stdout, /^leader\s+\S+\s+none \(no bridge is leading\)$/m);
    assert.match(table.stdout, /^processing\s+\S+\s+2 \(oldest in flight: \d+\.\d s\)$/m);
  });

  it('the oldest in flight is the age of the oldest batch still there, not the time since the last ack', async () => {
    const s = scenario();
    const [redis, blocking] = [redisClient(), redisClient()];
    try {
      const keys = { source: s.source, processing: s.processing, deadLetter: s.deadLetter, lease: `${s.source}:lease` };
      const list = new ReliableList(redis, blocking, keys);
      await s.redis.set(keys.lease, 'test-token');
      const serverMs = async (): Promise<number> => {
        const [sec, micro] = await s.redis.time();
        return Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
      };
      // Batch B is taken while A is published (the bridge takes ahead); A is acked 1.5 s later.
      // What is in flight then, B, has been there since its take, not since that ack.
      await pushAll(s.redis, s.source, ['a1', 'a2']);
      const a = (await list.takeReady(10, 'test-token'))!;
      await pushAll(s.redis, s.source, ['b1', 'b2']);
      const beforeB = await serverMs();
      const b = (await list.takeReady(10, 'test-token'))!;
      const afterB = await serverMs();
      assert.deepEqual(b.items.map(String), ['b1', 'b2']);
      await waitFor('1.5 s of Redis time to pass', async () => (await serverMs()) >= afterB + 1500);
      assert.deepEqual(await list.ack(a.listId, a.seq), { removed: 2, deadLettered: 0, remaining: 2 });

      const asked = await serverMs();
      const st = await status(s);
      assert.equal(st.processing.length, 2);
      const { oldestTakenAtMs, oldestAgeMs } = st.processing;
      assert.ok(oldestTakenAtMs !== null && oldestTakenAtMs >= beforeB && oldestTakenAtMs <= afterB, `the oldest was taken at ${oldestTakenAtMs}: B's take, between ${beforeB} and ${afterB} (Redis time)`);
      assert.ok(oldestAgeMs !== null && oldestAgeMs >= asked - afterB, `oldest in flight ${oldestAgeMs} ms, at least since B's take (${asked - afterB} ms before status was asked)`);

      await list.ack(b.listId, b.seq);
      assert.deepEqual(await status(s).then((x) => [x.processing.oldestAgeMs, x.processing.oldestTakenAtMs]), [null, null], 'nothing in flight');
    } finally {
      redis.disconnect();
      blocking.disconnect();
    }
  });

  it('exits 1 with one line naming the Redis it cannot reach, password redacted', async () => {
    const s = scenario();
    const port = await closedPort();
    const { code, stdout, stderr } = await runCli(['status'], s.env({ REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${port}` }));
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(stderr, `cdr-bridge: cannot reach Redis at redis://:***@127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  it('exits 1 with one line naming the Kafka it cannot reach, still printing the Redis side', async () => {
    const s = scenario();
    await pushAll(s.redis, s.source, ['a', 'b', 'c', 'd']);
    const port = await closedPort();
    const { code, stdout, stderr } = await runCli(['status', '--json'], s.env({ KAFKA_BROKERS: `127.0.0.1:${port}` }));
    assert.equal(code, 1);
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, new RegExp(`^cdr-bridge: cannot reach Kafka at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    const st = JSON.parse(stdout) as Status;
    assert.equal(st.source.length, 4);
    assert.ok('error' in st.topic && st.topic.error.startsWith('unreachable: '), JSON.stringify(st.topic));
  });
});
