// The record a dialler's payload must come out as, by rules written here from the schema's docs
// (schemas/cdr.avsc) — not by the project's decodePayload — and the check of a topic against it.
// Only for payloads in canonical JSON (JSON.stringify's spelling, as the tests' diallers write):
// then a value's JSON text as written is JSON.stringify of its parsed value.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Cdr } from '../../src/codec/cdr';
import type { TopicRecord } from './topic';
import { assertAllDelivered } from './scenario';

type Expected = Omit<Cdr, 'received_at'>;

const NULLABLE_STRINGS = ['ext', 'custom_call_ref', 'disposition', 'campaign_ref', 'client_number', 'dial_number'] as const;

/** A string is kept; a number becomes its text as written; null stays null. */
function text(key: string, value: unknown): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return JSON.stringify(value);
  throw new Error(`oracle: field ${key} is ${JSON.stringify(value)}; the tests push no such CDR`);
}

export function oracleExpectedCdr(payload: string): Expected {
  const parsed = JSON.parse(payload) as Record<string, unknown>;
  assert.equal(JSON.stringify(parsed), payload, 'the oracle knows canonical JSON payloads only');
  const want: Expected = {
    cdr_id: createHash('sha256').update(Buffer.from(payload, 'utf8')).digest('hex'),
    internal_call_ref: '',
    ext: null,
    custom_call_ref: null,
    disposition: null,
    sip_termination_code: null,
    campaign_ref: null,
    client_number: null,
    dial_number: null,
    extra: {},
  };
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'internal_call_ref') want.internal_call_ref = text(key, value)!;
    else if ((NULLABLE_STRINGS as readonly string[]).includes(key)) want[key as (typeof NULLABLE_STRINGS)[number]] = text(key, value);
    // The dialler's key is SIP_termination_code: a number, or a string of digits, carried as the int.
    else if (key === 'SIP_termination_code' || key === 'sip_termination_code') want.sip_termination_code = value === null ? null : Number(value);
    // Every other key: its value's JSON text as written.
    else want.extra[key] = JSON.stringify(value);
  }
  return want;
}

/**
 * Asserts every payload is in the records (as the oracle decoded them) equal to the record the
 * rules above expect, its cdr-id header its id; returns how many copies each cdr_id has.
 */
export function assertAllDeliveredByOracle(payloads: readonly string[], records: readonly TopicRecord[]): Map<string, number> {
  // The comparison is the suite's one; what a payload must become is this file's rules.
  return assertAllDelivered(payloads, records, oracleExpectedCdr);
}
