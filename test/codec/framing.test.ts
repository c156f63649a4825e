import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as avro from 'avsc';
import { type Cdr, cdrSchemaText, cdrType } from '../../src/codec/cdr';
import { decodePayload } from '../../src/codec/decode-payload';
import {
  FramingError,
  confluentFramer,
  crc64Avro,
  decodeMessage,
  schemaFingerprint,
  singleObjectFramer,
} from '../../src/codec/framing';
import { badInputCatalogue } from './bad-input-catalogue';

// Compiled to dist/test/codec/, so the repository root is three up.
const schemaFile = path.resolve(__dirname, '../../..', 'schemas', 'cdr.avsc');

const CDR: Cdr = {
  cdr_id: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  received_at: 1_717_171_717_171,
  internal_call_ref: 'lz0k1a-3f-9x2b',
  ext: null,
  custom_call_ref: 'CRM-00001234',
  disposition: 'NO_ANSWER',
  sip_termination_code: 487,
  campaign_ref: 'حملة 📞',
  client_number: '27821234567',
  dial_number: '27105550100',
  extra: { seq: '42', queue: '"sales"' },
};

/** The fingerprint of the Cdr schema as the 8 little-endian bytes, computed from scratch. */
function expectedFingerprint(): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc64Avro(JSON.stringify(cdrType.schema())));
  return out;
}

function throwsFraming(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FramingError, `not a FramingError: ${String(err)}`);
    assert.equal(err.code, 'FRAMING');
    assert.match(err.message, message);
    return true;
  });
}

describe('cdr', () => {
  test('cdrSchemaText is schemas/cdr.avsc byte for byte', () => {
    assert.equal(cdrSchemaText, readFileSync(schemaFile, 'utf8'));
  });
});

describe('singleObjectFramer', () => {
  const framer = singleObjectFramer();

  test('writes C3 01, then the schema fingerprint little-endian, then the Avro binary', () => {
    const value = framer.encode(CDR);
    assert.deepEqual(value.subarray(0, 2), Buffer.from([0xc3, 0x01]));
    assert.deepEqual(value.subarray(2, 10), expectedFingerprint());
    assert.deepEqual(value.subarray(2, 10), schemaFingerprint(cdrType));
    assert.deepEqual(value.subarray(10), cdrType.toBuffer(CDR));
  });

  test('round-trips through decodeMessage to an equal plain object', () => {
    const back = decodeMessage(framer.encode(CDR));
    assert.deepEqual(back, CDR);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
  });

  test('the Avro body decodes with avsc and the schema file alone to the same Cdr', () => {
    const independent = avro.Type.forSchema(JSON.parse(readFileSync(schemaFile, 'utf8')));
    const body = framer.encode(CDR).subarray(10);
    assert.deepEqual({ ...independent.fromBuffer(body) }, CDR);
  });

  test('each encode returns its own buffer: a later encode does not change an earlier one', () => {
    const first = framer.encode(CDR);
    const copy = Buffer.from(first);
    framer.encode({ ...CDR, internal_call_ref: 'another-call', disposition: 'BUSY' });
    assert.deepEqual(first, copy);
  });

  test('a CDR larger than the scratch buffer (64 KiB) encodes whole', () => {
    const big: Cdr = { ...CDR, disposition: 'x'.repeat(200_000), extra: { pad: `"${'y'.repeat(100_000)}"` } };
    assert.deepEqual(decodeMessage(framer.encode(big)), big);
    assert.deepEqual(decodeMessage(framer.encode(CDR)), CDR); // and small ones still do after growing
  });

  test('is named for the layout', () => {
    assert.equal(framer.name, 'avro-single-object');
  });
});

describe('confluentFramer', () => {
  test('writes 0x00, the schema id as a big-endian int32, then the Avro binary', () => {
    const value = confluentFramer(0x01020304).encode(CDR);
    assert.deepEqual(value.subarray(0, 5), Buffer.from([0x00, 0x01, 0x02, 0x03, 0x04]));
    assert.deepEqual(value.subarray(5), cdrType.toBuffer(CDR));
    assert.equal(confluentFramer(7).name, 'confluent');
  });

  test('round-trips through decodeMessage, looking the writer schema up by id', () => {
    const seen: number[] = [];
    const back = decodeMessage(confluentFramer(42).encode(CDR), (id) => {
      seen.push(id);
      return id === 42 ? cdrType : undefined;
    });
    assert.deepEqual(back, CDR);
    assert.deepEqual(seen, [42]);
  });

  test('an id that is not an int32 is refused', () => {
    throwsFraming(() => confluentFramer(-1), /schema id -1/);
    throwsFraming(() => confluentFramer(2 ** 31), /schema id 2147483648/);
    throwsFraming(() => confluentFramer(1.5), /schema id 1.5/);
  });

  test('an older writer schema is resolved to the Cdr schema: defaults fill the gaps, aliases map names', () => {
    // An earlier Cdr: no dial_number or extra, and the dialler's spelling of the SIP field.
    const schema = JSON.parse(cdrSchemaText) as { fields: Array<{ name: string }> };
    schema.fields = schema.fields
      .filter((f) => f.name !== 'dial_number' && f.name !== 'extra')
      .map((f) => (f.name === 'sip_termination_code' ? { ...f, name: 'SIP_termination_code', aliases: [] } : f));
    const writer = avro.Type.forSchema(schema as avro.Schema);
    const { dial_number: _d, extra: _e, sip_termination_code: sip, ...rest } = CDR;
    const value = confluentFramer(3, writer).encode({ ...rest, SIP_termination_code: sip } as unknown as Cdr);
    assert.deepEqual(decodeMessage(value, () => writer), { ...CDR, dial_number: null, extra: {} });
  });
});

describe('decodeMessage rejects what is not a Cdr', () => {
  test('a single-object message with another schema fingerprint, naming it', () => {
    const value = singleObjectFramer().encode(CDR);
    value.writeBigUInt64LE(0x63dd24e7cc258f8an, 2); // the fingerprint of "null"
    throwsFraming(() => decodeMessage(value), /^schema fingerprint 0x63dd24e7cc258f8a is not the Cdr schema's \(0x[0-9a-f]{16}\)$/);
  });

  test('an unknown magic byte', () => {
    throwsFraming(() => decodeMessage(Buffer.from('{"internal_call_ref":"r"}')), /^message starts with 0x7b22, neither/);
    throwsFraming(() => decodeMessage(Buffer.from([0xc3, 0x02, 0, 0])), /^message starts with 0xc302/);
  });

  test('an empty value and headers cut short', () => {
    throwsFraming(() => decodeMessage(Buffer.alloc(0)), /^message value is empty$/);
    throwsFraming(() => decodeMessage(Buffer.from([0xc3, 0x01, 1, 2])), /shorter than its 10-byte header/);
    throwsFraming(() => decodeMessage(Buffer.from([0x00, 0, 0])), /shorter than its 5-byte header/);
  });

  test('a Confluent id the lookup does not know', () => {
    throwsFraming(() => decodeMessage(confluentFramer(9).encode(CDR), () => undefined), /^schema id 9 is unknown$/);
  });

  test('a truncated or padded Avro body', () => {
    const value = singleObjectFramer().encode(CDR);
    throwsFraming(() => decodeMessage(value.subarray(0, value.length - 3)), /^Avro body does not decode as a Cdr: /);
    throwsFraming(() => decodeMessage(Buffer.concat([value, Buffer.from([0])])), /^Avro body does not decode as a Cdr: /);
  });

  test('a writer schema that cannot be read as a Cdr', () => {
    const writer = avro.Type.forSchema({ type: 'record', name: 'enigma.dialler.Cdr', fields: [{ name: 'x', type: 'int' }] });
    const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 5]), writer.toBuffer({ x: 1 })]);
    throwsFraming(() => decodeMessage(value, () => writer), /^writer schema cannot be read as a Cdr: /);
  });
});

describe('every published catalogue row survives framing unchanged', () => {
  const single = singleObjectFramer();
  const confluent = confluentFramer(1);
  for (const row of badInputCatalogue) {
    if (row.expect !== 'published') continue;
    test(row.name, () => {
      const decoded = decodePayload(row.raw, 1_717_171_717_171);
      assert.ok(decoded.ok);
      assert.deepEqual(decodeMessage(single.encode(decoded.cdr)), decoded.cdr);
      const viaConfluent = decodeMessage(confluent.encode(decoded.cdr));
      assert.deepEqual(viaConfluent, decoded.cdr);
      row.check!(viaConfluent);
    });
  }
});

describe('framers under volume', () => {
  test('thousands of values of mixed sizes (some larger than the 64 KiB scratch buffer) each decode to their own CDR, none overwritten by a later one', () => {
    for (const framer of [singleObjectFramer(), confluentFramer(42)]) {
      const cdrs: Cdr[] = [];
      const values: Buffer[] = [];
      for (let i = 0; i < 3000; i++) {
        // Every 500th CDR carries 100 KB of extra (over the 64 KiB chunk), the rest a few bytes to 2 KB.
        const pad = i % 500 === 7 ? 'x'.repeat(100_000) : 'y'.repeat(i % 2000);
        const cdr: Cdr = { ...CDR, internal_call_ref: `ref-${i}`, extra: { pad: JSON.stringify(pad) } };
        cdrs.push(cdr);
        values.push(framer.encode(cdr));
      }
      const lookup = (): avro.Type => cdrType;
      values.forEach((v, i) => {
        assert.deepEqual(decodeMessage(v, lookup), cdrs[i], `value ${i} (${framer.name})`);
        assert.deepEqual(v, Buffer.concat([v.subarray(0, framer.name === 'confluent' ? 5 : 10), cdrType.toBuffer(cdrs[i])]), `value ${i} is header + body, nothing more`);
      });
    }
  });
});
