import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as avro from 'avsc';
import { cdrType } from '../../src/codec/cdr';
import { crc64Avro, schemaFingerprint } from '../../src/codec/fingerprint';

// From the Avro project's cross-language vectors, share/test/data/schema-tests.txt
// (apache/avro): input schema, its Parsing Canonical Form, and the CRC-64-AVRO
// fingerprint of that form as the signed 64-bit value Java prints.
const VECTORS: ReadonlyArray<{ input: string; canonical: string; fingerprint: bigint }> = [
  { input: '"null"', canonical: '"null"', fingerprint: 7195948357588979594n },
  { input: '{"type":"boolean"}', canonical: '"boolean"', fingerprint: -6970731678124411036n },
  { input: '"int"', canonical: '"int"', fingerprint: 8247732601305521295n },
  { input: '"long"', canonical: '"long"', fingerprint: -3434872931120570953n },
  { input: '"float"', canonical: '"float"', fingerprint: 5583340709985441680n },
  { input: '"double"', canonical: '"double"', fingerprint: -8181574048448539266n },
  { input: '"bytes"', canonical: '"bytes"', fingerprint: 5746618253357095269n },
  { input: '{"type":"string"}', canonical: '"string"', fingerprint: -8142146995180207161n },
  { input: '[ "int"  ]', canonical: '["int"]', fingerprint: -5232228896498058493n },
  { input: '[ "int" , {"type":"boolean"} ]', canonical: '["int","boolean"]', fingerprint: 5392556393470105090n },
  { input: '{"fields":[], "type":"record", "name":"foo"}', canonical: '{"name":"foo","type":"record","fields":[]}', fingerprint: -4824392279771201922n },
  { input: '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}', canonical: '{"name":"x.y.foo","type":"record","fields":[]}', fingerprint: 5916914534497305771n },
  { input: '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}', canonical: '{"name":"a.b.foo","type":"record","fields":[]}', fingerprint: -4616218487480524110n },
  { input: '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}', canonical: '{"name":"foo","type":"record","fields":[]}', fingerprint: -4824392279771201922n },
  { input: '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}', canonical: '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}', fingerprint: 7843277075252814651n },
  {
    // Vector 026 writes the default as "true"; avsc (rightly) refuses a string default for a
    // boolean, and defaults are not part of the canonical form, so true is used here.
    input: '{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":true}, {"order":"descending","name":"f2","doc":"Hello","type":"int"}], "type":"record", "name":"foo" }',
    canonical: '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    fingerprint: -4860222112080293046n,
  },
  { input: '{"type":"enum", "name":"foo", "symbols":["A1"]}', canonical: '{"name":"foo","type":"enum","symbols":["A1"]}', fingerprint: -6342190197741309591n },
  { input: '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}', canonical: '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}', fingerprint: -4448647247586288245n },
  { input: '{"name":"foo","type":"fixed","size":15}', canonical: '{"name":"foo","type":"fixed","size":15}', fingerprint: 1756455273707447556n },
  { input: '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}', canonical: '{"name":"x.y.z.foo","type":"fixed","size":32}', fingerprint: -3064184465700546786n },
  { input: '{ "items":{"type":"null"}, "type":"array"}', canonical: '{"type":"array","items":"null"}', fingerprint: -589620603366471059n },
  { input: '{ "values":"string", "type":"map"}', canonical: '{"type":"map","values":"string"}', fingerprint: -8732877298790414990n },
  {
    input: '{"name":"PigValue","type":"record", "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    canonical: '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    fingerprint: -1759257747318642341n,
  },
];

// The same CRC computed without the 256-entry table, one bit at a time.
function bitwiseCrc64Avro(bytes: Buffer): bigint {
  const EMPTY = 0xc15d213aa4d7a795n;
  let fp = EMPTY;
  for (const byte of bytes) {
    fp ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) fp = (fp >> 1n) ^ (fp & 1n ? EMPTY : 0n);
  }
  return fp;
}

describe('crc64Avro', () => {
  test('the fingerprint of the schema "null" is 0x63dd24e7cc258f8a', () => {
    assert.equal(crc64Avro('"null"'), 0x63dd24e7cc258f8an);
  });

  for (const v of VECTORS) {
    test(`matches the Avro project's vector for ${v.canonical}`, () => {
      assert.equal(crc64Avro(v.canonical), BigInt.asUintN(64, v.fingerprint));
    });
  }

  test('of the empty string is the seed the spec gives', () => {
    assert.equal(crc64Avro(''), 0xc15d213aa4d7a795n);
  });

  test('agrees with a bit-at-a-time CRC over the UTF-8 bytes, for non-ASCII text too', () => {
    for (const text of ['é', 'حملة', '📞 \u0000 x', '{"name":"enigma.dialler.Cdr"}']) {
      assert.equal(crc64Avro(text), bitwiseCrc64Avro(Buffer.from(text, 'utf8')), text);
    }
  });
});

describe('schemaFingerprint', () => {
  for (const v of VECTORS) {
    test(`avsc's schema() is the Parsing Canonical Form of ${v.input}`, () => {
      const type = avro.Type.forSchema(JSON.parse(v.input));
      assert.equal(JSON.stringify(type.schema()), v.canonical);
      const expected = Buffer.alloc(8);
      expected.writeBigInt64LE(v.fingerprint);
      assert.deepEqual(schemaFingerprint(type), expected);
    });
  }

  test('of the Cdr type covers its Parsing Canonical Form, docs, aliases, defaults and logical type stripped', () => {
    const canonical =
      '{"name":"enigma.dialler.Cdr","type":"record","fields":[' +
      '{"name":"cdr_id","type":"string"},{"name":"received_at","type":"long"},' +
      '{"name":"internal_call_ref","type":"string"},{"name":"ext","type":["null","string"]},' +
      '{"name":"custom_call_ref","type":["null","string"]},{"name":"disposition","type":["null","string"]},' +
      '{"name":"sip_termination_code","type":["null","int"]},{"name":"campaign_ref","type":["null","string"]},' +
      '{"name":"client_number","type":["null","string"]},{"name":"dial_number","type":["null","string"]},' +
      '{"name":"extra","type":{"type":"map","values":"string"}}]}';
    assert.equal(JSON.stringify(cdrType.schema()), canonical);
    const expected = Buffer.alloc(8);
    expected.writeBigUInt64LE(crc64Avro(canonical));
    assert.deepEqual(schemaFingerprint(cdrType), expected);
  });
});
