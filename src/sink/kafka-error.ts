// The error under the wrappers: @platformatic/kafka reports a refused connection as "metadata
// failed 3 times" around "Connection to host:port failed" around ECONNREFUSED; an operator
// needs the last of these.

export function innermostError(err: unknown): unknown {
  let e: unknown = err;
  const seen = new Set<unknown>();
  while (e instanceof Error && !seen.has(e)) {
    seen.add(e);
    const inner: unknown = (e as { errors?: unknown[] }).errors?.[0] ?? e.cause;
    if (!(inner instanceof Error)) break;
    e = inner;
  }
  return e;
}

export function innermostMessage(err: unknown): string {
  const e = innermostError(err);
  return e instanceof Error ? e.message : String(e);
}
