// Capped exponential backoff with jitter, and a sleep that a shutdown can cut short.

export function backoffMs(attempt: number, baseMs = 100, capMs = 5000): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.floor(exp / 2 + Math.random() * (exp / 2));
}

/** Resolves after `ms`, or as soon as `signal` aborts. Never rejects. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, backing off between attempts. Errors `isFatal` accepts are
 * rethrown at once (a wrong key type does not heal); the first failure is reported once.
 */
export async function untilSuccess<T>(fn: () => Promise<T>, opts: { isFatal?: (err: unknown) => boolean; onFirstFailure?: (err: Error) => void; signal?: AbortSignal } = {}): Promise<T> {
  // A command may also just wait (a client that queues through an outage): the signal ends that too.
  const stopped = new Promise<never>((_, reject) => {
    const onAbort = (): void => reject(new Error('stopped while waiting'));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  stopped.catch(() => undefined);
  for (let attempt = 0; ; attempt++) {
    try {
      return await Promise.race([fn(), stopped]);
    } catch (err) {
      if (opts.isFatal?.(err) || opts.signal?.aborted) throw err;
      if (attempt === 0) opts.onFirstFailure?.(err as Error);
      await pause(backoffMs(attempt), opts.signal);
    }
  }
}
