// The simplest correct bridge, as the yardstick for the real one: per CDR one BLMOVE (source →
// processing), decode + encode, one send of that one message with acks=-1 (the product's Kafka
// client, not idempotent, no transaction), and one
// LREM once the broker confirmed. At least once, like the product; just one round trip of
// each kind per CDR.

import { randomBytes } from 'node:crypto';
import { decodePayload } from '../src/codec/decode-payload';
import { singleObjectFramer } from '../src/codec/framing';
import { clientOptions } from '../src/sink/kafka-client';
import { CDR_ID_HEADER } from '../src/sink/kafka-sink';
import { loadPlatformatic } from '../src/sink/platformatic';
import type { BenchStack } from './bench-stack';
import { preload } from './backlog';
import { createTopic, deleteTopic, topicCount } from './topics';

export interface NaiveResult {
  cdrs: number;
  seconds: number;
  cdrPerSec: number;
}

export async function naiveBridge(stack: BenchStack, cdrs: number): Promise<NaiveResult> {
  const id = randomBytes(4).toString('hex');
  const source = `bench:naive:${id}`;
  const processing = `${source}:processing`;
  const topic = `bench.naive.${id}`;
  const redis = stack.redis();
  const blocking = stack.redis();
  await preload(redis, `${source}:preload`, cdrs);
  await createTopic(stack, topic);
  const kafka = await loadPlatformatic();
  const producer = new kafka.Producer<Buffer, Buffer, Buffer, Buffer>({ ...clientOptions(stack.kafka()), acks: kafka.ProduceAcks.ALL });
  const cdrIdHeader = Buffer.from(CDR_ID_HEADER);
  const framer = singleObjectFramer();

  const started = process.hrtime.bigint();
  await redis.rename(`${source}:preload`, source);
  for (let moved = 0; moved < cdrs; moved++) {
    const raw = await blocking.blmoveBuffer(source, processing, 'RIGHT', 'LEFT', 1);
    if (raw === null) throw new Error('naive bridge: the source list ran dry early');
    const decoded = decodePayload(raw, Date.now());
    if (!decoded.ok) throw new Error(`naive bridge: synthetic CDR refused: ${decoded.reason}`);
    const message = { topic, key: Buffer.from(decoded.cdr.internal_call_ref), value: framer.encode(decoded.cdr), headers: new Map([[cdrIdHeader, Buffer.from(decoded.cdr.cdr_id)]]) };
    await producer.send({ messages: [message] });
    await redis.lrem(processing, -1, raw);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  await producer.close();
  const inTopic = await topicCount(stack, topic);
  if (inTopic !== cdrs) throw new Error(`naive bridge: the topic holds ${inTopic} records, expected ${cdrs}`);
  await deleteTopic(stack, topic);
  await redis.del(source, processing);
  return { cdrs, seconds: Math.round(seconds * 1000) / 1000, cdrPerSec: Math.round(cdrs / seconds) };
}
