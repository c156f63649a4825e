// The result of one environment check (`cdr-bridge doctor`, and `run` before it touches
// anything): the verdict, what was found, and what to do. Shared by the parts that check
// their own service (source: Redis, sink: Kafka, codec: the schema registry).

export type Verdict = 'ok' | 'warn' | 'FAIL';

export interface CheckResult {
  /** A stable dotted name, e.g. `redis.commands`, `kafka.topic.cleanup-policy`. */
  name: string;
  verdict: Verdict;
  /** What was found, in one line. */
  found: string;
  /** What to do about it; empty when nothing is needed. */
  action: string;
  /** The service could not be reached: `run` waits and checks again instead of refusing. */
  unreachable?: boolean;
}

export const ok = (name: string, found: string): CheckResult => ({ name, verdict: 'ok', found, action: '' });
export const warn = (name: string, found: string, action: string): CheckResult => ({ name, verdict: 'warn', found, action });
export const fail = (name: string, found: string, action: string): CheckResult => ({ name, verdict: 'FAIL', found, action });

/** One line of an error message, as the checks quote a refusal. */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
