// A throwaway certificate authority, a server certificate for 127.0.0.1 and a client certificate it signed, made with
// the openssl command line, for tests of TLS against real servers (Redis, Kafka).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TestCa {
  /** PEM: the CA certificate a client must trust. */
  caFile: string;
  /** PEM: the server certificate (subjectAltName IP:127.0.0.1). */
  certFile: string;
  /** PEM: the server's unencrypted PKCS#8 private key. */
  keyFile: string;
  /** PEM: key and certificate in one file (Kafka's PEM keystore). */
  keystoreFile: string;
  /** PEM: a client certificate the CA signed (CN=cdr-bridge), for servers that require one. */
  clientCertFile: string;
  /** PEM: its unencrypted private key. */
  clientKeyFile: string;
}

export function makeTestCa(dir: string): TestCa {
  const openssl = (args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `openssl ${args.join(' ')}:\n${r.stderr}`);
  };
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=cdr-bridge test CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=cdr-bridge']);
  writeFileSync(path.join(dir, 'client-ext.cnf'), 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2', '-extfile', 'client-ext.cnf']);
  const keystoreFile = path.join(dir, 'server-keystore.pem');
  writeFileSync(keystoreFile, readFileSync(path.join(dir, 'server.key'), 'utf8') + readFileSync(path.join(dir, 'server.pem'), 'utf8'));
  return {
    caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'server.pem'), keyFile: path.join(dir, 'server.key'), keystoreFile,
    clientCertFile: path.join(dir, 'client.pem'), clientKeyFile: path.join(dir, 'client.key'),
  };
}
