// decode → encode for a batch of raw items, oldest first: the Kafka messages to publish and
// the undecodable items to dead-letter. Shared by the bridge loop, the encode thread and
// `cdr-bridge replay --publish`, so a CDR comes out byte-for-byte the same whichever publishes it.

import type { Cdr } from './cdr';
import { CdrEncoder, EncodedCdr } from './cdr-encoder';
import { decodePayload } from './decode-payload';
import type { Framer } from './framing';

export interface EncodeSettings {
  maxPayloadBytes: number;
  kafkaKeyField: keyof Cdr;
}

/**
 * A message to publish: `key` and `cdrId` as text, and the same as bytes (`keyBytes`,
 * `cdrIdBytes`), views into `value`, for a producer that takes Buffers. The sink's OutMessage.
 */
export type EncodedMessage = Pick<EncodedCdr, 'key' | 'value' | 'cdrId' | 'keyBytes' | 'cdrIdBytes'>;

/** An item that cannot be published, and why: it goes to the dead-letter list with its batch's ack. */
export interface Refusal {
  raw: Buffer;
  reason: string;
}

export interface EncodedBatch {
  messages: EncodedMessage[];
  refused: Refusal[];
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

/**
 * The refusals alone, as encodeBatch finds them (every refusal is decodePayload's): what a batch
 * Kafka already has still owes the dead-letter list. Needs no framing, so no schema registry.
 */
export function refusalsOf(raws: readonly Buffer[], takenAt: number, settings: EncodeSettings): Refusal[] {
  const out: Refusal[] = [];
  for (const raw of raws) {
    const decoded = decodePayload(raw, takenAt, settings);
    if (!decoded.ok) out.push({ raw, reason: decoded.reason });
  }
  return out;
}
