// The drain: N CDRs waiting in the source list, then how long `cdr-bridge run` takes to move
// all of them into Kafka with acks=all. The backlog is built under another key and RENAMEd in
// once the bridge leads (RENAME is O(1) and wakes its BLMOVE), so neither the preload nor the
// process start is timed. Done when the source and processing lists are empty — the bridge
// acks only what the broker confirmed — and then the topic's end offsets must sum to N.

import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { topicSegments } from '../test/support/kafka-java';
import type { BenchStack } from './bench-stack';
import { preload } from './backlog';
import { BridgeUnderTest, round1, type StartOptions } from './bridge-under-test';
import { cpuMeter, type CpuSeconds } from './cpu-meter';
import { committedCount, deleteTopic } from './topics';

export interface DrainOptions {
  cdrs: number;
  /** BATCH_SIZE for the bridge; its default when omitted. */
  batchSize?: number;
  /** Extra environment for the bridge (e.g. KAFKA_COMPRESSION). */
  env?: Record<string, string>;
  /** How the bridge is started: node flags, another checkout, the Kafka client. */
  start?: StartOptions;
  /** Record backlog and RSS every this many ms (for the memory phase). */
  progressEveryMs?: number;
}

export interface ProgressSample {
  t: number;
  backlog: number;
  rssMiB: number;
}

export interface DrainResult {
  cdrs: number;
  client: string;
  batchSize: number | 'default';
  seconds: number;
  cdrPerSec: number;
  /** Raw CDR bytes (JSON as the dialler pushed it) moved per second, MB = 10^6 bytes. */
  mbPerSec: number;
  peakRssMiB: number;
  /** CPU microseconds per CDR spent by each process during the drain (robust to machine noise). */
  cpuUsPerCdr: CpuSeconds;
  /** KAFKA_COMPRESSION of the run ('none' unless the options' env set it). */
  compression: string;
  /** Bytes of log segment the broker wrote per CDR (batch headers included): what compression saves. */
  storedBytesPerCdr?: number;
  progress?: ProgressSample[];
}

const POLL_MS = 10;

export async function drain(stack: BenchStack, o: DrainOptions): Promise<DrainResult> {
  const id = randomBytes(4).toString('hex');
  const source = `bench:drain:${id}`;
  const topic = `bench.drain.${id}`;
  const redis = stack.redis();
  const backlog = await preload(redis, `${source}:preload`, o.cdrs);
  const bridge = await BridgeUnderTest.start({
    REDIS_URL: stack.redisUrl,
    KAFKA_BROKERS: stack.kafkaBrokers,
    CDR_SOURCE_KEY: source,
    KAFKA_TOPIC: topic,
    ...(o.batchSize === undefined ? {} : { BATCH_SIZE: String(o.batchSize) }),
    ...o.env,
  }, o.start);
  const progress: ProgressSample[] = [];
  let seconds: number;
  let cpu: CpuSeconds;
  try {
    const meter = await cpuMeter(stack, redis, bridge.process.pid);
    const started = process.hrtime.bigint();
    await redis.rename(`${source}:preload`, source);
    let nextProgress = 0;
    for (;;) {
      const [[, waiting], [, inFlight]] = (await redis.multi().llen(source).llen(`${source}:processing`).exec()) as [[null, number], [null, number]];
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (waiting === 0 && inFlight === 0) {
        seconds = elapsedMs / 1000;
        cpu = await meter.read();
        break;
      }
      if (!bridge.process.running) throw new Error(`bridge exited during the drain; stderr:\n${bridge.process.stderr.slice(-3000)}`);
      if (o.progressEveryMs !== undefined && elapsedMs >= nextProgress) {
        progress.push({ t: round1(elapsedMs / 1000), backlog: waiting + inFlight, rssMiB: bridge.rssMiB });
        nextProgress += o.progressEveryMs;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await bridge.stop();
  }
  const perCdr = (cpuSeconds: number): number => round1((cpuSeconds * 1e6) / o.cdrs);
  const inTopic = await committedCount(stack, topic);
  if (inTopic !== o.cdrs) throw new Error(`drain: the topic holds ${inTopic} records, expected ${o.cdrs}`);
  const stored = storedBytes(stack, topic);
  await deleteTopic(stack, topic);
  await redis.del(source, `${source}:processing`, `${source}:deadletter`, `${source}:lease`);
  return {
    cdrs: o.cdrs,
    client: o.start?.client ?? 'product',
    batchSize: o.batchSize ?? 'default',
    seconds: Math.round(seconds * 1000) / 1000,
    cdrPerSec: Math.round(o.cdrs / seconds),
    mbPerSec: round1(backlog.bytes / seconds / 1e6),
    peakRssMiB: bridge.peakRssMiB,
    cpuUsPerCdr: { bridge: perCdr(cpu.bridge), redis: perCdr(cpu.redis), kafka: perCdr(cpu.kafka) },
    compression: o.env?.KAFKA_COMPRESSION ?? 'none',
    ...(stored === undefined ? {} : { storedBytesPerCdr: round1(stored / o.cdrs) }),
    ...(o.progressEveryMs === undefined ? {} : { progress }),
  };
}

/** Sum of the topic's log segment sizes on the broker's disk; undefined when the stack does not say where that is. */
function storedBytes(stack: BenchStack, topic: string): number | undefined {
  const dataDir = stack.env.STACK_DATA_DIR;
  if (dataDir === undefined) return undefined;
  return topicSegments(dataDir, topic).reduce((sum, s) => sum + statSync(s.file).size, 0);
}
