// The consumer examples of docs/consumers.md — Python (confluent-kafka + Apache Avro, from
// Debian) and Java (kafka-clients + Apache Avro, from Maven Central) — run as a downstream
// team would run them, against a topic the real bridge filled with known CDRs, in both
// framings. Each must print every CDR once, equal to what went in, in order for each key.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Redis from 'ioredis';
import type { KafkaClientSettings } from '../../src/sink/kafka-client';
import type { Cdr } from '../../src/codec/cdr';
import { BridgeProcess, ROOT } from '../support/bridge-process';
import { runToEnd } from '../support/child';
import { OwnStack } from '../support/own-stack';
import { expectedCdr, Scenario } from '../support/scenario';
import { pushAll, services, uniqueName, waitFor } from '../support/services';
import { readTopicUntil, type TopicRecord } from '../support/topic';

const SCHEMA = path.join(ROOT, 'schemas/cdr.avsc');
const JAVA_RUN = path.join(ROOT, 'examples/consumers/java/run');
const PYTHON_SCRIPT = path.join(ROOT, 'examples/consumers/python/consume_cdrs.py');

/** What each example prints per record. */
interface Printed {
  partition: number;
  offset: number;
  key: string | null;
  cdr_id_header: string | null;
  cdr: Cdr;
}

/** Installs what the examples need (idempotent; quick when present); returns the Python to use. */
let python: string;
before(() => {
  python = execFileSync('bash', [path.join(ROOT, 'scripts/ensure-consumer-examples')], { encoding: 'utf8', timeout: 600_000 }).trim();
});

/** 24 CDRs over 4 calls (keys), 6 each, with what a consumer must carry exactly. */
function knownCdrs(prefix: string): string[] {
  const payloads: string[] = [];
  for (let seq = 0; seq < 24; seq++) {
    const key = seq % 4;
    payloads.push(JSON.stringify({
      ext: seq % 5 === 0 ? null : `10${seq}`,
      internal_call_ref: `${prefix}-call-${key}`,
      custom_call_ref: `crm-${seq}`,
      disposition: seq % 2 === 0 ? 'ANSWERED' : 'BUSY',
      SIP_termination_code: seq % 2 === 0 ? 200 : '486',
      campaign_ref: 'spring-2026',
      client_number: '00447700900123',
      dial_number: `+44 7700 900${String(seq).padStart(3, '0')}`,
      seq,
      note: 'Zoë “quoted” ✓ \\ end',
      nested: { a: [1, 2.50, true] },
    }));
  }
  return payloads;
}

/** Runs the bridge until the topic holds every payload; returns the topic as the tests' reader reads it. */
async function publish(env: Record<string, string>, redis: Redis, kafka: KafkaClientSettings, source: string, topic: string, payloads: string[]): Promise<TopicRecord[]> {
  await pushAll(redis, source, payloads);
  const bridge = BridgeProcess.run(env);
  try {
    await waitFor('the bridge to drain its lists', async () => (await redis.llen(source)) === 0 && (await redis.llen(`${source}:processing`)) === 0, 120_000);
    return await readTopicUntil(kafka, topic, payloads.length);
  } finally {
    assert.equal((await bridge.stop()).code, 0);
  }
}

function consumerArgs(brokers: string, topic: string, count: number, registry?: string): string[] {
  return ['--bootstrap-servers', brokers, '--topic', topic, '--group', uniqueName('example'), '--schema', SCHEMA, '--count', String(count), '--idle-timeout', '60', ...(registry ? ['--registry', registry] : [])];
}

async function runPython(args: string[]): Promise<string> {
  const run = await runToEnd(python, [PYTHON_SCRIPT, ...args], 180_000, { cwd: ROOT });
  assert.equal(run.code, 0, `python example exited ${run.code}:\n${run.stderr.slice(-3000)}`);
  return run.stdout;
}

async function runJava(args: string[]): Promise<string> {
  // The first run fetches the jars and compiles (cached in ~/.cache/cdr-bridge afterwards).
  const run = await runToEnd('bash', [JAVA_RUN, ...args], 600_000, { cwd: ROOT });
  assert.equal(run.code, 0, `java example exited ${run.code}:\n${run.stderr.slice(-3000)}`);
  return run.stdout;
}

/** Every CDR printed once, whole and equal to what went in and to the topic's record; per-key order kept. */
function assertPrintedAll(stdout: string, payloads: readonly string[], records: readonly TopicRecord[]): void {
  const printed = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Printed);
  assert.equal(printed.length, payloads.length, 'one line per CDR');
  const topic = new Map(records.map((r) => [r.cdr.cdr_id, r]));
  const wanted = new Map(payloads.map((p) => [expectedCdr(p).cdr_id, expectedCdr(p)]));
  const seen = new Set<string>();
  const lastSeq = new Map<string, number>();
  for (const line of printed) {
    const { received_at: _set, ...content } = line.cdr;
    const want = wanted.get(line.cdr.cdr_id);
    assert.ok(want, `printed a CDR that was not sent: ${JSON.stringify(line.cdr)}`);
    assert.deepEqual(content, want, 'the CDR as the dialler wrote it');
    const record = topic.get(line.cdr.cdr_id)!;
    assert.deepEqual(line.cdr, record.cdr, 'the record as the topic holds it (received_at too)');
    assert.deepEqual([line.partition, BigInt(line.offset), line.key, line.cdr_id_header], [record.partition, record.offset, line.cdr.internal_call_ref, line.cdr.cdr_id]);
    assert.ok(!seen.has(line.cdr.cdr_id), 'each CDR once');
    seen.add(line.cdr.cdr_id);
    const seq = Number(line.cdr.extra.seq);
    const key = line.key!;
    assert.ok((lastSeq.get(key) ?? -1) < seq, `key ${key}: seq ${seq} printed after ${lastSeq.get(key)}`);
    lastSeq.set(key, seq);
  }
  assert.equal(lastSeq.size, 4, 'four keys');
}

describe('consumer examples, Avro single-object framing (the bridge without a registry)', () => {
  const s = new Scenario();
  after(() => s.close());
  let payloads: string[];
  let records: TopicRecord[];
  before(async () => {
    payloads = knownCdrs(s.source);
    records = await publish(s.env(), s.redis, s.kafka, s.source, s.topic, payloads);
  });

  it('the Python example (confluent-kafka, read_committed) prints every CDR once, equal to what went in, in order per key', async () => {
    assertPrintedAll(await runPython(consumerArgs(services.kafkaBrokers, s.topic, payloads.length)), payloads, records);
  });

  it('the Java example (kafka-clients, read_committed) prints every CDR once, equal to what went in, in order per key', async () => {
    assertPrintedAll(await runJava(consumerArgs(services.kafkaBrokers, s.topic, payloads.length)), payloads, records);
  });
});

describe('consumer examples, Confluent wire format (the bridge with a schema registry; own stack)', () => {
  let stack: OwnStack;
  let registry: string;
  let topic: string;
  let payloads: string[];
  let records: TopicRecord[];
  before(async () => {
    stack = await OwnStack.up({ registry: true });
    registry = stack.env.SCHEMA_REGISTRY_URL ?? assert.fail('the stack wrote no SCHEMA_REGISTRY_URL');
    const s = new Scenario();
    topic = s.topic;
    payloads = knownCdrs(s.source);
    const redis = stack.redis();
    records = await publish(s.env({ REDIS_URL: stack.redisUrl, KAFKA_BROKERS: stack.kafkaBrokers, SCHEMA_REGISTRY_URL: registry }), redis, stack.kafka(), s.source, topic, payloads);
    await s.close();
    assert.equal(records[0]!.value[0], 0x00, 'Confluent-framed');
  });
  after(async () => {
    await stack?.down();
  });

  it('the Python example fetches the writer schema by id and prints every CDR once, equal to what went in', async () => {
    assertPrintedAll(await runPython(consumerArgs(stack.kafkaBrokers, topic, payloads.length, registry)), payloads, records);
  });

  it('the Java example fetches the writer schema by id and prints every CDR once, equal to what went in', async () => {
    assertPrintedAll(await runJava(consumerArgs(stack.kafkaBrokers, topic, payloads.length, registry)), payloads, records);
  });
});

