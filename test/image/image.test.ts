// The product's container image, built from the project's Dockerfile and run as an operator runs
// it: on the host network beside the test stack's Redis and Kafka, with a read-only root
// filesystem. scripts/test-image starts the engine and makes the base image; nothing is pulled.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { ROOT } from '../support/bridge-process';
import { closedPort } from '../support/closed-port';
import { runToEnd } from '../support/child';
import { DOCKER, docker, dockerOk, inspect } from '../support/docker';
import { LocalRedis } from '../support/local-redis';
import { makeTestCa } from '../support/test-ca';
import { assertAllDelivered, scenarioFactory, type Scenario } from '../support/scenario';
import { pushAll, uniqueName, waitFor } from '../support/services';
import { readTopicUntil } from '../support/topic';

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

const IMAGE = 'cdr-bridge:image-test';
const NODE_VERSION = /^NODE_VERSION=(\S+)$/m.exec(readFileSync(path.join(ROOT, 'versions.env'), 'utf8'))![1]!;
const BASE = `node:${NODE_VERSION}-bookworm-slim`;
const GRACE_S = 20; // docker stop's grace period; SHUTDOWN_TIMEOUT_MS defaults to 10 s
const newScenario = scenarioFactory();
const started: string[] = [];
after(async () => {
  for (const name of started) await docker(['rm', '-f', name]);
});

/** Starts the image as `cdr-bridge run` for a scenario: read-only, a tmpfs for /tmp, host network. */
async function startBridge(s: Scenario, extraEnv: Record<string, string> = {}): Promise<{ name: string; httpPort: number }> {
  const name = uniqueName('cdr-bridge');
  const httpPort = await closedPort();
  const env = { ...s.env(), HTTP_HOST: '127.0.0.1', HTTP_PORT: String(httpPort), ...extraEnv };
  const envFlags = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  started.push(name);
  await dockerOk(['run', '-d', '--name', name, '--network', 'host', '--read-only', '--tmpfs', '/tmp', '--stop-timeout', String(GRACE_S), ...envFlags, IMAGE]);
  return { name, httpPort };
}

async function logsOf(name: string): Promise<string> {
  return (await docker(['logs', name])).output;
}

async function waitForLog(name: string, text: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${name} to log "${text}"`, async () => {
    if ((await inspect(name, '{{.State.Running}}')) !== 'true') throw new Error(`${name} exited:\n${(await logsOf(name)).slice(-3000)}`);
    return (await logsOf(name)).includes(text);
  }, timeoutMs, 250);
}

/** Every CDR exactly once in the topic, decoded equal to what was pushed. */
async function assertDeliveredOnce(s: Scenario, payloads: string[]): Promise<void> {
  const records = await readTopicUntil(s.kafka, s.topic, payloads.length);
  const copies = assertAllDelivered(payloads, records);
  assert.equal(records.length, payloads.length);
  assert.deepEqual([...new Set(copies.values())], [1]);
}

describe('the container image', () => {
  let buildOutput = '';
  before(async () => {
    // As a release is built: scripts/build-image fills in the labels' version, revision and source.
    // The classic builder: it uses the local base image as it is (never pulls unless asked), and
    // --network host lets npm reach the registry without a docker0 bridge.
    const r = await runToEnd('bash', [path.join(ROOT, 'scripts/build-image'), '--network', 'host', '-t', IMAGE], 20 * 60_000, { env: { ...process.env, DOCKER } });
    buildOutput = r.output;
    assert.equal(r.code, 0, `docker build failed:\n${r.output.slice(-6000)}`);
  });

  it('builds from the Dockerfile on the Node the tests run (versions.env), and says how big it is', async (t: TestContext) => {
    const froms = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').match(/^FROM \S+/gm) ?? [];
    assert.deepEqual([...new Set(froms)], [`FROM ${BASE}`]);
    assert.doesNotMatch(buildOutput, /Pulling|pull access denied/);
    assert.doesNotMatch(buildOutput, /EBADENGINE/, 'npm ci in the image runs on a Node every package accepts');
    const bytes = Number(await inspect(IMAGE, '{{.Size}}'));
    const base = Number(await inspect(BASE, '{{.Size}}'));
    t.diagnostic(`image ${IMAGE}: ${(bytes / 1e6).toFixed(1)} MB (${bytes} bytes), of which ${((bytes - base) / 1e6).toFixed(1)} MB above the base`);
    assert.ok(bytes > 0);
  });

  it('runs as the unprivileged user node (uid 1000) on Node 24 from /usr/local/bin', async () => {
    assert.equal(await inspect(IMAGE, '{{.Config.User}}'), 'node');
    const out = await dockerOk(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c', 'id -u; id -un; command -v node; node --version']);
    const [uid, user, node, version] = out.split('\n');
    assert.deepEqual([uid, user, node], ['1000', 'node', '/usr/local/bin/node']);
    assert.equal(version, `v${NODE_VERSION}`);
  });

  it('carries OCI labels (version, revision, source, licence) that agree with `cdr-bridge --version` in it', async () => {
    const labels = JSON.parse(await inspect(IMAGE, '{{json .Config.Labels}}')) as Record<string, string>;
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string };
    const revision = (await runToEnd('bash', [path.join(ROOT, 'scripts/build-info'), 'revision'], 30_000)).stdout.trim();
    assert.equal(labels['org.opencontainers.image.version'], pkg.version);
    assert.equal(labels['org.opencontainers.image.revision'], revision);
    assert.equal(labels['org.opencontainers.image.licenses'], pkg.license);
    assert.ok((labels['org.opencontainers.image.source'] ?? '') !== '', 'a source label (package.json repository.url, else git origin, else "unknown")');
    const shown = await dockerOk(['run', '--rm', '--network', 'none', IMAGE, '--version']);
    assert.equal(shown, `${pkg.version} (revision ${revision})`);
  });

  it('holds the production dependencies only, and no test or bench code', async (t: TestContext) => {
    // Files outside node_modules, and every installed package's path, as the image holds them.
    const script = `
      const fs = require('fs'), path = require('path');
      const files = [], packages = [];
      (function walk(dir) {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name), rel = path.relative('/app', p);
          if (e.isDirectory() && path.basename(dir) === 'node_modules' && !e.name.startsWith('@') && !e.name.startsWith('.')) packages.push(rel);
          if (e.isDirectory() && path.basename(dir).startsWith('@') && path.basename(path.dirname(dir)) === 'node_modules') packages.push(rel);
          if (e.isDirectory()) walk(p);
          else if (!rel.split('/').includes('node_modules')) files.push(rel);
        }
      })('/app');
      process.stdout.write(JSON.stringify({ files: files.sort(), packages: packages.sort() }));`;
    const { files, packages } = JSON.parse(await dockerOk(['run', '--rm', '--network', 'none', '--entrypoint', 'node', IMAGE, '-e', script])) as { files: string[]; packages: string[] };
    t.diagnostic(`files outside node_modules (${files.length}): ${files.join(' ')}`);
    t.diagnostic(`packages (${packages.length}): ${packages.map((p) => p.replace(/^node_modules\//, '')).join(' ')}`);

    // The lockfile's production packages, less optional ones built for other platforms (the
    // image is linux, x64, glibc).
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const fits = (v: LockEntry): boolean => !v.optional || ((v.os ?? ['linux']).includes('linux') && (v.cpu ?? ['x64']).includes('x64') && (v.libc ?? ['glibc']).includes('glibc'));
    const production = Object.entries(lock.packages).filter(([p, v]) => p.startsWith('node_modules/') && !v.dev && fits(v)).map(([p]) => p).sort();
    assert.deepEqual(packages, production);
    assert.ok(!packages.some((p) => /node_modules\/(typescript|@types\/node|node)$/.test(p)), 'no devDependency');

    const shipped = /^(package\.json|package-lock\.json|bin\/cdr-bridge|dist\/src\/.+\.js(\.map)?|dist\/src\/build-info\.json|src\/source\/lua\/[a-z-]+-\d\.lua|schemas\/[a-z-]+\.avsc)$/;
    assert.deepEqual(files.filter((f) => !shipped.test(f)), []);
    assert.ok(files.includes('dist/src/cli/main.js') && files.includes('src/source/lua/take-6.lua') && files.includes('schemas/cdr.avsc'), 'the compiled CLI, the Lua scripts and the schema are there');
  });

  it('read-only, it turns healthy, carries CDRs to the topic, and on docker stop exits 0 with nothing in flight', async (t: TestContext) => {
    const s = newScenario();
    const { name } = await startBridge(s);
    assert.equal(await inspect(name, '{{.HostConfig.ReadonlyRootfs}}'), 'true');
    assert.equal(await dockerOk(['exec', name, 'id', '-u']), '1000');
    await waitFor(`${name} to turn healthy`, async () => {
      const health = await inspect(name, '{{.State.Health.Status}}');
      if (health === 'unhealthy') throw new Error(`${name} is unhealthy:\n${await inspect(name, '{{json .State.Health}}')}\n${(await logsOf(name)).slice(-3000)}`);
      return health === 'healthy';
    }, 90_000, 500);

    const first = takeSynthetic(300, { seed: 11 });
    await pushAll(s.redis, s.source, first);
    await assertDeliveredOnce(s, first);

    // Nothing written, not even to the tmpfs: the read-only root costs the bridge nothing.
    assert.equal(await dockerOk(['exec', name, 'find', '/tmp', '-mindepth', '1']), '');

    // A backlog still moving when SIGTERM arrives: the batch in flight is finished and acked.
    const second = takeSynthetic(20_000, { seed: 12, startSeq: 300 });
    await pushAll(s.redis, s.source, second);
    await waitFor('the bridge to take from the backlog', async () => (await s.redis.llen(s.source)) < second.length, 30_000, 20);
    await dockerOk(['stop', '-t', String(GRACE_S), name], (GRACE_S + 30) * 1000);
    // A container still running at the end of the grace period is SIGKILLed: exit code 137.
    assert.equal(await inspect(name, '{{.State.ExitCode}}'), '0', (await logsOf(name)).slice(-3000));
    assert.equal(await s.redis.llen(s.processing), 0);
    const left = await s.redis.llen(s.source);
    t.diagnostic(`stopped with ${second.length - left} of the backlog's ${second.length} CDRs carried, ${left} left in the source list`);
    await assertDeliveredOnce(s, [...first, ...second].slice(0, first.length + second.length - left));
  });

  it('trusts a CA added to the image\'s store with no *_CA_FILE (bin/cdr-bridge runs Node with --use-system-ca)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-image-ca-'));
    const ca = makeTestCa(dir);
    // A Redis that speaks only TLS, its certificate signed by a CA no store holds yet.
    const server = await LocalRedis.start(path.join(dir, 'redis'), ['--tls-cert-file', ca.certFile, '--tls-key-file', ca.keyFile, '--tls-ca-cert-file', ca.caFile, '--tls-auth-clients', 'no'], { tlsOnly: true });
    const trusting = `${IMAGE}-with-ca`;
    try {
      // As an operator adds a corporate CA to an image: into the store, with Debian's own tool.
      copyFileSync(ca.caFile, path.join(dir, 'test-ca.crt'));
      writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${IMAGE}\nUSER root\nCOPY test-ca.crt /usr/local/share/ca-certificates/\nRUN update-ca-certificates\nUSER node\n`);
      const built = await docker(['build', '--network', 'host', '-t', trusting, dir], 5 * 60_000);
      assert.equal(built.code, 0, built.output.slice(-3000));
      const s = newScenario();
      const envFlags = Object.entries({ ...s.env(), REDIS_URL: `rediss://127.0.0.1:${server.port}` }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      const trusted = await docker(['run', '--rm', '--network', 'host', ...envFlags, trusting, 'status', '--json'], 120_000);
      assert.equal(trusted.code, 0, trusted.output.slice(-3000));
      assert.equal((JSON.parse(trusted.stdout) as { source: { length: number } }).source.length, 0);
      // The same command in the image without the CA in its store: refused, so the store is what was trusted.
      const refused = await docker(['run', '--rm', '--network', 'host', ...envFlags, IMAGE, 'status'], 120_000);
      assert.equal(refused.code, 1, refused.output.slice(-3000));
      assert.match(refused.stderr, /^cdr-bridge: cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+\/?: .*(self[- ]signed certificate|unable to (get local issuer|verify))/m);
    } finally {
      await docker(['rmi', '-f', trusting]);
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a second container stands by and takes over when the first is killed', async () => {
    const s = newScenario();
    const leader = await startBridge(s);
    await waitForLog(leader.name, 'acquired the lease');
    const standby = await startBridge(s);
    await waitForLog(standby.name, 'standing by');

    const before = takeSynthetic(200, { seed: 21 });
    await pushAll(s.redis, s.source, before);
    await assertDeliveredOnce(s, before);

    await dockerOk(['kill', leader.name]);
    assert.equal(await inspect(leader.name, '{{.State.ExitCode}}'), '137');
    const afterKill = takeSynthetic(200, { seed: 22, startSeq: 200 });
    await pushAll(s.redis, s.source, afterKill);
    await waitForLog(standby.name, 'acquired the lease', 60_000);
    await assertDeliveredOnce(s, [...before, ...afterKill]);
    assert.equal(await s.redis.llen(s.processing), 0);
  });
});
