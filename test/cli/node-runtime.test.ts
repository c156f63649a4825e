// The project runs on the Node 24 that package.json pins (the `node` devDependency): the test
// runner itself, and every bridge it starts through ./bin/cdr-bridge. Without that package (an
// image, a host after `npm prune --omit=dev`) bin/cdr-bridge runs `node` from PATH.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, ROOT, runCli } from '../support/bridge-process';
import Redis from 'ioredis';
import { unsupportedRuntime } from '../../src/cli/exit';
import { runToEnd } from '../support/child';
import { withAdmin } from '../../src/sink/kafka-client';
import { createTopics } from '../../src/sink/topic-admin';
import { PlainProducer } from '../support/plain-producer';
import { kafkaSettings, services, uniqueName } from '../support/services';

const pinned = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.node;
const dir = mkdtempSync(path.join(tmpdir(), 'cdr-bridge-runtime-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// A preload module reports the node that the script execs, then exits before the CLI runs.
const probe = path.join(dir, 'probe.js');
writeFileSync(probe, 'process.stdout.write(JSON.stringify({ version: process.version, execPath: process.execPath, viaPath: process.env.VIA_PATH_NODE ?? null })); process.exit(0);\n');
function probeNode(bin: string, env: Record<string, string> = {}): { version: string; execPath: string; viaPath: string | null } {
  return JSON.parse(execFileSync(bin, ['--help'], { encoding: 'utf8', env: { ...process.env, ...env, NODE_OPTIONS: `--require ${probe}` } }));
}

describe('node runtime', () => {
  it('package.json pins an exact Node 24 and asks for Node 24 or later', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.match(pinned ?? '', /^24\.\d+\.\d+$/);
    assert.equal(pkg.engines.node, '>=24');
  });

  it('the tests run on the pinned Node', () => {
    assert.equal(process.version, `v${pinned}`);
  });

  it('./bin/cdr-bridge runs the project\'s pinned Node, whatever node is first on PATH', () => {
    const seen = probeNode(BIN, { PATH: `/usr/bin:${process.env.PATH}` });
    assert.equal(seen.version, `v${pinned}`);
    assert.equal(seen.execPath, path.join(ROOT, 'node_modules/node/bin/node'));
  });

  it('without the project\'s Node installed, ./bin/cdr-bridge runs node from PATH', () => {
    // A copy of the install without node_modules, and a `node` on PATH that marks its children.
    const install = path.join(dir, 'install');
    mkdirSync(path.join(install, 'bin'), { recursive: true });
    copyFileSync(BIN, path.join(install, 'bin/cdr-bridge'));
    chmodSync(path.join(install, 'bin/cdr-bridge'), 0o755);
    symlinkSync(path.join(ROOT, 'dist'), path.join(install, 'dist'));
    const fakeBin = path.join(dir, 'path-bin');
    mkdirSync(fakeBin);
    writeFileSync(path.join(fakeBin, 'node'), `#!/bin/sh\nVIA_PATH_NODE=yes exec ${JSON.stringify(process.execPath)} "$@"\n`);
    chmodSync(path.join(fakeBin, 'node'), 0o755);
    const seen = probeNode(path.join(install, 'bin/cdr-bridge'), { PATH: `${fakeBin}:${process.env.PATH}` });
    assert.equal(seen.viaPath, 'yes');
  });

  it('commands that reach Kafka (status, and tail reading a topic) print no Node warning on stderr', async () => {
    const env = { REDIS_URL: services.redisUrl, KAFKA_BROKERS: services.kafkaBrokers };
    const status = await runCli(['status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.doesNotMatch(status.stderr, /Warning|\(node:\d+\)/);
    const topic = uniqueName('test.node-warnings');
    await withAdmin(kafkaSettings(), (admin) => createTopics(admin, [{ topic, partitions: 1 }]));
    const producer = await PlainProducer.open(kafkaSettings());
    await producer.send(topic, [{ key: 'k', value: 'not a CDR' }]).finally(() => producer.close());
    const tail = await runCli(['tail', '--from-beginning', '--count', '1', '--kafka-topic', topic], env);
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stderr, '');
  });
});

describe('an unsupported Node', () => {
  it('is named with what to do, for Node 20 and 22, and Node 24 and later pass', () => {
    assert.match(unsupportedRuntime('v20.20.2', '/usr/bin/node') ?? '', /^needs Node 24 or later, but runs on Node v20\.20\.2 \(\/usr\/bin\/node\): start it with bin\/cdr-bridge/);
    assert.match(unsupportedRuntime('v22.19.0', '/opt/node') ?? '', /Node v22\.19\.0 \(\/opt\/node\)/);
    assert.equal(unsupportedRuntime('v24.0.0', '/x'), undefined);
    assert.equal(unsupportedRuntime('v26.1.0', '/x'), undefined);
  });

  it("refuses to run on this machine's own Node 20, exit 2 and one line, before touching Redis", async () => {
    // The machine kind's system Node (Debian's) is 20: what `node dist/src/cli/main.js run`
    // meets when it is started without bin/cdr-bridge.
    const system = execFileSync('/usr/bin/node', ['--version'], { encoding: 'utf8' }).trim();
    assert.match(system, /^v2[0-3]\./, 'this machine kind has an older Node at /usr/bin/node');
    const source = `test:old-node:${process.pid}`;
    const redis = new Redis(services.redisUrl);
    try {
      await redis.rpush(source, '{"internal_call_ref":"a"}');
      const run = await runToEnd('/usr/bin/node', [path.join(ROOT, 'dist/src/cli/main.js'), 'run'], 60_000, {
        env: { ...process.env, REDIS_URL: services.redisUrl, KAFKA_BROKERS: services.kafkaBrokers, CDR_SOURCE_KEY: source, HTTP_PORT: '0' },
      });
      assert.equal(run.code, 2);
      assert.equal(run.stderr, `cdr-bridge: needs Node 24 or later, but runs on Node ${system} (/usr/bin/node): start it with bin/cdr-bridge, which runs the project's pinned Node, or put Node 24 first on PATH\n`);
      assert.equal(run.stdout, '');
      assert.deepEqual(await redis.lrange(source, 0, -1), ['{"internal_call_ref":"a"}'], 'the CDR is still in the source list');
    } finally {
      await redis.del(source);
      redis.disconnect();
    }
  });
});
