// Names that look like settings but are none: `KAFKA_BROKER=…` or a typo in the .env would
// otherwise be ignored without a word, and the bridge would run on the defaults (localhost).
// Each is named once, with the nearest real name.

import { SETTINGS, type Setting } from './settings';

export interface UnknownName {
  name: string;
  where: 'environment' | '.env';
  /** The nearest name the bridge reads. */
  suggestion: string;
}

const settings = Object.values(SETTINGS) as Setting[];

/** Every name the bridge reads: each setting, and <NAME>_FILE for a secret. */
export const KNOWN_NAMES: ReadonlySet<string> = new Set(settings.flatMap((s) => (s.secret !== undefined ? [s.env, `${s.env}_FILE`] : [s.env])));

/** The project's prefixes, from the settings table: the first word of every variable (KAFKA_, REDIS_, CDR_, HTTP_, …). */
export const PREFIXES: readonly string[] = [...new Set(settings.map((s) => `${s.env.split('_')[0]}_`))];

/**
 * Variables with those prefixes that other software sets beside the bridge: they are not typos.
 * Kubernetes and Docker service links (a Service `kafka` gives KAFKA_PORT, KAFKA_SERVICE_HOST,
 * KAFKA_PORT_9092_TCP_ADDR, …); the proxy variable; Kafka's own launch scripts (KAFKA_HEAP_OPTS,
 * KAFKA_OPTS, …, on a host that also runs Kafka's tools); and scripts/stack's env file, which
 * the README has operators and tests source (KAFKA_VERSION, KAFKA_NODES, KAFKA_CLASSPATH).
 */
const OTHER_TOOLS: readonly RegExp[] = [
  /^[A-Z0-9_]+_SERVICE_(HOST|PORT(_[A-Z0-9_]+)?)$/,
  /^[A-Z0-9_]+_PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?$/,
  /^HTTP_PROXY$/,
  /^KAFKA_([A-Z0-9]+_)*OPTS$/,
  /^KAFKA_(HOME|DEBUG|VERSION|TOOLS_VERSION|LOG4J2_VERSION|NODES|CLASSPATH)$/,
];

/** Unknown names: environment variables with a project prefix, and every key of the .env file (it is the bridge's own). */
export function unknownNames(env: NodeJS.ProcessEnv, dotenv: Record<string, string>): UnknownName[] {
  const out: UnknownName[] = [];
  for (const name of Object.keys(env).sort()) {
    if (KNOWN_NAMES.has(name) || !PREFIXES.some((p) => name.startsWith(p)) || OTHER_TOOLS.some((r) => r.test(name))) continue;
    out.push({ name, where: 'environment', suggestion: nearest(name) });
  }
  for (const name of Object.keys(dotenv)) {
    if (!KNOWN_NAMES.has(name)) out.push({ name, where: '.env', suggestion: nearest(name) });
  }
  return out;
}

/** One line for an unknown name. */
export function describeUnknown(u: UnknownName): string {
  const fileOfPlain = u.name.endsWith('_FILE') && u.suggestion === u.name.slice(0, -'_FILE'.length);
  const why = fileOfPlain ? ' (only secrets are read from <NAME>_FILE)' : '';
  return `${u.name} (in the ${u.where === '.env' ? '.env file' : 'environment'}) is not a setting${why}, ignored: did you mean ${u.suggestion}?`;
}

function nearest(name: string): string {
  const upper = name.toUpperCase();
  let best = '';
  let bestDistance = Infinity;
  for (const known of KNOWN_NAMES) {
    // <NAME>_FILE of a plain setting: the setting itself is meant.
    const d = upper === `${known}_FILE` ? 0 : distance(upper, known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
