// The test's environment without any of the bridge's settings, as on an operator's shell that
// set none: for commands that must not fall back to defaults unnoticed.

import { SETTINGS } from '../../src/config/settings';

export function withoutSettings(): Record<string, string> {
  const names = new Set(Object.values(SETTINGS).flatMap((s) => [s.env, `${s.env}_FILE`]));
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !names.has(e[0])));
}
