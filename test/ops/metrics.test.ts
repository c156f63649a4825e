// The metrics observer: what the bridge reports comes out of its own registry as Prometheus
// text with exact values, list lengths are read at scrape time without ever failing a scrape,
// and readiness follows role, Redis and Kafka.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { BridgeMetrics, type ListLengths } from '../../src/ops/metrics';
import { sample } from '../support/ops-endpoints';

async function scrape(m: BridgeMetrics): Promise<string> {
  return m.registry.metrics();
}

describe('metrics: counters and histograms', () => {
  it('counts published, dead-lettered, recovered and retried exactly as reported', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.published(3, 12, 10);
    m.published(2, 700, 1500);
    m.deadLettered(4);
    m.recovered(7, 2);
    m.retried('publish');
    m.retried('publish');
    m.retried('ack');
    const text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_published_total'), 5);
    assert.equal(sample(text, 'cdr_bridge_dead_lettered_total'), 4);
    assert.equal(sample(text, 'cdr_bridge_recovered_total'), 7);
    assert.equal(sample(text, 'cdr_bridge_recovered_already_in_kafka_total'), 2);
    assert.equal(sample(text, 'cdr_bridge_retries_total{operation="publish"}'), 2);
    assert.equal(sample(text, 'cdr_bridge_retries_total{operation="ack"}'), 1);
    assert.equal(sample(text, 'cdr_bridge_retries_total{operation="take"}'), 0, 'every operation has a series from the start');
    assert.equal(sample(text, 'cdr_bridge_retries_total{operation="connect"}'), 0);
  });

  it('times batches and CDR ages in seconds, in buckets from 0.5 ms to 30 s', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.published(3, 12, 10);
    m.published(2, 700, 1500);
    const text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_batch_publish_seconds_count'), 2);
    assert.equal(sample(text, 'cdr_bridge_batch_publish_seconds_sum'), 0.712);
    assert.equal(sample(text, 'cdr_bridge_batch_publish_seconds_bucket{le="0.0005"}'), 0);
    assert.equal(sample(text, 'cdr_bridge_batch_publish_seconds_bucket{le="0.025"}'), 1);
    assert.equal(sample(text, 'cdr_bridge_batch_publish_seconds_bucket{le="1"}'), 2);
    assert.equal(sample(text, 'cdr_bridge_batch_publish_seconds_bucket{le="30"}'), 2);
    assert.equal(sample(text, 'cdr_bridge_cdr_age_at_publish_seconds_count'), 5);
    // Every CDR of a batch shares the batch's age: 3 × 10 ms and 2 × 1.5 s.
    assert.ok(Math.abs((sample(text, 'cdr_bridge_cdr_age_at_publish_seconds_sum') ?? 0) - 3.03) < 1e-9);
    assert.equal(sample(text, 'cdr_bridge_cdr_age_at_publish_seconds_bucket{le="0.005"}'), 0);
    assert.equal(sample(text, 'cdr_bridge_cdr_age_at_publish_seconds_bucket{le="0.01"}'), 3);
    assert.equal(sample(text, 'cdr_bridge_cdr_age_at_publish_seconds_bucket{le="1"}'), 3);
    assert.equal(sample(text, 'cdr_bridge_cdr_age_at_publish_seconds_bucket{le="2.5"}'), 5);
  });

  it('does not time a batch that needed no send (all of it dead-lettered)', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.published(0, 3, 0);
    const text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_published_total'), 0);
    assert.equal(sample(text, 'cdr_bridge_batch_publish_seconds_count'), 0);
  });

  it('uses a registry of its own, with the process defaults under the cdr_bridge_ prefix', async () => {
    const m = new BridgeMetrics();
    m.published(1, 1, 1);
    const text = await scrape(m);
    assert.match(text, /^cdr_bridge_process_cpu_user_seconds_total /m);
    assert.match(text, /^cdr_bridge_nodejs_eventloop_lag_seconds /m);
    assert.doesNotMatch(await globalRegistry.metrics(), /cdr_bridge_published_total/);
    assert.equal(m.registry.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  });
});

describe('metrics: role and connection gauges', () => {
  it('shows the role as is_leader and as one role series set to 1', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    let text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_is_leader'), 0);
    assert.equal(sample(text, 'cdr_bridge_role{role="starting"}'), 1);
    m.role('leader');
    text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_is_leader'), 1);
    assert.equal(sample(text, 'cdr_bridge_role{role="starting"}'), 0);
    assert.equal(sample(text, 'cdr_bridge_role{role="leader"}'), 1);
    m.role('standby');
    text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_is_leader'), 0);
    assert.equal(sample(text, 'cdr_bridge_role{role="leader"}'), 0);
    assert.equal(sample(text, 'cdr_bridge_role{role="standby"}'), 1);
  });

  it('shows redis_up and kafka_up as 1/0', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    let text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_redis_up'), 0, 'down until the connection says ready');
    assert.equal(sample(text, 'cdr_bridge_kafka_up'), 0, 'down until the sink connects');
    m.redisUp(true);
    m.kafkaUp(true);
    text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_redis_up'), 1);
    assert.equal(sample(text, 'cdr_bridge_kafka_up'), 1);
    m.kafkaProbed(false);
    text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_kafka_up'), 0, 'a failed probe takes Kafka down');
  });
});

describe('metrics: list lengths at scrape time', () => {
  it('reads the source backlog and the in-flight count with one call per scrape', async () => {
    let calls = 0;
    let lengths: ListLengths = { source: 7, processing: 3 };
    const m = new BridgeMetrics({ defaultMetrics: false, listLengths: async () => (calls++, lengths) });
    let text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_source_backlog'), 7);
    assert.equal(sample(text, 'cdr_bridge_in_flight'), 3);
    assert.equal(calls, 1, 'both gauges share one read');
    lengths = { source: 0, processing: 500 };
    text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_source_backlog'), 0);
    assert.equal(sample(text, 'cdr_bridge_in_flight'), 500);
    assert.equal(calls, 2);
  });

  it('shows the dead-letter backlog and the oldest CDR in flight in seconds from the same read, 0 when nothing is in flight', async () => {
    let calls = 0;
    let lengths: ListLengths = { source: 1, processing: 500, deadLetter: 4, oldestInFlightMs: 93_500 };
    const m = new BridgeMetrics({ defaultMetrics: false, listLengths: async () => (calls++, lengths) });
    let text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_dead_letter_backlog'), 4);
    assert.equal(sample(text, 'cdr_bridge_oldest_in_flight_seconds'), 93.5);
    assert.equal(calls, 1, 'every list gauge shares one read');
    lengths = { source: 0, processing: 0, deadLetter: 0, oldestInFlightMs: null };
    text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_dead_letter_backlog'), 0);
    assert.equal(sample(text, 'cdr_bridge_oldest_in_flight_seconds'), 0);
  });

  it('keeps the last values and still answers when the read fails', async () => {
    let fail = false;
    const m = new BridgeMetrics({
      defaultMetrics: false,
      listLengths: async () => {
        if (fail) throw new Error('Connection is closed.');
        return { source: 11, processing: 2 };
      },
    });
    await scrape(m);
    fail = true;
    const text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_source_backlog'), 11);
    assert.equal(sample(text, 'cdr_bridge_in_flight'), 2);
  });

  it('answers within the timeout when Redis does not, without piling up reads behind the stuck one', async () => {
    let calls = 0;
    let release: (l: ListLengths) => void = () => undefined;
    const m = new BridgeMetrics({
      defaultMetrics: false,
      lengthsTimeoutMs: 50,
      listLengths: () => {
        calls++;
        return new Promise<ListLengths>((resolve) => (release = resolve));
      },
    });
    const started = Date.now();
    let text = await scrape(m);
    await scrape(m);
    assert.ok(Date.now() - started < 1000, 'two scrapes answered despite the hanging read');
    assert.equal(calls, 1, 'the second scrape waited on the same read');
    assert.equal(sample(text, 'cdr_bridge_source_backlog'), 0);
    release({ source: 42, processing: 1 });
    await new Promise((r) => setImmediate(r));
    text = await scrape(m);
    assert.equal(sample(text, 'cdr_bridge_source_backlog'), 42, 'the late answer still lands');
  });
});

describe('readiness', () => {
  it('is ready only as leader or standby with Redis and Kafka both up', () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    assert.deepEqual(m.readiness(), { ready: false, role: 'starting', redis: false, kafka: false });
    m.redisUp(true);
    m.kafkaUp(true);
    assert.equal(m.readiness().ready, false, 'still starting');
    m.role('leader');
    assert.deepEqual(m.readiness(), { ready: true, role: 'leader', redis: true, kafka: true });
    m.role('standby');
    assert.deepEqual(m.readiness(), { ready: true, role: 'standby', redis: true, kafka: true });
    m.redisUp(false);
    assert.deepEqual(m.readiness(), { ready: false, role: 'standby', redis: false, kafka: true });
    m.redisUp(true);
    m.role('stopping');
    assert.deepEqual(m.readiness(), { ready: false, role: 'stopping', redis: true, kafka: true });
  });

  it('goes unready on a failed publish and ready again on the next confirmed one', () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.role('leader');
    m.redisUp(true);
    m.kafkaUp(true);
    m.kafkaUp(false);
    assert.deepEqual(m.readiness(), { ready: false, role: 'leader', redis: true, kafka: false });
    m.published(10, 5, 5);
    assert.equal(m.readiness().ready, true);
  });

  it('needs both the bridge and the probe to see Kafka up', () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.role('leader');
    m.redisUp(true);
    m.kafkaUp(true);
    m.kafkaProbed(false);
    assert.deepEqual(m.readiness(), { ready: false, role: 'leader', redis: true, kafka: false });
    m.kafkaProbed(true);
    assert.equal(m.readiness().ready, true);
  });

  it('forgets a publish failure when the bridge becomes a standby (the probe speaks for Kafka then)', () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.role('leader');
    m.redisUp(true);
    m.kafkaUp(false);
    m.role('standby');
    assert.deepEqual(m.readiness(), { ready: true, role: 'standby', redis: true, kafka: true });
  });
});
