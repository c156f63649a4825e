// Reads a .env file so an operator can keep settings beside the sidecar. The format is Node's own
// (util.parseEnv, the parser of `node --env-file`): comments, `export`, single, double and
// backtick quotes, `\n` in double quotes, values over several lines inside quotes.

import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from '../errors';

export function parseDotenv(text: string): Record<string, string> {
  return parseEnv(text) as Record<string, string>;
}

/**
 * The file's variables. A missing file is undefined (none read) unless it is `required` (one the
 * operator named: settings silently not read would send a command to the defaults, e.g. a local Redis).
 */
export function readDotenv(path: string, required = false): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new ConfigError(required ? '--env-file' : '.env', `cannot read "${path}": ${why}`);
  }
  return parseDotenv(text);
}
