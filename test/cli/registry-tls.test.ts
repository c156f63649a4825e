// SCHEMA_REGISTRY_CA_FILE: the stack's real schema registry behind a TLS terminator whose
// certificate a throwaway CA signed (as a registry behind an ingress is reached). With the CA
// file the bridge registers its schema over https and gets the id the registry has; without it
// the certificate is refused in one line; with an http:// registry the setting is an error.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/bridge-process';
import { OwnStack } from '../support/own-stack';
import { uniqueName } from '../support/services';
import { makeTestCa, type TestCa } from '../support/test-ca';

let stack: OwnStack;
let registry: string;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-registry-tls-'));
let ca: TestCa;
let terminator: tls.Server;
let httpsUrl: string;

before(async () => {
  // A stack of its own with a registry (npm test's shared stack has none).
  stack = await OwnStack.up({ registry: true });
  registry = stack.env.SCHEMA_REGISTRY_URL ?? assert.fail('the stack wrote no SCHEMA_REGISTRY_URL');
  ca = makeTestCa(dir);
  const upstream = new URL(registry);
  // TLS in front, plain TCP to the registry behind: every byte the bridge sends reaches the registry.
  terminator = tls.createServer({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) }, (client) => {
    const server = net.connect(Number(upstream.port), upstream.hostname);
    client.pipe(server).pipe(client);
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', resolve));
  const port = (terminator.address() as net.AddressInfo).port;
  httpsUrl = `https://127.0.0.1:${port}${upstream.pathname}`;
});

after(async () => {
  terminator?.close();
  rmSync(dir, { recursive: true, force: true });
  await stack?.down();
});

describe('a schema registry over https with a CA of its own', () => {
  it('with SCHEMA_REGISTRY_CA_FILE registers the schema over https and gets the id the registry has', async () => {
    const subject = uniqueName('test.registry-tls');
    const secure = await runCli(['schema', 'register', '--json', '--subject', subject], { SCHEMA_REGISTRY_URL: httpsUrl, SCHEMA_REGISTRY_CA_FILE: ca.caFile });
    assert.equal(secure.code, 0, secure.stderr);
    const plain = await runCli(['schema', 'register', '--json', '--subject', subject], { SCHEMA_REGISTRY_URL: registry });
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(JSON.parse(secure.stdout), JSON.parse(plain.stdout));
  });

  it('without it the registry\'s certificate is refused: exit 1, one line', async () => {
    const r = await runCli(['schema', 'register', '--subject', uniqueName('test.registry-tls')], { SCHEMA_REGISTRY_URL: httpsUrl });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^cdr-bridge: cannot reach the schema registry at https:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7 \(registering the schema under subject "[^"]+"\): (self[- ]signed certificate|unable to (get local issuer|verify)).*\n$/);
  });

  it('applies to https only: with an http:// registry it stops the command (exit 2, one line)', async () => {
    const r = await runCli(['schema', 'register'], { SCHEMA_REGISTRY_URL: registry, SCHEMA_REGISTRY_CA_FILE: ca.caFile });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'cdr-bridge: SCHEMA_REGISTRY_CA_FILE: applies to TLS connections only: SCHEMA_REGISTRY_URL must start with https://\n');
  });
});
