// Reads the top-level members of a JSON object as written: each key and the exact text
// of its value. JSON.parse hides both duplicate keys (it keeps the last) and how a value
// was spelled (27821234567.0, 1e3, nested text); the decoder needs to see both.

/** One top-level member: the decoded key and the value's JSON text exactly as written. */
export interface TopLevelEntry {
  key: string;
  /** Raw JSON text of the value, without surrounding whitespace. */
  valueText: string;
  /** True when the key was written with a backslash escape (e.g. "\u0065xt"). */
  keyEscaped: boolean;
}

export type TopLevelScan =
  | { ok: true; entries: TopLevelEntry[] }
  | { ok: false; depth: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Scans `text`, which must already be known to be one valid JSON object (JSON.parse
 * accepted it): this is a tokenizer for the top level, not a validator. Stops with
 * `ok: false` as soon as arrays/objects nest deeper than `maxDepth` (the top-level
 * object itself is depth 1). One pass, no recursion, one slice per key and per value.
 */
export function scanTopLevel(text: string, maxDepth: number): TopLevelScan {
  const entries: TopLevelEntry[] = [];
  const n = text.length;
  let depth = 0;
  let keyStart = 0;
  let keyEnd = 0;
  let keyEscaped = false;
  let inValue = false; // at depth 1, between ':' and the next ',' or '}'
  let valueStart = -1;
  let valueEnd = -1;
  // Strings are most of a CDR. Their end is found with indexOf (native, fast) unless a
  // backslash lies before it; nextBackslash only moves forward, so this stays one pass.
  let nextBackslash = text.indexOf('\\');

  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = text.indexOf('\\', i);
      const close = text.indexOf('"', i + 1);
      if (nextBackslash === -1 || nextBackslash > close) {
        i = close;
      } else {
        escaped = true;
        for (i++; i < n; i++) {
          const s = text.charCodeAt(i);
          if (s === BACKSLASH) i++; // the escaped character can never end the string
          else if (s === QUOTE) break;
        }
      }
      if (depth === 1) {
        if (inValue) {
          if (valueStart < 0) valueStart = start;
          valueEnd = i + 1;
        } else {
          keyStart = start;
          keyEnd = i + 1;
          keyEscaped = escaped;
        }
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth === 1 && valueStart < 0) valueStart = i;
      if (++depth > maxDepth) return { ok: false, depth };
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 1) {
        valueEnd = i + 1;
      } else if (depth === 0) {
        if (inValue) entries.push(entry(text, keyStart, keyEnd, keyEscaped, valueStart, valueEnd));
        break;
      }
    } else if (depth === 1) {
      if (c === COLON) {
        inValue = true;
        valueStart = -1;
      } else if (c === COMMA) {
        entries.push(entry(text, keyStart, keyEnd, keyEscaped, valueStart, valueEnd));
        inValue = false;
      } else if (c !== SPACE && c !== TAB && c !== LF && c !== CR) {
        // A character of a number, true, false or null.
        if (valueStart < 0) valueStart = i;
        valueEnd = i + 1;
      }
    }
  }
  return { ok: true, entries };
}

function entry(
  text: string,
  keyStart: number,
  keyEnd: number,
  keyEscaped: boolean,
  valueStart: number,
  valueEnd: number,
): TopLevelEntry {
  // Only an escaped key needs real JSON decoding; the common case is a plain slice.
  const key = keyEscaped
    ? (JSON.parse(text.slice(keyStart, keyEnd)) as string)
    : text.slice(keyStart + 1, keyEnd - 1);
  return { key, valueText: text.slice(valueStart, valueEnd), keyEscaped };
}
