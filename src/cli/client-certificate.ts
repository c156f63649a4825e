// Why a TLS server that wants a client certificate turned the bridge away, in one line naming
// the settings to set. TLS 1.3 says it only after the handshake (Redis/OpenSSL: alert 116
// "certificate required"; Kafka/Java: alert 42 "bad certificate"), and a client that writes at
// once often sees a bare ECONNRESET instead: so one idle handshake, writing nothing, asks again.

import tls from 'node:tls';

export type CertificatePrefix = 'REDIS_TLS' | 'KAFKA_SSL';

const ALERTS = /alert (certificate required|bad certificate)|alert number (116|42)\b/i;

/** The one line for an error that carries such an alert, or undefined. */
export function clientCertificateProblem(err: unknown, prefix: CertificatePrefix, certificateGiven: boolean): string | undefined {
  const m = ALERTS.exec(messages(err).join(' '));
  if (!m) return undefined;
  const alert = m[1]?.toLowerCase() ?? (m[2] === '116' ? 'certificate required' : 'bad certificate');
  return certificateGiven
    ? `the server refused the client certificate in ${prefix}_CERT_FILE (TLS alert "${alert}"): is it signed by a CA the server trusts, and ${prefix}_KEY_FILE its key?`
    : `the server requires a client certificate (TLS alert "${alert}"): set ${prefix}_CERT_FILE and ${prefix}_KEY_FILE`;
}

/**
 * Connects to host:port over TLS with `options`, writes nothing, and resolves with the error the
 * server closes the connection with (within `timeoutMs`), or undefined when it keeps it open.
 */
export function idleHandshakeError(host: string, port: number, options: tls.ConnectionOptions, timeoutMs = 3000): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect({ ...options, host, port });
    const done = (err: Error | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(err);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', (err) => done(err));
    socket.on('close', () => done(undefined));
  });
}

/** The messages of an error and its causes (the clients wrap the socket's error). */
function messages(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    out.push(e instanceof Error ? e.message : String(e));
    for (const inner of (e as { errors?: unknown[] }).errors ?? []) out.push(inner instanceof Error ? inner.message : String(inner));
  }
  return out;
}
