// Builds a backlog of realistic CDRs in Redis for a benchmark phase, and measures what one CDR
// weighs (raw JSON as the dialler pushes it; the Kafka record the bridge makes of it).

import type Redis from 'ioredis';
import { decodePayload } from '../src/codec/decode-payload';
import { singleObjectFramer } from '../src/codec/framing';
import { syntheticCdrs, takeSynthetic } from '../src/simulate/synthetic-cdrs';
import { CDR_ID_HEADER } from '../src/sink/kafka-sink';

const CHUNK = 1000;
/** LPUSH commands in flight at once while preloading: enough to hide the round trip. */
const PIPELINE_DEPTH = 16;

export interface Backlog {
  cdrs: number;
  /** Sum of the raw payload sizes, bytes. */
  bytes: number;
}

/**
 * LPUSHes `count` synthetic CDRs to `key`, oldest first, in chunks of 1,000 per LPUSH with a
 * few commands in flight. Generated as it goes, so a 2M backlog never sits in this process.
 */
export async function preload(redis: Redis, key: string, count: number, seed = 1): Promise<Backlog> {
  const stream = syntheticCdrs({ seed, withoutSeq: true });
  const inFlight: Promise<unknown>[] = [];
  let bytes = 0;
  for (let done = 0; done < count; ) {
    const n = Math.min(CHUNK, count - done);
    const chunk: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const cdr = stream.next().value as string;
      chunk[i] = cdr;
      bytes += Buffer.byteLength(cdr);
    }
    inFlight.push(redis.lpush(key, ...chunk));
    if (inFlight.length >= PIPELINE_DEPTH) await inFlight.shift();
    done += n;
  }
  await Promise.all(inFlight);
  return { cdrs: count, bytes };
}

export interface PayloadSize {
  /** Average raw CDR (JSON text) in bytes. */
  rawBytes: number;
  /** Average Kafka record as the bridge writes it: value (framed Avro) + key + cdr-id header. */
  recordBytes: number;
  /** Average framed Avro value alone. */
  valueBytes: number;
}

export function payloadSize(sample = 10_000): PayloadSize {
  const framer = singleObjectFramer();
  let raw = 0;
  let record = 0;
  let value = 0;
  for (const text of takeSynthetic(sample, { seed: 1, withoutSeq: true })) {
    const buf = Buffer.from(text);
    const decoded = decodePayload(buf, Date.now());
    if (!decoded.ok) throw new Error(`synthetic CDR does not decode: ${decoded.reason}`);
    const encoded = framer.encode(decoded.cdr);
    raw += buf.length;
    value += encoded.length;
    record += encoded.length + Buffer.byteLength(decoded.cdr.internal_call_ref) + CDR_ID_HEADER.length + decoded.cdr.cdr_id.length;
  }
  return { rawBytes: Math.round(raw / sample), recordBytes: Math.round(record / sample), valueBytes: Math.round(value / sample) };
}
