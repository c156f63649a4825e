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
