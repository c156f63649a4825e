// The fast path's reading of a payload: one pass over the bytes that validates the JSON and
// notes where each member's value lies, without building a string or an object. It accepts
// only what a dialler sends — one flat object, every member one the Cdr can carry — and
// answers false for anything else (nesting, an escaped key, a refusal of any kind, invalid
// JSON), which decodePayload then handles and explains. A string with backslash escapes is
// validated here; only one in a schema field is decoded (JSON.parse of that string alone).

import { hasLoneSurrogate } from './field-values';

/** The dialler's fields, numbered in the order schemas/cdr.avsc writes them. */
export const CALL_REF = 0;
export const SIP_CODE = 4;
export const FIELD_NAMES = [
  'internal_call_ref',
  'ext',
  'custom_call_ref',
  'disposition',
  'sip_termination_code',
  'campaign_ref',
  'client_number',
  'dial_number',
] as const;
export const FIELD_COUNT = FIELD_NAMES.length;

/** What a field's value was: absent, null, a string (its bytes between the quotes) or a number (its text). */
export const ABSENT = 0;
export const NULL = 1;
export const STRING = 2;
export const NUMBER = 3;
/** A string with escapes in a schema field: its decoded text is in `decoded`. */
export const ESCAPED = 4;
const LITERAL = 5; // true or false: kept in extra, refused in a field

/**
 * More unknown keys than this go to decodePayload: the duplicate check here compares each
 * with every other, and a CDR has a handful at most.
 */
const MAX_EXTRA = 32;

/**
 * Where the members of the last payload scanned lie, as byte offsets into it. Reused from
 * payload to payload: scanning allocates nothing.
 */
export class FlatMembers {
  readonly kind = new Uint8Array(FIELD_COUNT);
  readonly start = new Int32Array(FIELD_COUNT);
  readonly end = new Int32Array(FIELD_COUNT);
  /** Decoded text of each ESCAPED field (other entries are stale). */
  readonly decoded: string[] = new Array<string>(FIELD_COUNT).fill('');
  /** The SIP code's value when kind[SIP_CODE] is STRING or NUMBER. */
  sipCode = 0;
  /** Unknown keys, in payload order: key start, key end, value start, value end (the value's JSON text). */
  readonly extra = new Int32Array(4 * MAX_EXTRA);
  extraCount = 0;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const MAX_INT32_DIGITS = 10;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

// Key names as bytes, by field number; SIP_termination_code (the dialler's spelling) is the same field.
const FIELD_KEYS = FIELD_NAMES.map((name) => Buffer.from(name, 'latin1'));
const DIALLER_SIP_KEY = Buffer.from('SIP_termination_code', 'latin1');
const PROTO_KEY = Buffer.from('__proto__', 'latin1');
const NULL_TEXT = Buffer.from('null', 'latin1');
const TRUE_TEXT = Buffer.from('true', 'latin1');
const FALSE_TEXT = Buffer.from('false', 'latin1');

/**
 * Scans `b` (already known to be valid UTF-8) into `m`. True when the payload is in the fast
 * path's subset and its CDR is certain to be carried; false sends it to decodePayload.
 */
export function scanFlatPayload(b: Buffer, m: FlatMembers): boolean {
  m.kind.fill(ABSENT);
  m.extraCount = 0;
  const n = b.length;
  let i = skipSpace(b, 0, n);
  if (i >= n || b[i] !== OPEN_BRACE) return false;
  i = skipSpace(b, i + 1, n);
  for (;;) {
    // A member: "key" : value — an empty object, too, is left to decodePayload (no call ref).
    if (i >= n || b[i] !== QUOTE) return false;
    const keyStart = i + 1;
    const keyEnd = stringEnd(b, keyStart, n);
    if (keyEnd < 0 || lastStringEscaped) return false;
    i = skipSpace(b, keyEnd + 1, n);
    if (i >= n || b[i] !== COLON) return false;
    i = skipSpace(b, i + 1, n);
    if (i >= n) return false;
    const valueStart = i;
    const c = b[i]!;
    let kind: number;
    let valueEnd: number;
    if (c === QUOTE) {
      const close = stringEnd(b, i + 1, n);
      if (close < 0) return false;
      kind = lastStringEscaped ? ESCAPED : STRING;
      valueEnd = close + 1;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      valueEnd = numberEnd(b, i, n);
      if (valueEnd < 0) return false;
      kind = NUMBER;
    } else if (startsWith(b, i, NULL_TEXT)) {
      kind = NULL;
      valueEnd = i + 4;
    } else if (startsWith(b, i, TRUE_TEXT)) {
      kind = LITERAL;
      valueEnd = i + 4;
    } else if (startsWith(b, i, FALSE_TEXT)) {
      kind = LITERAL;
      valueEnd = i + 5;
    } else {
      return false; // a nested object or array, or not JSON
    }
    if (!note(b, m, keyStart, keyEnd, kind, valueStart, valueEnd)) return false;
    i = skipSpace(b, valueEnd, n);
    if (i >= n) return false;
    if (b[i] === CLOSE_BRACE) break;
    if (b[i] !== COMMA) return false;
    i = skipSpace(b, i + 1, n);
  }
  return skipSpace(b, i + 1, n) === n && m.kind[CALL_REF] !== ABSENT;
}

/** Records one member; false when it is one the fast path leaves to decodePayload. */
function note(b: Buffer, m: FlatMembers, keyStart: number, keyEnd: number, kind: number, valueStart: number, valueEnd: number): boolean {
  const field = fieldOf(b, keyStart, keyEnd);
  // An unknown key's value is carried as written, escapes and all.
  if (field < 0) return noteExtra(b, m, keyStart, keyEnd, valueStart, valueEnd);
  if (kind === ESCAPED) {
    if (field === SIP_CODE || m.kind[field] !== ABSENT) return false;
    const text = JSON.parse(b.toString('utf8', valueStart, valueEnd)) as string;
    // Only an escape can spell a lone surrogate, which UTF-8 cannot carry: decodePayload refuses it.
    if (hasLoneSurrogate(text)) return false;
    m.decoded[field] = text;
  }
  // A repeated key (or both spellings of the SIP code), or a boolean where a string or an int belongs.
  if (m.kind[field] !== ABSENT || kind === LITERAL) return false;
  if (field === SIP_CODE) {
    if (kind !== NULL && !noteSipCode(b, m, kind === STRING ? valueStart + 1 : valueStart, kind === STRING ? valueEnd - 1 : valueEnd)) return false;
  } else if (field === CALL_REF && kind === NULL) {
    return false;
  }
  m.kind[field] = kind;
  m.start[field] = kind === STRING ? valueStart + 1 : valueStart;
  m.end[field] = kind === STRING ? valueEnd - 1 : valueEnd; // unused for ESCAPED
  return true;
}

/**
 * A SIP code written as plain digits with an optional minus (as a number or in a string) and
 * within int32; anything else (487.0, "abc", 4e9) goes to decodePayload to be judged.
 */
function noteSipCode(b: Buffer, m: FlatMembers, start: number, end: number): boolean {
  let i = start;
  const negative = b[i] === MINUS;
  if (negative) i++;
  const digits = end - i;
  if (digits < 1 || digits > MAX_INT32_DIGITS) return false;
  let value = 0;
  for (; i < end; i++) {
    const d = b[i]! - ZERO;
    if (d < 0 || d > 9) return false;
    value = value * 10 + d;
  }
  value = negative ? -value : value;
  if (value < INT32_MIN || value > INT32_MAX) return false;
  m.sipCode = value + 0; // -0 is the int 0
  return true;
}

function noteExtra(b: Buffer, m: FlatMembers, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): boolean {
  const count = m.extraCount;
  if (count === MAX_EXTRA) return false;
  // A key that starts with a digit may be an array index, which JavaScript objects (and so
  // avsc's map writer) put first; and "__proto__" is refused. decodePayload handles both.
  const first = b[keyStart];
  if (first !== undefined && first >= ZERO && first <= NINE) return false;
  if (rangeEquals(b, keyStart, keyEnd, PROTO_KEY)) return false;
  const extra = m.extra;
  for (let k = 0; k < count; k++) {
    if (sameBytes(b, extra[4 * k]!, extra[4 * k + 1]!, keyStart, keyEnd)) return false;
  }
  extra[4 * count] = keyStart;
  extra[4 * count + 1] = keyEnd;
  extra[4 * count + 2] = valueStart;
  extra[4 * count + 3] = valueEnd;
  m.extraCount = count + 1;
  return true;
}

/** The field a key names (by its bytes), or -1. */
function fieldOf(b: Buffer, start: number, end: number): number {
  const length = end - start;
  if (length < 3 || length > 20) return -1;
  for (let f = 0; f < FIELD_COUNT; f++) {
    if (rangeEquals(b, start, end, FIELD_KEYS[f]!)) return f;
  }
  return rangeEquals(b, start, end, DIALLER_SIP_KEY) ? SIP_CODE : -1;
}

// 1 for a byte that may stand in a string as itself: not a quote, a backslash or a control character.
const PLAIN_IN_STRING = new Uint8Array(256).map((_, c) => (c === QUOTE || c === BACKSLASH || c < 0x20 ? 0 : 1));

const HEX_DIGIT = new Uint8Array(256).map((_, c) => ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) ? 1 : 0));
// The characters JSON allows after a backslash, besides u: " \ / b f n r t.
const SHORT_ESCAPE = new Uint8Array(256).map((_, c) => ('"\\/bfnrt'.includes(String.fromCharCode(c)) ? 1 : 0));
/** Whether the string stringEnd last found held a backslash escape. */
let lastStringEscaped = false;

/**
 * Index of the quote that closes a string whose content starts at `i`, or -1 at a control
 * character, an invalid escape or the end. Sets lastStringEscaped.
 */
function stringEnd(b: Buffer, i: number, n: number): number {
  lastStringEscaped = false;
  for (;;) {
    // One table load per byte: ~25% faster than three comparisons on this, the scan's inner loop.
    while (i < n && PLAIN_IN_STRING[b[i]!] === 1) i++;
    if (i >= n) return -1;
    const c = b[i]!;
    if (c === QUOTE) return i;
    if (c !== BACKSLASH) return -1; // a raw control character
    lastStringEscaped = true;
    const e = b[i + 1];
    if (e === 0x75) {
      if (i + 6 > n || !HEX_DIGIT[b[i + 2]!] || !HEX_DIGIT[b[i + 3]!] || !HEX_DIGIT[b[i + 4]!] || !HEX_DIGIT[b[i + 5]!]) return -1;
      i += 6;
    } else if (e !== undefined && SHORT_ESCAPE[e] === 1) {
      i += 2;
    } else {
      return -1;
    }
  }
}

/** End of a JSON number starting at `i` (RFC 8259 §6: -? int frac? exp?), or -1 if it is not one. */
function numberEnd(b: Buffer, i: number, n: number): number {
  if (b[i] === MINUS) i++;
  if (i >= n) return -1;
  if (b[i] === ZERO) {
    i++;
  } else if (isDigit(b[i])) {
    while (i < n && isDigit(b[i])) i++;
  } else {
    return -1;
  }
  if (i < n && b[i] === DOT) {
    const digits = ++i;
    while (i < n && isDigit(b[i])) i++;
    if (i === digits) return -1;
  }
  if (i < n && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < n && (b[i] === PLUS || b[i] === MINUS)) i++;
    const digits = i;
    while (i < n && isDigit(b[i])) i++;
    if (i === digits) return -1;
  }
  return i;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

/** JSON's whitespace: space, tab, LF, CR. */
function skipSpace(b: Buffer, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

function startsWith(b: Buffer, i: number, word: Buffer): boolean {
  return i + word.length <= b.length && rangeEquals(b, i, i + word.length, word);
}

function rangeEquals(b: Buffer, start: number, end: number, word: Buffer): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[start + k] !== word[k]) return false;
  return true;
}

function sameBytes(b: Buffer, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let k = 0; k < e1 - s1; k++) if (b[s1 + k] !== b[s2 + k]) return false;
  return true;
}
