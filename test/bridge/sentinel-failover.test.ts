// Behind Redis Sentinel the bridge follows a failover: a real master (AOF on), its replica and
// one Sentinel, started here on loopback ports; a real Kafka (the shared stack's). CDRs are
// pushed steadily, each confirmed on the replica with WAIT; `SENTINEL FAILOVER` promotes the
// replica mid-stream; every CDR must end up in the topic exactly once, the lists empty on the
// new master.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { BridgeProcess, ROOT, runCli } from '../support/bridge-process';
import { closedPort } from '../support/closed-port';
import { LocalRedis } from '../support/local-redis';
import { assertAllDelivered, expectedCdr } from '../support/scenario';
import { kafkaSettings, services, uniqueName, waitFor } from '../support/services';
import { endpointsOf, scrapeSample } from '../support/ops-endpoints';
import { readTopic, readTopicUntil } from '../support/topic';

const MASTER_NAME = 'm';
// The Sentinel has a password of its own (the master has none), as REDIS_SENTINEL_PASSWORD gives it.
const SENTINEL_PASSWORD = `sentinel-pw-${process.pid}`;
// Bursts of 100 per WAIT, so the source list holds CDRs when the failover comes: a take lost
// with the old master then puts already-taken CDRs back on the new one. Before the bridge
// checked its Redis session before publishing, this gave a duplicated batch in some runs.
const BURST = Number(process.env.SENTINEL_TEST_BURST ?? 100);
const TOTAL = 1500;
// A push that WAIT saw no replica confirm may go to the old master in the failover window and be
// lost with it; the test then pushes it again. Only pushes in that window can be lost so, and at
// BURST per push it is at most two bursts: the one WAIT timed out on while the Sentinel switched,
// and one the producer sent before following the switch. More re-pushed CDRs would be the bridge
// losing CDRs, which the re-push would otherwise hide.
const MAX_RE_PUSHED = 2 * BURST;

let dir: string;
let master: LocalRedis;
let replica: LocalRedis;
let sentinel: LocalRedis;
const clients: Redis[] = [];
let bridge: BridgeProcess | undefined;

function sentinelClient(): Redis {
  // The test's producer and checker follow the master through the Sentinel, as the bridge does.
  const client = new Redis({ sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: MASTER_NAME, sentinelPassword: SENTINEL_PASSWORD, failoverDetector: true, maxRetriesPerRequest: null });
  clients.push(client);
  return client;
}

function direct(port: number, password?: string): Redis {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 3, ...(password ? { password } : {}) });
  clients.push(client);
  return client;
}

async function masterPort(): Promise<number> {
  const addr = (await direct(sentinel.port, SENTINEL_PASSWORD).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string];
  return Number(addr[1]);
}

before(async () => {
  const installed = spawnSync('bash', [path.join(ROOT, 'scripts/ensure-redis-sentinel')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(installed.status, 0, `scripts/ensure-redis-sentinel failed:\n${installed.stderr}`);
  dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-sentinel-'));
  // No diskless-sync delay: the replica is in sync a moment after it starts, not 5 s later.
  master = await LocalRedis.start(path.join(dir, 'master'), ['--appendonly', 'yes', '--repl-diskless-sync-delay', '0']);
  replica = await LocalRedis.start(path.join(dir, 'replica'), ['--appendonly', 'yes', '--repl-diskless-sync-delay', '0', '--replicaof', '127.0.0.1', String(master.port)]);
  await waitFor('the replica to sync', async () => /master_link_status:up/.test(await direct(replica.port).info('replication')), 15_000);
  sentinel = await LocalRedis.start(path.join(dir, 'sentinel'), [], {
    sentinelConfig: [
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 3000`,
      `requirepass ${SENTINEL_PASSWORD}`,
    ],
  });
  await waitFor('the Sentinel to know the replica', async () => {
    const replicas = (await direct(sentinel.port, SENTINEL_PASSWORD).call('SENTINEL', 'REPLICAS', MASTER_NAME)) as string[][];
    return replicas.some((r) => r.includes(String(replica.port)) && r[r.indexOf('master-link-status') + 1] === 'ok');
  }, 20_000);
}, { timeout: 400_000 });

after(async () => {
  await bridge?.stop('SIGKILL');
  for (const c of clients) c.disconnect();
  for (const server of [sentinel, replica, master]) await server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, { timeout: 60_000 });

describe('Redis Sentinel: a failover mid-stream', () => {
  it('the bridge follows the new master; every CDR lands in the topic exactly once and the lists end empty', async () => {
    const source = uniqueName('test:sentinel');
    const topic = uniqueName('test.sentinel');
    const kafka = kafkaSettings();
    const env = {
      // Nothing listens here: with REDIS_SENTINELS the URL gives only scheme, credentials and db.
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
      REDIS_SENTINEL_NAME: MASTER_NAME,
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
      KAFKA_BROKERS: services.kafkaBrokers,
      CDR_SOURCE_KEY: source,
      KAFKA_TOPIC: topic,
      HTTP_PORT: '0',
      BATCH_SIZE: '50',
    };
    bridge = BridgeProcess.run(env);
    await bridge.waitForLog('acquired the lease');

    const payloads = Array.from({ length: TOTAL }, (_, i) => JSON.stringify({ internal_call_ref: `sentinel-${i}`, ext: String(2000 + (i % 50)), disposition: 'ANSWERED', seq: i }));
    const producer = sentinelClient();
    const unconfirmed: number[] = [];
    let failover: Promise<unknown> | undefined;
    let inTopicAtFailover = -1;
    for (let i = 0; i < TOTAL; i += BURST) {
      if (failover === undefined && i >= Math.floor(TOTAL / 3)) {
        // Mid-stream means after the bridge has delivered CDRs, however long its start took
        // (topic checks, producer initialisation, the first transaction) on a loaded machine.
        inTopicAtFailover = (await readTopicUntil(kafka, topic, 1, 180_000)).length;
        failover = direct(sentinel.port, SENTINEL_PASSWORD).call('SENTINEL', 'FAILOVER', MASTER_NAME);
      }
      const burst = payloads.slice(i, i + BURST);
      await producer.lpush(source, ...burst);
      // A push only counts as made once the replica has it: what a failover cannot take back.
      const replicas = await producer.wait(1, 1000);
      if (replicas < 1) for (let j = i; j < i + burst.length; j++) unconfirmed.push(j);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await failover, 'OK');
    await waitFor('the Sentinel to promote the replica', async () => (await masterPort()) === replica.port, 30_000);
    assert.ok(inTopicAtFailover > 0 && inTopicAtFailover < TOTAL, `the failover came mid-stream (${inTopicAtFailover} of ${TOTAL} delivered before it)`);

    // A push whose WAIT saw no replica may have gone to the old master in the failover window
    // and been lost with it (or taken from there by the bridge first). Such a CDR is pushed
    // again only if it is nowhere: not on the new master and not in the topic.
    const onNewMaster = direct(replica.port);
    const drained = async (): Promise<boolean> => (await Promise.all([source, `${source}:processing`, `${source}:processing:landing`].map((k) => onNewMaster.llen(k)))).every((n) => n === 0);
    await waitFor('the bridge to drain the new master', drained, 120_000);
    // Every CDR the bridge has committed, visible: a commit's markers reach the partition a
    // moment after the commit returns, so read until the topic holds what the bridge counted.
    const base = await endpointsOf(bridge);
    const committed = await scrapeSample(base, 'cdr_bridge_published_total');
    assert.ok(committed !== undefined && committed > 0, `the bridge counts what it committed (cdr_bridge_published_total: ${committed})`);
    const seen = new Set((await readTopicUntil(kafka, topic, committed)).map((r) => r.cdr.cdr_id));
    const rePushed = unconfirmed.filter((i) => !seen.has(expectedCdr(payloads[i]!).cdr_id));
    assert.ok(rePushed.length <= MAX_RE_PUSHED, `${rePushed.length} CDRs missing from the topic after the failover (at most ${MAX_RE_PUSHED} unconfirmed pushes can be lost with the old master): ${rePushed.slice(0, 10).join(', ')}…`);
    for (const i of rePushed) await onNewMaster.lpush(source, payloads[i]!);

    await waitFor('the bridge to drain the new master again', drained, 120_000);
    const records = await readTopicUntil(kafka, topic, TOTAL);
    const copies = assertAllDelivered(payloads, records);
    const duplicated = [...copies.entries()].filter(([, n]) => n > 1);
    assert.deepEqual(duplicated, [], `${duplicated.length} CDRs in the topic more than once`);
    assert.equal(records.length, TOTAL);
    assert.deepEqual(await Promise.all([onNewMaster.llen(source), onNewMaster.llen(`${source}:processing`), onNewMaster.llen(`${source}:deadletter`)]), [0, 0, 0]);
    assert.ok(bridge.running, 'the bridge rode the failover out');
    // The operator commands find the (new) master through the Sentinel too.
    const status = await runCli(['status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as { source: { length: number }; topic: { offsets: number }; lease: { holder: string | null } };
    assert.equal(shown.source.length, 0);
    assert.ok(shown.topic.offsets > TOTAL, 'every record, and the transaction markers');
    assert.ok(shown.lease.holder !== null, 'the bridge still leads');
    const recovered = bridge.logs.filter((l) => l.msg === 'settling what was in flight');
    process.stdout.write(`# failover at ${inTopicAtFailover}/${TOTAL} delivered; ${unconfirmed.length} pushes unconfirmed by WAIT, ${rePushed.length} of them re-pushed; recoveries: ${JSON.stringify(recovered.map((l) => ({ cdrs: l.cdrs, alreadyInKafka: l.alreadyInKafka })))}\n`);
    assert.equal((await bridge.stop()).code, 0);
    assert.equal(`${bridge.stdout}${bridge.stderr}${status.stdout}${status.stderr}`.includes(SENTINEL_PASSWORD), false, 'the Sentinel password is never shown');
  });
});
