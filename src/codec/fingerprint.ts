// The Avro schema fingerprint that single-object encoding puts in every message:
// CRC-64-AVRO (Rabin) of the schema's Parsing Canonical Form, as the Avro spec defines.
import type * as avro from 'avsc';

// The spec's reference algorithm, verbatim: EMPTY is both the seed and the polynomial.
// BigInt is slow, but a fingerprint is computed once per schema, never per record.
const EMPTY = 0xc15d213aa4d7a795n;
const MASK_64 = 0xffffffffffffffffn;
let table: bigint[] | undefined;

function fingerprintTable(): bigint[] {
  if (table === undefined) {
    table = [];
    for (let i = 0; i < 256; i++) {
      let fp = BigInt(i);
      for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
      table.push(fp & MASK_64);
    }
  }
  return table;
}

/** CRC-64-AVRO of the UTF-8 bytes of `text`, as an unsigned 64-bit integer. */
export function crc64Avro(text: string): bigint {
  const t = fingerprintTable();
  let fp = EMPTY;
  for (const byte of Buffer.from(text, 'utf8')) {
    fp = (fp >> 8n) ^ t[Number((fp ^ BigInt(byte)) & 0xffn)]!;
  }
  return fp;
}

/**
 * The 8-byte little-endian CRC-64-AVRO of `type`'s Parsing Canonical Form. avsc's
 * `schema()` with no options is that form (full names; only name, type, fields, symbols,
 * items, values, size, in that order; no docs, aliases, defaults or logical types) —
 * the fingerprint tests check it against the Avro project's own vectors.
 */
export function schemaFingerprint(type: avro.Type): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc64Avro(JSON.stringify(type.schema())));
  return out;
}
