// The ceilings the drain is compared with, measured on the same stack in the same run:
//  - Kafka: the broker's own producer benchmark (org.apache.kafka.tools.ProducerPerformance,
//    the Java client) sending records of the bridge's average record size with acks=all;
//  - Redis: how fast the bridge's take script alone (ReliableList.take with a held lease)
//    empties a preloaded list, and take + ack (the bridge's whole Redis side) likewise.

import { randomBytes } from 'node:crypto';
import { Lease } from '../src/source/lease';
import { ReliableList } from '../src/source/reliable-list';
import type { BenchStack } from './bench-stack';
import { preload } from './backlog';
import { kafkaPid, processCpuSeconds } from './cpu-meter';
import { producerPerformance } from './producer-performance';

export interface KafkaCeiling {
  records: number;
  recordSize: number;
  props: string;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  /** The broker's CPU µs per record over the whole run (warm-up included): what the broker alone costs. */
  brokerCpuUsPerRecord: number | undefined;
}

/** ProducerPerformance flat out; `props` are producer properties beyond bootstrap.servers. */
export async function kafkaCeiling(stack: BenchStack, records: number, recordSize: number, props: string[]): Promise<KafkaCeiling> {
  // The first fifth is the JVM's warm-up and not counted (the tool's steady-state figures).
  const warmupRecords = Math.floor(records / 5);
  const broker = kafkaPid(stack);
  const before = processCpuSeconds(broker);
  const r = await producerPerformance(stack, { records, recordSize, throughput: -1, props, warmupRecords });
  const brokerCpuUsPerRecord = broker === undefined ? undefined : Math.round(((processCpuSeconds(broker) - before) * 1e7) / (r.records + warmupRecords)) / 10;
  return { records: r.records, recordSize, props: props.join(' '), recordsPerSec: r.recordsPerSec, mbPerSec: r.mbPerSec, avgLatencyMs: r.avgMs, brokerCpuUsPerRecord };
}

export interface RedisCeiling {
  cdrs: number;
  batchSize: number;
  takeCdrPerSec: number;
  takeAckCdrPerSec: number;
}

/** The bridge's Redis side with nothing else in the way, at the bridge's batch size. */
export async function redisCeiling(stack: BenchStack, cdrs: number, batchSize: number): Promise<RedisCeiling> {
  const source = `bench:ceiling:${randomBytes(4).toString('hex')}`;
  const redis = stack.redis();
  const keys = { source, processing: `${source}:processing`, deadLetter: `${source}:deadletter`, lease: `${source}:lease` };
  const list = new ReliableList(redis, stack.redis(), keys);
  const lease = new Lease(redis, keys.lease, 600_000);
  if (!(await lease.tryAcquire())) throw new Error('could not take the lease of a fresh key');

  const timed = async (withAck: boolean): Promise<number> => {
    await preload(redis, source, cdrs);
    const started = process.hrtime.bigint();
    for (let taken = 0; taken < cdrs; ) {
      const batch = await list.take(batchSize, 1000, lease.token);
      if (!batch) break;
      if (withAck) await list.ack(batch.listId, batch.seq);
      taken += batch.items.length;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await redis.del(keys.processing, `${keys.processing}:batches`, `${keys.processing}:meta`);
    return Math.round(cdrs / seconds);
  };
  const takeCdrPerSec = await timed(false);
  const takeAckCdrPerSec = await timed(true);
  await lease.release();
  return { cdrs, batchSize, takeCdrPerSec, takeAckCdrPerSec };
}
