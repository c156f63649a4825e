// decode → encode for a batch of raw items, oldest first: the Kafka messages to publish and
// the undecodable items to dead-letter. Shared by the bridge loop and `cdr-bridge replay
// --publish`, so a CDR comes out byte-for-byte the same whichever of them publishes it.

import type { Cdr } from '../codec/cdr';
import { CdrEncoder, EncodedCdr } from '../codec/cdr-encoder';
import type { Framer } from '../codec/framing';
import type { OutMessage } from '../sink/kafka-sink';
import type { Refused } from '../source/reliable-list';

export interface EncodeSettings {
  maxPayloadBytes: number;
  kafkaKeyField: keyof Cdr;
}

/**
 * A message to publish. `key` and `cdrId` as text, as OutMessage has them; `keyBytes` and
 * `cdrIdBytes` are the same as bytes, views into `value`, for a producer that takes Buffers.
 */
export type EncodedMessage = OutMessage & Pick<EncodedCdr, 'keyBytes' | 'cdrIdBytes'>;

export interface EncodedBatch {
  messages: EncodedMessage[];
  refused: Refused[];
  takenAt: number;
  /** How many raw items went in (messages + refused); the ack removes them by position. */
  taken: number;
}

export function encodeBatch(raws: readonly Buffer[], takenAt: number, framer: Framer, settings: EncodeSettings): EncodedBatch {
  const encoder = new CdrEncoder(framer, settings, takenAt);
  const out: EncodedBatch = { messages: [], refused: [], takenAt, taken: raws.length };
  for (const raw of raws) {
    const encoded = encoder.encode(raw);
    if (encoded instanceof EncodedCdr) {
      out.messages.push(encoded);
    } else {
      out.refused.push({ raw, reason: encoded.reason });
    }
  }
  return out;
}
