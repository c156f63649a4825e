// Gives the broker of a test's own stack an SSL listener that requires a client certificate
// (ssl.client.auth=required, trusting the test CA), so the bridge's KAFKA_SSL_CERT_FILE and
// KAFKA_SSL_KEY_FILE meet a real broker. The PLAINTEXT listener stays as it was. Kafka is
// restarted once to take the listener; never use this on the shared stack.

import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { closedPort } from './closed-port';
import type { OwnStack } from './own-stack';

/** Adds the listener and restarts Kafka; resolves with its bootstrap address. */
export async function addClientAuthListener(stack: OwnStack, tls: { keystoreFile: string; caFile: string }): Promise<string> {
  const dataDir = stack.env.STACK_DATA_DIR;
  if (!dataDir) throw new Error('STACK_DATA_DIR missing from the stack\'s env');
  const properties = path.join(dataDir, 'kafka', 'server.properties');
  const current = readFileSync(properties, 'utf8');
  const listeners = /^listeners=(.*)$/m.exec(current)?.[1];
  const advertised = /^advertised\.listeners=(.*)$/m.exec(current)?.[1];
  const protocols = /^listener\.security\.protocol\.map=(.*)$/m.exec(current)?.[1];
  if (!listeners || !advertised || !protocols) throw new Error(`unexpected ${properties}`);
  const mtls = `127.0.0.1:${await closedPort()}`;
  await stack.stop('kafka');
  // Java properties: a later line for the same key wins, so appending overrides the originals.
  appendFileSync(properties, [
    '',
    '# Added by test/support/mtls-listener.ts.',
    `listeners=${listeners},MTLS://${mtls}`,
    `advertised.listeners=${advertised},MTLS://${mtls}`,
    `listener.security.protocol.map=${protocols},MTLS:SSL`,
    'listener.name.mtls.ssl.keystore.type=PEM',
    `listener.name.mtls.ssl.keystore.location=${tls.keystoreFile}`,
    'listener.name.mtls.ssl.truststore.type=PEM',
    `listener.name.mtls.ssl.truststore.location=${tls.caFile}`,
    'listener.name.mtls.ssl.client.auth=required',
    '',
  ].join('\n'));
  await stack.start('kafka');
  return mtls;
}
