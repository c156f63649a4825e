// With a schema registry configured (a real Apicurio Registry, Confluent API, on this test's own
// stack), the bridge writes the Confluent wire format with the id the registry holds for
// <topic>-value, `tail` reads it back through the registry, `schema register` registers the
// schema on its own, and a registry that is down at start is waited for, not a crash.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Redis from 'ioredis';
import { withAdmin, type KafkaClientSettings } from '../../src/sink/kafka-client';
import { createTopics } from '../../src/sink/topic-admin';
import { PlainProducer } from '../support/plain-producer';
import { cdrSchemaText } from '../../src/codec/cdr';
import { confluentFramer } from '../../src/codec/framing';
import { BridgeProcess, runCli } from '../support/bridge-process';
import { OwnStack } from '../support/own-stack';
import { assertAllDelivered, expectedCdr } from '../support/scenario';
import { pushAll, uniqueName, waitFor } from '../support/services';
import { readTopicUntil } from '../support/topic';

let stack: OwnStack;
let registryUrl: string;
let redis: Redis;
let kafka: KafkaClientSettings;
const bridges: BridgeProcess[] = [];

before(async () => {
  stack = await OwnStack.up({ registry: true });
  registryUrl = stack.env.SCHEMA_REGISTRY_URL ?? assert.fail('the stack wrote no SCHEMA_REGISTRY_URL');
  redis = stack.redis();
  kafka = stack.kafka();
  // Other schemas first, so the Cdr schema's id on this fresh registry is not simply 1.
  for (const name of ['PaddingA', 'PaddingB']) {
    const res = await fetch(`${registryUrl}/subjects/test.padding.${name}-value/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify({ type: 'record', name, fields: [{ name: 'x', type: 'int' }] }) }),
    });
    assert.equal(res.status, 200, await res.text());
  }
}, { timeout: 400_000 });

after(async () => {
  await Promise.all(bridges.map((b) => b.stop('SIGKILL')));
  await stack?.down();
}, { timeout: 120_000 });

function env(source: string, topic: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: stack.redisUrl,
    KAFKA_BROKERS: stack.kafkaBrokers,
    SCHEMA_REGISTRY_URL: registryUrl,
    CDR_SOURCE_KEY: source,
    KAFKA_TOPIC: topic,
    HTTP_PORT: '0',
    LEASE_TTL_MS: '3000',
    ...extra,
  };
}

function payloads(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ internal_call_ref: `${tag}-${i}`, ext: String(1000 + i), disposition: 'ANSWERED', SIP_termination_code: 200, seq: i }));
}

/** The id the registry itself gives for the Cdr schema under a subject (asked directly, not via the client under test). */
async function registryIdOf(subject: string): Promise<number> {
  const res = await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: cdrSchemaText }),
  });
  assert.equal(res.status, 200, `registry lookup of ${subject}: ${await res.clone().text()}`);
  return ((await res.json()) as { id: number }).id;
}

async function drained(source: string): Promise<void> {
  await waitFor('source and processing lists to drain', async () => (await redis.llen(source)) + (await redis.llen(`${source}:processing`)) === 0, 120_000);
}

describe('cdr-bridge with a schema registry', () => {
  it('`schema register` prints the subject and id, and the same id again on a second run', async () => {
    const topic = uniqueName('test.reg.cli');
    const first = await runCli(['schema', 'register', '--json'], { SCHEMA_REGISTRY_URL: registryUrl, KAFKA_TOPIC: topic });
    assert.equal(first.code, 0, first.stderr);
    const printed = JSON.parse(first.stdout) as { subject: string; id: number };
    assert.deepEqual(Object.keys(printed), ['subject', 'id']);
    assert.equal(printed.subject, `${topic}-value`);
    assert.equal(printed.id, await registryIdOf(`${topic}-value`));

    const second = await runCli(['schema', 'register', '--subject', `${topic}-value`], { SCHEMA_REGISTRY_URL: registryUrl });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, `registered schemas/cdr.avsc under subject "${topic}-value" at ${registryUrl}: id ${printed.id}\n`);
  });

  it('`schema register` without a registry exits 2 naming SCHEMA_REGISTRY_URL', async () => {
    const { code, stdout, stderr } = await runCli(['schema', 'register'], { SCHEMA_REGISTRY_URL: '' });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr, 'cdr-bridge: SCHEMA_REGISTRY_URL: is required to register the schema\n');
  });

  it('writes every CDR as 0x00 + the registry\'s id for <topic>-value (big-endian) + Avro, and `tail` prints them decoded', async () => {
    const source = uniqueName('test:reg');
    const topic = uniqueName('test.reg');
    const sent = payloads(40, 'reg');
    await pushAll(redis, source, sent);
    const bridge = BridgeProcess.run(env(source, topic));
    bridges.push(bridge);
    const registered = await bridge.waitForLog('registered the Cdr schema');
    await drained(source);

    const id = await registryIdOf(`${topic}-value`);
    assert.ok(id > 1, `the Cdr schema's id (${id}) comes after the padding schemas'`);
    assert.equal(registered.id, id);
    assert.equal(registered.subject, `${topic}-value`);
    const records = await readTopicUntil(kafka, topic, sent.length);
    assert.equal(records.length, sent.length);
    for (const r of records) {
      assert.equal(r.value[0], 0x00, 'Confluent magic byte');
      assert.equal(r.value.readUInt32BE(1), id, 'the registry\'s id, big-endian');
    }
    const copies = assertAllDelivered(sent, records);
    assert.deepEqual([...copies.values()].filter((n) => n !== 1), []);

    const tail = await runCli(['tail', '--from-beginning', '--count', String(sent.length)], env(source, topic), 60_000);
    assert.equal(tail.code, 0, tail.stderr);
    const lines = tail.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, sent.length);
    const byId = new Map(lines.map((l) => [l.cdr_id, l]));
    for (const p of sent) {
      const want = expectedCdr(p);
      const got = byId.get(want.cdr_id);
      assert.ok(got, `tail printed ${want.internal_call_ref}`);
      const { received_at: _t, ...rest } = got;
      assert.deepEqual(rest, want);
    }
    assert.equal((await bridge.stop()).code, 0);
  });

  it('`tail` takes writer schemas from the registry: an id the registry does not know is reported, not guessed', async () => {
    const topic = uniqueName('test.reg.unknown');
    const cdr = { cdr_id: 'b'.repeat(64), received_at: 1_700_000_000_000, internal_call_ref: 'unknown-id', ext: null, custom_call_ref: null, disposition: null, sip_termination_code: null, campaign_ref: null, client_number: null, dial_number: null, extra: {} };
    await withAdmin(kafka, (admin) => createTopics(admin, [{ topic, partitions: 1 }]));
    const producer = await PlainProducer.open(kafka);
    try {
      await producer.send(topic, [{ key: 'k', partition: 0, value: confluentFramer(424_242).encode(cdr) }]);
    } finally {
      await producer.close();
    }

    const withRegistry = await runCli(['tail', '--from-beginning', '--count', '1', '--kafka-topic', topic], { KAFKA_BROKERS: stack.kafkaBrokers, SCHEMA_REGISTRY_URL: registryUrl }, 60_000);
    assert.equal(withRegistry.code, 0, withRegistry.stderr);
    assert.deepEqual(JSON.parse(withRegistry.stdout), { partition: 0, offset: '0', error: 'schema id 424242 is unknown' });
    // Without a registry, tail can only assume the bridge's own schema.
    const without = await runCli(['tail', '--from-beginning', '--count', '1', '--kafka-topic', topic], { KAFKA_BROKERS: stack.kafkaBrokers, SCHEMA_REGISTRY_URL: '' }, 60_000);
    assert.deepEqual(JSON.parse(without.stdout), cdr);
  });

  it('a second start finds the id already registered and uses the same one', async () => {
    const source = uniqueName('test:reg2');
    const topic = uniqueName('test.reg2');
    const registered = await runCli(['schema', 'register', '--json'], { SCHEMA_REGISTRY_URL: registryUrl, KAFKA_TOPIC: topic });
    const { id } = JSON.parse(registered.stdout) as { id: number };
    await pushAll(redis, source, payloads(3, 'again'));
    const bridge = BridgeProcess.run(env(source, topic));
    bridges.push(bridge);
    const found = await bridge.waitForLog('found the Cdr schema in the registry');
    assert.equal(found.id, id);
    await drained(source);
    const records = await readTopicUntil(kafka, topic, 3);
    assert.deepEqual(records.map((r) => r.value.readUInt32BE(1)), [id, id, id]);
    await bridge.stop();
  });

  it('waits for a registry that is down at start (one warning), takes nothing meanwhile, then delivers', async () => {
    const source = uniqueName('test:regdown');
    const topic = uniqueName('test.regdown');
    const sent = payloads(10, 'down');
    await pushAll(redis, source, sent);
    await stack.stop('registry');
    let bridge: BridgeProcess | undefined;
    try {
      bridge = BridgeProcess.run(env(source, topic));
      bridges.push(bridge);
      await bridge.waitForLog('schema registry unreachable at start; retrying');
      await new Promise((r) => setTimeout(r, 4000));
      assert.equal(await redis.llen(source), sent.length, 'nothing taken before the schema id is known');
      assert.equal(await redis.exists(`${source}:processing`), 0);
    } finally {
      await stack.start('registry');
    }
    await bridge.waitForLog('schema registry reachable');
    await drained(source);
    const records = await readTopicUntil(kafka, topic, sent.length);
    assertAllDelivered(sent, records);
    const id = await registryIdOf(`${topic}-value`);
    assert.ok(records.every((r) => r.value[0] === 0 && r.value.readUInt32BE(1) === id));
    assert.equal(bridge.logs.filter((l) => l.msg === 'schema registry unreachable at start; retrying').length, 1, 'warned once, not per retry');
    assert.equal((await bridge.stop()).code, 0);
  });
});
