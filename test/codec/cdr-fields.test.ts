// One list of CDR fields: schemas/cdr.avsc. Every other place that names the fields — the Cdr
// interface, the fast path's field table, decodePayload's switch — is
// checked against it here, so a field added to the schema cannot be half carried.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cdrSchemaText, cdrType, type Cdr } from '../../src/codec/cdr';
import { decodePayload } from '../../src/codec/decode-payload';
import { CALL_REF, FIELD_NAMES, SIP_CODE } from '../../src/codec/flat-payload';

interface SchemaField {
  name: string;
  aliases?: string[];
  type: unknown;
}
const schemaFields = (JSON.parse(cdrSchemaText) as { fields: SchemaField[] }).fields;
const schemaNames = schemaFields.map((f) => f.name);
/** The fields the bridge writes itself rather than reading from the payload. */
const BRIDGE_FIELDS = ['cdr_id', 'received_at', 'extra'];
const diallerFields = schemaFields.filter((f) => !BRIDGE_FIELDS.includes(f.name));

// Compile-time half: this object must name every key of Cdr and no other (tsc refuses it else);
// the test below holds its keys to the schema.
const CDR_KEYS = {
  cdr_id: true, received_at: true, internal_call_ref: true, ext: true, custom_call_ref: true, disposition: true,
  sip_termination_code: true, campaign_ref: true, client_number: true, dial_number: true, extra: true,
} satisfies Record<keyof Cdr, true>;

describe('the CDR fields, checked against schemas/cdr.avsc', () => {
  it('the Cdr interface names exactly the schema\'s fields', () => {
    assert.deepEqual(Object.keys(CDR_KEYS).sort(), [...schemaNames].sort());
  });

  it('the fast path\'s field table is the dialler\'s fields in the schema\'s order', () => {
    assert.deepEqual([...FIELD_NAMES], diallerFields.map((f) => f.name));
    assert.equal(FIELD_NAMES[CALL_REF], 'internal_call_ref');
    assert.equal(FIELD_NAMES[SIP_CODE], 'sip_termination_code');
  });

  it('decodePayload carries every dialler field of the schema (and each alias) into its own field, none into extra', () => {
    for (const names of [diallerFields.map((f) => f.name), diallerFields.map((f) => f.aliases?.[0] ?? f.name)]) {
      const payload: Record<string, unknown> = {};
      for (const name of names) payload[name] = /sip_termination_code/i.test(name) ? 486 : `v-${name}`;
      const decoded = decodePayload(Buffer.from(JSON.stringify(payload)), 1_700_000_000_000);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
      assert.deepEqual(Object.keys(decoded.cdr), schemaNames, 'a record field for field in the schema\'s order');
      assert.deepEqual(decoded.cdr.extra, {}, `no schema field lands in extra (keys ${names.join(', ')})`);
      for (const f of diallerFields) assert.notEqual(decoded.cdr[f.name as keyof Cdr], null, `${f.name} is carried`);
      assert.ok(cdrType.isValid(decoded.cdr), 'and it is a valid record of the schema');
    }
  });
});
