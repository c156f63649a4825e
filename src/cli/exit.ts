// How a command ends: one clear line on stderr and the exit code its error class carries
// (0 ok, 1 runtime failure, 2 usage or configuration error). Never a stack trace for an
// error the bridge raised on purpose.

import { BridgeError } from '../errors';

export function exitCodeOf(err: unknown): 1 | 2 {
  return err instanceof BridgeError ? err.exitCode : 1;
}

export function reportFailure(err: unknown): void {
  if (err instanceof BridgeError) {
    process.stderr.write(`cdr-bridge: ${err.message}\n`);
  } else {
    process.stderr.write(`cdr-bridge: unexpected error: ${(err as Error)?.message ?? String(err)}\n`);
  }
}

/** The oldest Node major the bridge runs on (package.json's engines). */
export const MIN_NODE_MAJOR = 24;

/**
 * Why this runtime cannot run the bridge, or undefined. An older Node loads the code and then
 * fails mid-run on an API it lacks (Node 20: Promise.withResolvers, in the Kafka producer) — as
 * an "unexpected error" while the sidecar looks alive; refused at once, with what to do.
 */
export function unsupportedRuntime(version: string, execPath: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return `needs Node ${MIN_NODE_MAJOR} or later, but runs on Node ${version} (${execPath}): start it with bin/cdr-bridge, which runs the project's pinned Node, or put Node ${MIN_NODE_MAJOR} first on PATH`;
}
