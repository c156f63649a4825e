// Kafka's own producer benchmark, org.apache.kafka.tools.ProducerPerformance (the Java client,
// from the stack's KAFKA_CLASSPATH), on a fresh topic of the stack: the reference the bridge is
// held against — flat out for the throughput ceiling, paced for the latency floor.

import { randomBytes } from 'node:crypto';
import type { BenchStack } from './bench-stack';
import { round1 } from './bridge-under-test';
import { createTopic, deleteTopic } from './topics';
import { javaBinary, runToEnd } from '../test/support/child';

export interface ProducerRun {
  /** Records counted (after the warm-up, when there is one). */
  records: number;
  recordsPerSec: number;
  /** MB/s, MB = 10^6 bytes like the drain (the tool prints MiB/s). */
  mbPerSec: number;
  /** Send → acknowledged, as the tool measures it. */
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ProducerRunOptions {
  records: number;
  recordSize: number;
  /** Records/s to pace at; -1 for flat out. */
  throughput: number;
  /** Producer properties beyond bootstrap.servers, e.g. acks=all linger.ms=5. */
  props: readonly string[];
  /** Leading records not counted (the JVM compiles the client as it goes). */
  warmupRecords?: number;
}

export async function producerPerformance(stack: BenchStack, o: ProducerRunOptions): Promise<ProducerRun> {
  const topic = `bench.producer.${randomBytes(4).toString('hex')}`;
  await createTopic(stack, topic);
  const classpath = stack.env.KAFKA_CLASSPATH;
  if (!classpath) throw new Error('the stack env file has no KAFKA_CLASSPATH');
  const args = [
    '-Xmx512m', '-cp', classpath, 'org.apache.kafka.tools.ProducerPerformance',
    '--topic', topic, '--num-records', String(o.records), '--record-size', String(o.recordSize), '--throughput', String(o.throughput),
    ...(o.warmupRecords ? ['--warmup-records', String(o.warmupRecords)] : []),
    '--producer-props', `bootstrap.servers=${stack.kafkaBrokers}`, ...o.props,
  ];
  let output: string;
  try {
    output = await run(javaBinary(), args, 600_000);
  } finally {
    await deleteTopic(stack, topic);
  }
  // "N [steady state ]records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency,
  //  P ms 50th, Q ms 95th, R ms 99th, S ms 99.9th." — the steady-state line when there is one.
  const re = new RegExp(`(\\d+) ${o.warmupRecords ? 'steady state ' : ''}records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\), ([\\d.]+) ms avg latency, ([\\d.]+) ms max latency, (\\d+) ms 50th, \\d+ ms 95th, (\\d+) ms 99th`);
  const m = re.exec(output);
  if (!m) throw new Error(`ProducerPerformance printed no summary:\n${output.slice(-2000)}`);
  return {
    records: Number(m[1]),
    recordsPerSec: Math.round(Number(m[2])),
    mbPerSec: round1(Number(m[3]) * 1.048576),
    avgMs: round1(Number(m[4])),
    maxMs: Number(m[5]),
    p50Ms: Number(m[6]),
    p99Ms: Number(m[7]),
  };
}

async function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  const { code, output } = await runToEnd(cmd, args, timeoutMs);
  if (code !== 0) throw new Error(`ProducerPerformance exited ${code}:\n${output.slice(-2000)}`);
  return output;
}
