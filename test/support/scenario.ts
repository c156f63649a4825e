// A test scenario: its own source key and topic, the bridge's environment for them, and the
// checks every delivery test makes (lists drained, every CDR in the topic, decoded intact).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { KafkaClientSettings } from '../../src/sink/kafka-client';
import { after } from 'node:test';
import { decodePayload } from '../../src/codec/decode-payload';
import type { Cdr } from '../../src/codec/cdr';
import { kafkaSettings, pushAll, redisClient, services, uniqueName, waitFor } from './services';
import { readTopic, type TopicRecord } from './topic';

export class Scenario {
  readonly source = uniqueName('test:cdrs');
  readonly topic = uniqueName('test.cdrs');
  readonly redis: Redis = redisClient();
  readonly kafka: KafkaClientSettings = kafkaSettings();

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      REDIS_URL: services.redisUrl,
      KAFKA_BROKERS: services.kafkaBrokers,
      CDR_SOURCE_KEY: this.source,
      KAFKA_TOPIC: this.topic,
      KAFKA_TOPIC_PARTITIONS: '3',
      HTTP_PORT: '0',
      LEASE_TTL_MS: '3000',
      // Single-object framing unless a test asks for the registry (the stack may run one).
      SCHEMA_REGISTRY_URL: '',
      ...extra,
    };
  }

  get processing(): string {
    return `${this.source}:processing`;
  }

  get deadLetter(): string {
    return `${this.source}:deadletter`;
  }

  async lengths(): Promise<{ source: number; processing: number; deadLetter: number }> {
    const [source, processing, deadLetter] = await Promise.all([this.redis.llen(this.source), this.redis.llen(this.processing), this.redis.llen(this.deadLetter)]);
    return { source, processing, deadLetter };
  }

  /** Waits until the source and processing lists are both empty. */
  async drained(timeoutMs = 120000): Promise<void> {
    await waitFor('source and processing lists to drain', async () => {
      const l = await this.lengths();
      return l.source === 0 && l.processing === 0;
    }, timeoutMs);
  }

  async records(): Promise<TopicRecord[]> {
    return readTopic(this.kafka, this.topic);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** Pushes payloads in chunks with pauses, like a dialler writing at a steady rate. */
export async function pushSteadily(s: Scenario, payloads: string[], chunk = 250, pauseMs = 40): Promise<void> {
  for (let i = 0; i < payloads.length; i += chunk) {
    await pushAll(s.redis, s.source, payloads.slice(i, i + chunk));
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The record a payload must come out as (received_at aside, which the bridge sets). */
export function expectedCdr(payload: string | Buffer): Omit<Cdr, 'received_at'> {
  const r = decodePayload(Buffer.from(payload), 0);
  assert.ok(r.ok, `test payload should be valid: ${payload.toString()}`);
  const { received_at: _ignored, ...rest } = r.cdr;
  return rest;
}

/**
 * Asserts every payload is in the topic, decoded equal to what went in; returns how many
 * copies each cdr_id has (so a test can demand exactly one, or allow duplicates).
 */
export function assertAllDelivered(payloads: readonly string[], records: readonly TopicRecord[], expected: (payload: string) => Omit<Cdr, 'received_at'> = expectedCdr): Map<string, number> {
  const copies = new Map<string, number>();
  const byId = new Map<string, TopicRecord>();
  for (const r of records) {
    assert.equal(r.cdrIdHeader, r.cdr.cdr_id, 'cdr-id header matches the record');
    copies.set(r.cdr.cdr_id, (copies.get(r.cdr.cdr_id) ?? 0) + 1);
    byId.set(r.cdr.cdr_id, r);
  }
  let missing = 0;
  for (const p of payloads) {
    const want = expected(p);
    const got = byId.get(want.cdr_id);
    if (!got) {
      missing++;
      continue;
    }
    const { received_at: receivedAt, ...rest } = got.cdr;
    assert.deepEqual(rest, want);
    assert.ok(receivedAt > 1.6e12, 'received_at is a real time');
  }
  assert.equal(missing, 0, `${missing} of ${payloads.length} CDRs missing from the topic`);
  return copies;
}

/** Within each partition, records of one key appear in the order they were pushed (by `seq`). */
export function assertOrderPerKey(records: readonly TopicRecord[]): number {
  const lastSeq = new Map<string, number>();
  const sorted = [...records].sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
  let keys = 0;
  for (const r of sorted) {
    const k = `${r.partition}/${r.key}`;
    const seq = Number(r.cdr.extra.seq);
    const prev = lastSeq.get(k);
    if (prev === undefined) keys++;
    else assert.ok(seq > prev, `key ${r.key}: seq ${seq} came after ${prev}`);
    lastSeq.set(k, seq);
  }
  return keys;
}

/** Scenarios for one test file, all closed when the file's tests end. */
export function scenarioFactory(): () => Scenario {
  const made: Scenario[] = [];
  after(async () => {
    for (const s of made) await s.close();
  });
  return () => {
    const s = new Scenario();
    made.push(s);
    return s;
  };
}
