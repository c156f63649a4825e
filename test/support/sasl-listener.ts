// Gives the broker of a test's own stack more listeners: SASL_PLAINTEXT with PLAIN (users in
// the listener's JAAS line) and SCRAM-SHA-256 (users created through the broker), and, given a
// PEM keystore, SASL_SSL with PLAIN — so the bridge's SASL and TLS settings meet a real broker.
// The PLAINTEXT listener stays as it was. Kafka is restarted once to take the listeners; never
// use this on the shared stack.

import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './bridge-process';
import { closedPort } from './closed-port';
import type { OwnStack } from './own-stack';

export interface SecureListeners {
  /** host:port of the SASL_PLAINTEXT listener. */
  sasl: string;
  /** host:port of the SASL_SSL listener, when a keystore was given. */
  saslSsl: string | undefined;
}

/** Adds the listeners and restarts Kafka; resolves with their bootstrap addresses. */
export async function addSaslListeners(stack: OwnStack, plainUsers: Record<string, string>, tls?: { keystoreFile: string }): Promise<SecureListeners> {
  const properties = path.join(required(stack, 'STACK_DATA_DIR'), 'kafka', 'server.properties');
  const current = readFileSync(properties, 'utf8');
  const listeners = /^listeners=(.*)$/m.exec(current)?.[1];
  const advertised = /^advertised\.listeners=(.*)$/m.exec(current)?.[1];
  const protocols = /^listener\.security\.protocol\.map=(.*)$/m.exec(current)?.[1];
  if (!listeners || !advertised || !protocols) throw new Error(`unexpected ${properties}`);
  for (const [user, password] of Object.entries(plainUsers)) {
    if (!/^[A-Za-z0-9_-]+$/.test(user + password)) throw new Error('keep SASL test users and passwords to [A-Za-z0-9_-]: they go into a JAAS line');
  }
  const plainJaas = `org.apache.kafka.common.security.plain.PlainLoginModule required${Object.entries(plainUsers).map(([u, p]) => ` user_${u}="${p}"`).join('')};`;
  const sasl = `127.0.0.1:${await closedPort()}`;
  const saslSsl = tls ? `127.0.0.1:${await closedPort()}` : undefined;
  const extra = [`SASL_PLAINTEXT://${sasl}`, ...(saslSsl ? [`SASL_SSL://${saslSsl}`] : [])].join(',');
  await stack.stop('kafka');
  // Java properties: a later line for the same key wins, so appending overrides the originals.
  appendFileSync(properties, [
    '',
    '# Added by test/support/sasl-listener.ts.',
    `listeners=${listeners},${extra}`,
    `advertised.listeners=${advertised},${extra}`,
    `listener.security.protocol.map=${protocols},SASL_PLAINTEXT:SASL_PLAINTEXT${saslSsl ? ',SASL_SSL:SASL_SSL' : ''}`,
    'listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256',
    `listener.name.sasl_plaintext.plain.sasl.jaas.config=${plainJaas}`,
    'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    ...(tls
      ? [
          'listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN',
          `listener.name.sasl_ssl.plain.sasl.jaas.config=${plainJaas}`,
          'listener.name.sasl_ssl.ssl.keystore.type=PEM',
          `listener.name.sasl_ssl.ssl.keystore.location=${tls.keystoreFile}`,
        ]
      : []),
    '',
  ].join('\n'));
  await stack.start('kafka');
  return { sasl, saslSsl };
}

/** Creates (or replaces) a SCRAM-SHA-256 user with Kafka's own kafka-configs tool, over PLAINTEXT. */
export async function addScramUser(stack: OwnStack, user: string, password: string): Promise<void> {
  const logs = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-kafka-configs-'));
  const args = [
    '-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC',
    `-Dlog4j2.configurationFile=${path.join(ROOT, 'scripts/stack-lib/log4j2.properties')}`,
    `-Dkafka.logs.dir=${logs}`,
    '-cp', required(stack, 'KAFKA_CLASSPATH'),
    'kafka.admin.ConfigCommand', '--bootstrap-server', stack.kafkaBrokers,
    '--alter', '--entity-type', 'users', '--entity-name', user,
    '--add-config', `SCRAM-SHA-256=[iterations=4096,password=${password}]`,
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('exit', (c) => resolve({ code: c, output: out }));
  }).finally(() => rmSync(logs, { recursive: true, force: true }));
  if (code !== 0 || !output.includes(`Completed updating config for user ${user}`)) {
    throw new Error(`kafka-configs could not create SCRAM user ${user} (exit ${code}):\n${output.slice(-2000)}`);
  }
}

function required(stack: OwnStack, key: string): string {
  const value = stack.env[key];
  if (!value) throw new Error(`${key} missing from the stack's env`);
  return value;
}
