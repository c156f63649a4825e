// Reads a .env file so an operator can keep settings beside the sidecar. The format is Node's own
// (util.parseEnv, the parser of `node --env-file`): comments, `export`, single, double and
// backtick quotes, `\n` in double quotes, values over several lines inside quotes.

import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

export function parseDotenv(text: string): Record<string, string> {
  return parseEnv(text) as Record<string, string>;
}

/** The file's variables, or {} when it does not exist. */
export function readDotenv(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  return parseDotenv(text);
}
