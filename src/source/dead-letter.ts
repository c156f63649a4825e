// The dead-letter envelope: the raw CDR byte-for-byte, why it was refused, and when — the
// context an operator needs to fix the cause and requeue it.

import { isUtf8 } from 'node:buffer';

export interface DeadLetter {
  /** Why the CDR was refused, in words a person understands. */
  reason: string;
  /** ISO-8601 time the bridge refused it. */
  failed_at: string;
  /** The list it came from (where requeue puts it back). */
  source: string;
  /** The payload as text, when it is valid UTF-8 (for reading). */
  raw?: string;
  /** The payload's exact bytes, always (for requeue: JSON cannot hold invalid UTF-8). */
  raw_base64: string;
}

export function deadLetterEnvelope(raw: Buffer, reason: string, source: string, at = new Date()): Buffer {
  const letter: DeadLetter = {
    reason,
    failed_at: at.toISOString(),
    source,
    ...(isUtf8(raw) ? { raw: raw.toString('utf8') } : {}),
    raw_base64: raw.toString('base64'),
  };
  return Buffer.from(JSON.stringify(letter));
}

/** Parses an envelope from the dead-letter list; undefined when it is not one of ours. */
export function parseDeadLetter(envelope: Buffer): (DeadLetter & { bytes: Buffer }) | undefined {
  try {
    const v = JSON.parse(envelope.toString('utf8')) as Partial<DeadLetter>;
    if (typeof v !== 'object' || v === null || typeof v.reason !== 'string' || typeof v.raw_base64 !== 'string') {
      return undefined;
    }
    return { ...(v as DeadLetter), bytes: Buffer.from(v.raw_base64, 'base64') };
  } catch {
    return undefined;
  }
}
