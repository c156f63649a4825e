// docker-compose.yml, checked by Compose itself (Debian's docker-compose 1.29: `config` validates
// and resolves the file), and its bridge services held to what the image and the settings are:
// the port the image exposes and listens on, the image's health check left on, environment
// names the bridge reads, a stop grace period longer than the bridge's own shutdown timeout.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { SETTINGS } from '../../src/config/settings';
import { ROOT } from '../support/bridge-process';
import { runToEnd } from '../support/child';

interface Service {
  build?: { context: string };
  environment?: Record<string, string>;
  ports?: { target: number; published: number }[];
  healthcheck?: { disable?: boolean };
  read_only?: boolean;
  tmpfs?: string[];
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
}

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const exposed = Number(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1]);
const knownNames = new Set(Object.values(SETTINGS).flatMap((s) => ('secret' in s && s.secret ? [s.env, `${s.env}_FILE`] : [s.env])));
const shutdownTimeoutMs = Number(SETTINGS.shutdownTimeoutMs.fallback);

function seconds(duration: string | undefined): number {
  const m = /^(\d+)s$/.exec(duration ?? '');
  assert.ok(m, `a duration in seconds, got ${duration}`);
  return Number(m[1]);
}

describe('docker-compose.yml', () => {
  let services: Record<string, Service> = {};
  before(async () => {
    let parsed: unknown;
    const r = await runToEnd('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config'], 60_000, { cwd: ROOT });
    assert.equal(r.code, 0, r.output);
    assert.equal(r.stderr, '');
    // Compose's resolved output, read with Compose's own YAML library (python3-yaml).
    const dir = mkdtempSync(path.join(tmpdir(), 'cdr-bridge-compose-'));
    try {
      writeFileSync(path.join(dir, 'config.yml'), r.stdout);
      const json = await runToEnd('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', path.join(dir, 'config.yml')], 30_000);
      assert.equal(json.code, 0, json.output);
      parsed = JSON.parse(json.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    services = (parsed as { services: Record<string, Service> }).services;
  });

  it('Compose accepts the file, with the bridge, a standby and the simulator built from this Dockerfile', () => {
    const built = Object.entries(services).filter(([, s]) => s.build?.context === ROOT).map(([n]) => n).sort();
    assert.deepEqual(built, ['bridge', 'bridge-standby', 'simulator']);
  });

  it('the bridge publishes the port the image exposes and listens on, on all interfaces, and keeps the image\'s health check', () => {
    const bridge = services.bridge!;
    assert.equal(exposed, 9464);
    assert.deepEqual(bridge.ports?.map((p) => p.target), [exposed]);
    assert.equal(Number(bridge.environment?.HTTP_PORT ?? SETTINGS.httpPort.fallback), exposed);
    assert.equal(bridge.environment?.HTTP_HOST, '0.0.0.0');
    assert.match(dockerfile, /^HEALTHCHECK .*\n\s+CMD .*process\.env\.HTTP_PORT\|\|9464.*\/healthz/m);
    for (const name of ['bridge', 'bridge-standby']) assert.notEqual(services[name]!.healthcheck?.disable, true, name);
  });

  it('every environment name given to a bridge container is one the bridge reads', () => {
    for (const name of ['bridge', 'bridge-standby', 'simulator']) {
      const unknown = Object.keys(services[name]!.environment ?? {}).filter((k) => !knownNames.has(k));
      assert.deepEqual(unknown, [], `${name} sets names src/config/settings.ts does not know`);
    }
  });

  it('the bridges run read-only with a tmpfs /tmp, and get longer to stop than their shutdown timeout', () => {
    for (const name of ['bridge', 'bridge-standby']) {
      const s = services[name]!;
      assert.equal(s.read_only, true, name);
      assert.deepEqual(s.tmpfs, ['/tmp'], name);
      assert.ok(seconds(s.stop_grace_period) * 1000 > shutdownTimeoutMs, `${name}: stop_grace_period ${s.stop_grace_period} vs SHUTDOWN_TIMEOUT_MS ${shutdownTimeoutMs}`);
    }
  });
});
