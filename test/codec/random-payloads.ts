// Seeded random dialler payloads for the property test: mostly CDR-shaped objects with every
// kind of value in every field (plain and escaped strings, numbers of any spelling, null,
// booleans, nesting, odd and repeated keys, free whitespace), and as many again broken on
// purpose (bytes cut, inserted or swapped, invalid UTF-8, a BOM, trailing text).

import { prng } from '../../src/simulate/synthetic-cdrs';

export type Random = () => number;

/** The simulator's seeded PRNG (mulberry32): the same sequence for the same seed everywhere. */
export const seeded: (seed: number) => Random = prng;

const int = (r: Random, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Random, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const chance = (r: Random, p: number): boolean => r() < p;

const KNOWN_KEYS = ['internal_call_ref', 'ext', 'custom_call_ref', 'disposition', 'SIP_termination_code', 'sip_termination_code', 'campaign_ref', 'client_number', 'dial_number'];
const ODD_KEYS = ['seq', 'queue', 'note', '', 'cdr_id', 'extra', 'received_at', '__proto__', 'constructor', '1', '0', '42', '1a', '01', 'Ext', 'ключ', '📞', 'a b', 'x"y'];
const WORDS = ['', ' ', ' \t ', 'ANSWERED', 'NO_ANSWER', '1001', 'CRM-00001234', 'CAMP-SALES-01', 'حملة', 'café', 'cafe\u0301', '📞👩🏽‍💻', '487', '-1', '0487', '2147483647', '9999999999', 'abc', '\u2028', '\u007f'];
const NUMBERS = ['0', '-0', '1', '-1', '200', '487', '486', '2147483647', '2147483648', '-2147483648', '-2147483649', '27821234567', '98765432109876543210', '9007199254740993', '12.5', '487.0', '4.87e2', '2.7821234567E+10', '1e400', '-0.0', '0.1', '1E-3', '00', '01', '1.', '.5', '-', '1e', '+1', '1.5e+', '0x1F', 'Infinity', 'NaN'];
const SPACE = ['', '', '', ' ', '\n', '\r\n', '\t', '  '];

function space(r: Random): string {
  return pick(r, SPACE);
}

/** A JSON string literal: usually plain, sometimes with escapes (valid or not) or raw control characters. */
function stringLiteral(r: Random): string {
  const word = chance(r, 0.1) ? 'x'.repeat(int(r, 300)) : pick(r, WORDS);
  const roll = r();
  if (roll < 0.75) return JSON.stringify(word);
  if (roll < 0.85) return `"${word}${pick(r, ['\\n', '\\"', '\\\\', '\\/', '\\u00e9', '\\u0000', '\\ud83d\\udcde', '\\ud800', '\\udc00x', '\\u0065'])}"`;
  if (roll < 0.9) return `"${word}${pick(r, ['\\x', '\\u12', '\\'])}"`; // invalid escapes
  if (roll < 0.95) return `"${word}${String.fromCharCode(int(r, 0x20))}"`; // raw control character
  return `"${pick(r, ['487', '-1', '2147483647', '-2147483649', '12345678901', '-0', '0487'])}"`;
}

function value(r: Random, depth: number): string {
  const roll = r();
  if (roll < 0.45) return stringLiteral(r);
  if (roll < 0.75) return pick(r, NUMBERS);
  if (roll < 0.85) return pick(r, ['null', 'true', 'false', 'nul', 'True']);
  if (depth > 2) return 'null';
  if (roll < 0.93) return `{${space(r)}${members(r, int(r, 3), depth + 1)}${space(r)}}`;
  const items = Array.from({ length: int(r, 3) }, () => value(r, depth + 1));
  return `[${items.join(',')}]`;
}

function members(r: Random, count: number, depth: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(`${stringLiteral(r)}${space(r)}:${space(r)}${value(r, depth)}`);
  return out.join(`,${space(r)}`);
}

function oddKey(r: Random): string {
  return chance(r, 0.9) ? JSON.stringify(pick(r, ODD_KEYS)) : pick(r, ['"\\u0065xt"', '"ext\\u0000"', '"k\\udc00"', '"\\"q"']);
}

/** Mostly what the dialler writes; otherwise anything from the whole range. */
function fieldValue(r: Random, key: string): string {
  if (!chance(r, 0.93)) return value(r, 1);
  if (/sip_/i.test(key)) return pick(r, ['null', '487', '200', '"486"', '-1', '0']);
  return pick(r, ['null', '"1001"', '"NO_ANSWER"', '27821234567', '"CAMP-SALES-01"', '"27821234567"', '""', '"حملة 📞"', '-5', '98765432109876543210']);
}

/** A CDR-shaped payload: often valid and carried, often with something a dialler rarely sends. */
export function cdrLike(r: Random): string {
  const fields: string[] = [];
  if (chance(r, 0.97)) fields.push(`"internal_call_ref":${chance(r, 0.9) ? JSON.stringify(`ref-${int(r, 1e9).toString(36)}`) : value(r, 1)}`);
  // Distinct known keys, one spelling of the SIP code; a repeat or both spellings now and then.
  const known = KNOWN_KEYS.slice(1).filter((k) => r() < 0.6);
  if (known.includes('SIP_termination_code') && known.includes('sip_termination_code') && chance(r, 0.9)) known.splice(known.indexOf('sip_termination_code'), 1);
  if (chance(r, 0.05)) known.push(pick(r, KNOWN_KEYS));
  for (const k of known) fields.push(`${JSON.stringify(k)}${space(r)}:${space(r)}${fieldValue(r, k)}`);
  const odd = chance(r, 0.6) ? 0 : 1 + int(r, 3);
  for (let i = 0; i < odd; i++) fields.push(`${oddKey(r)}${space(r)}:${space(r)}${chance(r, 0.7) ? fieldValue(r, '') : value(r, 1)}`);
  for (let i = fields.length - 1; i > 0; i--) {
    const j = int(r, i + 1);
    [fields[i], fields[j]] = [fields[j]!, fields[i]!];
  }
  return `${space(r)}{${space(r)}${fields.join(`${space(r)},${space(r)}`)}${space(r)}}${space(r)}`;
}

/** `raw` broken in one of the ways bytes get broken. */
export function broken(r: Random, raw: Buffer): Buffer {
  const at = int(r, raw.length + 1);
  switch (int(r, 9)) {
    case 0:
      return raw.subarray(0, at); // truncated
    case 1:
      return Buffer.concat([raw.subarray(0, at), raw.subarray(Math.min(raw.length, at + 1 + int(r, 3)))]); // bytes cut out
    case 2:
      return Buffer.concat([raw.subarray(0, at), Buffer.from(pick(r, ['"', ',', ':', '{', '}', '[', ']', '\\', ' ', '0', '-', 'e', '.', 'n'])), raw.subarray(at)]);
    case 3:
      return Buffer.concat([raw.subarray(0, at), Buffer.from([pick(r, [0x00, 0x1f, 0x80, 0xc0, 0xe2, 0xed, 0xf4, 0xff])]), raw.subarray(at)]); // a control byte or invalid UTF-8
    case 4:
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), raw]); // a byte-order mark
    case 5:
      return Buffer.concat([raw, Buffer.from(pick(r, [' x', '}', ',', '{}', '\n\n']))]); // trailing text
    case 6: {
      const copy = Buffer.from(raw); // two bytes swapped
      const other = int(r, raw.length);
      if (at < raw.length) [copy[at], copy[other]] = [copy[other]!, copy[at]!];
      return copy;
    }
    case 7:
      return Buffer.from(pick(r, ['', ' ', 'null', '[]', '"x"', '487', '{}', '{"internal_call_ref":"a"}{}', '[{"internal_call_ref":"a"}]']));
    default:
      return Buffer.concat([raw.subarray(0, at), raw.subarray(int(r, raw.length)), raw.subarray(at)]); // a stretch repeated
  }
}
