// Raw payload bytes in, a framed Avro Kafka value out — or the reason for a dead letter. The
// common CDR takes one pass (flat-payload.ts) and its Avro is written straight from the
// payload's bytes: an unescaped JSON string already is the UTF-8 Avro stores (an escaped one
// in a schema field is decoded alone), and a number's text is what a string field carries.
// Anything else (nesting, escaped keys, every refusal) takes decodePayload and avsc, which stay
// the reference: both ways give the same bytes (test/codec/fast-path-agrees.test.ts).

import { isUtf8 } from 'node:buffer';
import * as avro from 'avsc';
import type { Cdr } from './cdr';
import { cdrIdOf, decodePayload } from './decode-payload';
import { Rejection } from './field-values';
import { ABSENT, CALL_REF, ESCAPED, FIELD_COUNT, FIELD_NAMES, FlatMembers, NULL, SIP_CODE, scanFlatPayload } from './flat-payload';
import type { Framer } from './framing';

/**
 * One CDR ready for Kafka. The key and the cdr-id header are views into `value` (where the
 * Avro record holds the same bytes), so neither costs an allocation of its own; the same class
 * carries what ENCODE_THREAD's worker sends back (./encode-pool.ts), views into its buffer.
 */
export class EncodedCdr {
  constructor(
    readonly value: Buffer,
    /** The message key's UTF-8 bytes, or null when the key field is null. */
    readonly keyBytes: Buffer | null,
    /** The cdr-id (lowercase hex SHA-256 of the raw payload) as bytes: the `cdr-id` header's value. */
    readonly cdrIdBytes: Buffer,
  ) {}

  /** The key as text (made on each call: the hot path uses keyBytes). */
  get key(): string | null {
    return this.keyBytes === null ? null : this.keyBytes.toString('utf8');
  }

  /** The cdr-id as text (made on each call: the hot path uses cdrIdBytes). */
  get cdrId(): string {
    return this.cdrIdBytes.toString('latin1');
  }
}

export interface EncoderSettings {
  maxPayloadBytes: number;
  kafkaKeyField: keyof Cdr;
}

const LONG = avro.Type.forSchema('long');
// cdr_id is the record's first field and always 64 characters: its length (zigzag 128) takes 2 bytes.
const CDR_ID_LENGTH_BYTES = [0x80, 0x01] as const;
const CDR_ID_CHARS = 64;
const SHORT_COPY_BYTES = 32;
// One scan table serves every encoder: encode() is synchronous and never re-entered.
const members = new FlatMembers();

/** Encodes the CDRs of one batch, all taken at `receivedAt`. */
export class CdrEncoder {
  private readonly receivedAtBytes: Buffer;
  /** The field the key comes from when the fast path can point at it: 0..7, or -1 for cdr_id. */
  private readonly keyFieldIndex: number | undefined;

  constructor(
    private readonly framer: Framer,
    private readonly settings: EncoderSettings,
    private readonly receivedAt: number,
  ) {
    if (!Number.isSafeInteger(receivedAt)) throw new TypeError(`receivedAt must be integer milliseconds, got ${receivedAt}`);
    this.receivedAtBytes = LONG.toBuffer(receivedAt);
    const key = settings.kafkaKeyField;
    const index = (FIELD_NAMES as readonly string[]).indexOf(key);
    // A key from the SIP code, received_at or extra is left to decodePayload, as before.
    this.keyFieldIndex = key === 'cdr_id' ? -1 : index >= 0 && index !== SIP_CODE ? index : undefined;
  }

  encode(raw: Buffer): EncodedCdr | Rejection {
    if (raw.length <= this.settings.maxPayloadBytes && this.keyFieldIndex !== undefined && isUtf8(raw) && scanFlatPayload(raw, members)) {
      return this.writeScanned(raw, this.keyFieldIndex);
    }
    return this.viaDecodePayload(raw);
  }

  /** The Avro record straight from the scanned payload's bytes, in the schema's field order. */
  private writeScanned(raw: Buffer, keyField: number): EncodedCdr {
    const m = members;
    const header = this.framer.header;
    const cdrId = cdrIdOf(raw);
    const out = Buffer.allocUnsafe(recordBytes(m, header.length + CDR_ID_LENGTH_BYTES.length + CDR_ID_CHARS + this.receivedAtBytes.length));
    let at = copyIn(header, 0, header.length, out, 0);
    out[at++] = CDR_ID_LENGTH_BYTES[0];
    out[at++] = CDR_ID_LENGTH_BYTES[1];
    const cdrIdAt = at;
    at += out.write(cdrId, at, CDR_ID_CHARS, 'latin1');
    at = copyIn(this.receivedAtBytes, 0, this.receivedAtBytes.length, out, at);
    let keyAt = -1;
    let keyEnd = -1;
    for (let f = 0; f < FIELD_COUNT; f++) {
      const kind = m.kind[f]!;
      if (f !== CALL_REF) {
        // A union of null (branch 0, zigzag 0) and the value's type (branch 1, zigzag 2).
        if (kind === ABSENT || kind === NULL) {
          out[at++] = 0;
          continue;
        }
        out[at++] = 2;
      }
      if (f === SIP_CODE) {
        at = writeVarint(out, at, zigzag32(m.sipCode));
        continue;
      }
      if (kind === ESCAPED) {
        const text = m.decoded[f]!;
        const length = Buffer.byteLength(text);
        at = writeVarint(out, at, 2 * length);
        if (f === keyField) keyAt = at;
        at += out.write(text, at, length, 'utf8');
      } else {
        const start = m.start[f]!;
        const end = m.end[f]!;
        at = writeVarint(out, at, 2 * (end - start));
        if (f === keyField) keyAt = at;
        at = copyIn(raw, start, end, out, at);
      }
      if (f === keyField) keyEnd = at;
    }
    const extras = m.extraCount;
    if (extras > 0) {
      at = writeVarint(out, at, 2 * extras);
      const e = m.extra;
      for (let k = 0; k < 4 * extras; k += 4) {
        at = writeVarint(out, at, 2 * (e[k + 1]! - e[k]!));
        at = copyIn(raw, e[k]!, e[k + 1]!, out, at);
        at = writeVarint(out, at, 2 * (e[k + 3]! - e[k + 2]!));
        at = copyIn(raw, e[k + 2]!, e[k + 3]!, out, at);
      }
    }
    out[at++] = 0; // the map's last block
    const cdrIdBytes = out.subarray(cdrIdAt, cdrIdAt + CDR_ID_CHARS);
    const keyBytes = keyField === -1 ? cdrIdBytes : keyAt < 0 ? null : out.subarray(keyAt, keyEnd);
    return new EncodedCdr(out, keyBytes, cdrIdBytes);
  }

  /** Escapes, nesting, refusals and odd key fields: decodePayload decides, avsc writes. */
  private viaDecodePayload(raw: Buffer): EncodedCdr | Rejection {
    const decoded = decodePayload(raw, this.receivedAt, this.settings);
    if (!decoded.ok) return new Rejection(decoded.reason);
    const cdr = decoded.cdr;
    const value = this.framer.encode(cdr);
    const cdrIdAt = this.framer.header.length + CDR_ID_LENGTH_BYTES.length;
    const key = cdr[this.settings.kafkaKeyField];
    return new EncodedCdr(value, key === null ? null : Buffer.from(String(key)), value.subarray(cdrIdAt, cdrIdAt + CDR_ID_CHARS));
  }
}

/** Exact size of the framed record for the scanned payload; `fixed` covers header, cdr_id and received_at. */
function recordBytes(m: FlatMembers, fixed: number): number {
  let size = fixed + 1; // + the map's end
  for (let f = 0; f < FIELD_COUNT; f++) {
    const kind = m.kind[f]!;
    if (f !== CALL_REF) {
      size += 1;
      if (kind === ABSENT || kind === NULL) continue;
    }
    if (f === SIP_CODE) {
      size += varintBytes(zigzag32(m.sipCode));
    } else if (kind === ESCAPED) {
      const length = Buffer.byteLength(m.decoded[f]!);
      size += varintBytes(2 * length) + length;
    } else {
      const length = m.end[f]! - m.start[f]!;
      size += varintBytes(2 * length) + length;
    }
  }
  const extras = m.extraCount;
  if (extras > 0) {
    size += varintBytes(2 * extras);
    const e = m.extra;
    for (let k = 0; k < 4 * extras; k += 4) {
      const keyLength = e[k + 1]! - e[k]!;
      const valueLength = e[k + 3]! - e[k + 2]!;
      size += varintBytes(2 * keyLength) + keyLength + varintBytes(2 * valueLength) + valueLength;
    }
  }
  return size;
}

/** Zigzag of an int32 as an unsigned number (Avro's int and long encoding). */
function zigzag32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

/** Bytes of an unsigned value below 2^32 as a base-128 varint. */
function varintBytes(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function writeVarint(out: Buffer, at: number, v: number): number {
  while (v > 0x7f) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}

/** Copies src[start, end) to out at `at`; a loop for the short strings a CDR is made of, memcpy beyond. */
function copyIn(src: Buffer, start: number, end: number, out: Buffer, at: number): number {
  if (end - start > SHORT_COPY_BYTES) return at + src.copy(out, at, start, end);
  for (let i = start; i < end; i++) out[at++] = src[i]!;
  return at;
}
