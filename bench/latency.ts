// Latency at a steady offered load: the paced producer LPUSHes at a fixed rate while the bridge
// runs with default settings; the first seconds (the bridge's JIT warm-up) are not counted. Each record is timed
// from its LPUSH stamp to the broker's LogAppendTime (the topic is made with
// message.timestamp.type=LogAppendTime): with one replica the broker answers the acks=all
// request right after the append, so this is LPUSH → confirmed less the reply's trip back (well
// under a millisecond on loopback). The broker stamps whole milliseconds (truncated), so the
// middle of its millisecond is taken: each figure is ±0.5 ms. The stamps are read
// after the run, so no reader competes with the bridge for the CPU while it is timed.
// For reference, Kafka's own Java producer is timed at the same rate (send → acknowledged,
// linger.ms=0, acks=all): the broker's share of any latency, on this machine, in this run.

import { randomBytes } from 'node:crypto';
import { decodeMessage } from '../src/codec/framing';
import { readToEnd } from '../src/sink/topic-reader';
import type { BenchStack } from './bench-stack';
import { BridgeUnderTest } from './bridge-under-test';
import { pacedPush, PUSHED_AT_KEY } from './paced-producer';
import { producerPerformance } from './producer-performance';
import { createTopic, deleteTopic, topicCount } from './topics';

export interface Percentiles {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LatencyResult {
  rate: number;
  achievedRate: number;
  seconds: number;
  counted: number;
  /** LPUSH → the broker appended it (≈ confirmed; ±0.5 ms, the broker stamps whole milliseconds). */
  appended: Percentiles;
  /** Kafka's Java producer at the same rate: send → acknowledged. */
  kafkaProducer: Percentiles;
}

/** Offers `rate` CDR/s for `warmUpSeconds` + `seconds`, and counts the last `seconds`. */
export async function latency(stack: BenchStack, rate: number, seconds: number, warmUpSeconds: number, recordSize: number): Promise<LatencyResult> {
  const id = randomBytes(4).toString('hex');
  const source = `bench:latency:${id}`;
  const topic = `bench.latency.${id}`;
  await createTopic(stack, topic, 3, { 'message.timestamp.type': 'LogAppendTime' });
  const redis = stack.redis();
  const expected = Math.round(rate * seconds);
  const bridge = await BridgeUnderTest.start({ REDIS_URL: stack.redisUrl, KAFKA_BROKERS: stack.kafkaBrokers, CDR_SOURCE_KEY: source, KAFKA_TOPIC: topic });
  let run: Awaited<ReturnType<typeof pacedPush>>;
  const appended: number[] = [];
  try {
    run = await pacedPush(redis, source, rate, warmUpSeconds + seconds);
    const deadline = Date.now() + 120_000;
    while ((await topicCount(stack, topic)) < run.pushed) {
      if (Date.now() > deadline) throw new Error(`latency: the topic did not reach ${run.pushed} records`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const stamps: [number, number][] = [];
    await readToEnd(stack.kafka(), topic, { timeoutMs: 120_000 }, (m) => {
      const pushedNs = m.value ? decodeMessage(m.value).extra[PUSHED_AT_KEY] : undefined;
      // ns written as µs followed by 000; the record's timestamp is the broker's append time
      if (pushedNs !== undefined) stamps.push([Number(pushedNs.slice(0, -3)), Number(m.timestamp)]);
    });
    let first = Infinity;
    for (const [pushedUs] of stamps) first = Math.min(first, pushedUs);
    for (const [pushedUs, appendedMs] of stamps) {
      if (pushedUs - first >= warmUpSeconds * 1e6) appended.push(appendedMs + 0.5 - pushedUs / 1000);
    }
  } finally {
    await bridge.stop();
    await deleteTopic(stack, topic);
    await redis.del(source, `${source}:processing`, `${source}:lease`);
  }
  const reference = await producerPerformance(stack, { records: expected, recordSize, throughput: rate, props: ['acks=all', 'linger.ms=0'], warmupRecords: rate });
  return {
    rate,
    achievedRate: run.achievedRate,
    seconds,
    counted: appended.length,
    appended: percentiles(appended),
    kafkaProducer: { p50Ms: reference.p50Ms, p99Ms: reference.p99Ms, maxMs: reference.maxMs },
  };
}

function percentiles(values: number[]): Percentiles {
  values.sort((a, b) => a - b);
  const at = (q: number): number => round2(values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN);
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round2(values.at(-1) ?? NaN) };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
