// decode → encode for a batch of raw items, oldest first: the Kafka messages to publish and
// the undecodable items to dead-letter. Shared by the bridge loop and `cdr-bridge replay
// --publish`, so a CDR comes out byte-for-byte the same whichever of them publishes it.

import type { Cdr } from '../codec/cdr';
import { decodePayload } from '../codec/decode-payload';
import type { Framer } from '../codec/framing';
import type { OutMessage } from '../sink/kafka-sink';
import type { Refused } from '../source/reliable-list';

export interface EncodeSettings {
  maxPayloadBytes: number;
  kafkaKeyField: keyof Cdr;
}

export interface EncodedBatch {
  messages: OutMessage[];
  /** Raw items behind `messages`, removed from the processing list once Kafka confirms. */
  published: Buffer[];
  refused: Refused[];
  takenAt: number;
  /** How many raw items went in (published + refused). */
  taken: number;
}

export function encodeBatch(raws: readonly Buffer[], takenAt: number, framer: Framer, settings: EncodeSettings): EncodedBatch {
  const keyField = settings.kafkaKeyField;
  const out: EncodedBatch = { messages: [], published: [], refused: [], takenAt, taken: raws.length };
  for (const raw of raws) {
    const decoded = decodePayload(raw, takenAt, { maxPayloadBytes: settings.maxPayloadBytes });
    if (!decoded.ok) {
      out.refused.push({ raw, reason: decoded.reason });
      continue;
    }
    const key = decoded.cdr[keyField];
    out.messages.push({ key: key === null ? null : String(key), value: framer.encode(decoded.cdr), cdrId: decoded.cdr.cdr_id });
    out.published.push(raw);
  }
  return out;
}
