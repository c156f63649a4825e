// Reads a .env file (KEY=VALUE lines) so an operator can keep settings beside the sidecar.
// Only the subset of the format people actually write: comments, `export`, quotes.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';

export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1] as string;
    let value = m[2] as string;
    if (/^"(.*)"$/.test(value)) value = value.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"');
    else if (/^'(.*)'$/.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out[key] = value;
  }
  return out;
}

/**
 * The file's variables. A missing file is {} unless it is `required` (one the operator named:
 * settings silently not read would send a command to the defaults, e.g. a local Redis).
 */
export function readDotenv(path: string, required = false): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return {};
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new ConfigError(required ? '--env-file' : '.env', `cannot read "${path}": ${why}`);
  }
  return parseDotenv(text);
}
