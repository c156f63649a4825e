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

/** The innermost message, with the broker's own words when it sent any ("Invalid username or password"). */
export function innermostMessage(err: unknown): string {
  const e = innermostError(err);
  if (!(e instanceof Error)) return String(e);
  const server = (e as { serverErrorMessage?: unknown }).serverErrorMessage;
  return typeof server === 'string' && server !== '' && !e.message.includes(server) ? `${e.message.replace(/\.$/, '')}: ${server}` : e.message;
}
