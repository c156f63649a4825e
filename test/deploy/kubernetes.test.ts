// deploy/kubernetes, checked offline: a Go program (deploy/kubernetes/check) decodes every
// manifest strictly into the Kubernetes API types and asserts the deployment's promises. The
// settings it checks the environment against come from the bridge's own table, and the memory
// it checks the resources against from the benchmark's results.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/config/config';
import { SETTINGS } from '../../src/config/settings';
import { ROOT } from '../support/bridge-process';
import { runToEnd, type ChildRun } from '../support/child';
import { deployTools } from '../support/deploy-tools';

const MANIFESTS = path.join(ROOT, 'deploy/kubernetes');
const CHECK_SRC = path.join(MANIFESTS, 'check');
const CHECK_BIN = path.join(ROOT, 'dist/tools/k8s-check');

/** The highest peak RSS in the benchmark's report, in MiB ("peak RSS 164.4 MiB", "| peak RSS, … | 172.4 MiB |"). */
function peakRssMiB(report: string): number {
  const figures = [...report.matchAll(/peak RSS[^|\n]*?\|?\s*([0-9]+(?:\.[0-9]+)?) MiB/g)].map((m) => Number(m[1]));
  if (figures.length === 0) throw new Error('no peak RSS figure in bench/results/latest.md');
  return Math.max(...figures);
}

const settings = Object.values(SETTINGS);
const checkArgs = (): string[] => [
  '-settings', settings.map((s) => s.env).join(','),
  '-secret-settings', settings.filter((s) => 'secret' in s && s.secret).map((s) => s.env).join(','),
  '-peak-rss-mib', String(peakRssMiB(readFileSync(path.join(ROOT, 'bench/results/latest.md'), 'utf8'))),
];

const manifestsIn = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(dir, f));
const check = (files: string[]): Promise<ChildRun> => runToEnd(CHECK_BIN, [...checkArgs(), ...files], 60_000);

let scratch: string;
before(async () => {
  const { go } = deployTools();
  // The module and build caches are Go's defaults: warm after the first run. A cold build
  // (k8s.io/api from the proxy, compiled) took 2 min 15 s of CPU here.
  const built = await runToEnd(go, ['build', '-buildvcs=false', '-o', CHECK_BIN, '.'], 900_000, { cwd: CHECK_SRC });
  assert.equal(built.code, 0, `go build of deploy/kubernetes/check failed:\n${built.output}`);
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-k8s-'));
}, { timeout: 920_000 });
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the manifests with `edits` applied (each must change something), for negative cases. */
function editedCopy(name: string, edits: Record<string, [from: string | RegExp, to: string][]>): string[] {
  const dir = path.join(scratch, name);
  // Only the manifests: the Go check program stays behind. Judged by the path under MANIFESTS,
  // since the clone itself may live anywhere (CI's lives under /check/…).
  cpSync(MANIFESTS, dir, { recursive: true, filter: (src) => path.relative(MANIFESTS, src).split(path.sep)[0] !== 'check' });
  for (const [file, changes] of Object.entries(edits)) {
    let text = readFileSync(path.join(dir, file), 'utf8');
    for (const [from, to] of changes) {
      const next = text.replace(from, to);
      assert.notEqual(next, text, `edit ${String(from)} changed nothing in ${file}`);
      text = next;
    }
    writeFileSync(path.join(dir, file), text);
  }
  return manifestsIn(dir);
}

/**
 * The bridge's own config from the sidecar's environment as the check exported it, with each
 * Secret file written where the env points (moved under `dir`): what the sidecar would load.
 */
function sidecarConfig(exported: string, dir: string): Config {
  const { env, files } = JSON.parse(readFileSync(exported, 'utf8')) as { env: Record<string, string>; files: Record<string, string> };
  for (const [name, value] of Object.entries(env)) {
    if (!name.endsWith('_FILE')) continue;
    assert.ok(value in files, `${name}: the check found no Secret key for ${value}`);
    const local = path.join(dir, path.basename(value));
    writeFileSync(local, files[value]!);
    env[name] = local;
  }
  return loadConfig({ env });
}

describe('deploy/kubernetes', () => {
  it('reads the peak RSS from the benchmark report, the highest of its figures', () => {
    assert.equal(peakRssMiB('| drain | 1 CDR/s | 8 MB/s, peak RSS 164.4 MiB; CPU |\n| peak RSS, 2,000,000-CDR backlog | 172.4 MiB | RSS 95.4–167.8 MiB |'), 172.4);
  });

  it('decodes strictly into the API types and keeps every promise: native sidecar, standby, probes, secrets as files, sizing, lockdown', async () => {
    const run = await check(manifestsIn(MANIFESTS));
    assert.equal(run.stderr, '');
    assert.equal(run.stdout.trim(), 'ok: 3 objects in 3 files decode strictly and keep every promise');
    assert.equal(run.code, 0);
  });

  it('configures a bridge that its own config loader accepts: the sidecar\'s env, with the Secret\'s values as files', async () => {
    const exported = path.join(scratch, 'sidecar-env.json');
    const run = await runToEnd(CHECK_BIN, [...checkArgs(), '-env-out', exported, ...manifestsIn(MANIFESTS)], 60_000);
    assert.equal(run.code, 0, run.output);
    const config = sidecarConfig(exported, mkdtempSync(path.join(scratch, 'files-')));
    assert.equal(config.redisUrl, 'redis://:CHANGE-ME@redis.dialler.svc:6379/0', 'REDIS_URL from the Secret, through REDIS_URL_FILE');
    assert.equal(config.kafkaSaslPassword, 'CHANGE-ME');
    assert.equal(config.schemaRegistryUrl, 'https://schema-registry.kafka.svc:8081');
    assert.equal(config.kafkaSaslMechanism, 'scram-sha-512');
    assert.equal(config.sourceKey, 'enigma:notifications:campaigns', "the dialler's list");
    assert.deepEqual([config.httpHost, config.httpPort], ['0.0.0.0', 9464]);
  });

  it('lets the config loader refuse a value the bridge would not start with', async () => {
    const files = editedCopy('bad-value', { 'dialler.yaml': [['value: scram-sha-512', 'value: scram-sha-1']], 'standby.yaml': [['value: scram-sha-512', 'value: scram-sha-1']] });
    const exported = path.join(scratch, 'bad-value-env.json');
    const run = await runToEnd(CHECK_BIN, [...checkArgs(), '-env-out', exported, ...files], 60_000);
    assert.equal(run.code, 0, 'a known setting with a bad value decodes fine: only the bridge knows its values');
    assert.throws(() => sidecarConfig(exported, mkdtempSync(path.join(scratch, 'files-'))), /KAFKA_SASL_MECHANISM.*must be one of plain, scram-sha-256, scram-sha-512/);
  });

  it('refuses a misspelt field, and one that differs only in case, naming where it is', async () => {
    const files = editedCopy('misspelt', {
      'dialler.yaml': [['livenessProbe:', 'livenesProbe:']],
      'standby.yaml': [[/^(\s+)runAsNonRoot: true$/m, '$1runAsNonroot: true']],
    });
    const run = await check(files);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /dialler\.yaml: document 1: Deployment\/dialler: unknown field "spec\.template\.spec\.initContainers\[0\]\.livenesProbe"/);
    assert.match(run.stderr, /standby\.yaml: document 1: Deployment\/cdr-bridge-standby: unknown field "spec\.template\.spec\.securityContext\.runAsNonroot"/);
    assert.equal(run.stdout, '');
  });

  it('names each broken promise: a plain init container, readiness on the sidecar, a secret in env, a misspelt setting, memory under the peak, a writable root', async () => {
    const files = editedCopy('broken', {
      'dialler.yaml': [
        ['          restartPolicy: Always\n', ''],
        ['          livenessProbe:', '          readinessProbe:\n            httpGet: {path: /readyz, port: metrics}\n          livenessProbe:'],
        ['KAFKA_SASL_PASSWORD_FILE', 'KAFKA_SASL_PASWORD_FILE'],
        ['memory: 256Mi', 'memory: 128Mi'],
      ],
      'standby.yaml': [
        ['readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false'],
        [/- name: REDIS_URL_FILE\n(\s+)value: \S+/, '- name: REDIS_URL\n$1value: redis://:hunter2@redis:6379'],
      ],
    });
    const run = await check(files);
    assert.equal(run.code, 1);
    const lines = run.stderr.trim().split('\n').map((l) => l.replace(/^.*?(dialler|standby)\.yaml: /, '$1.yaml: '));
    for (const expected of [
      'dialler.yaml: Deployment/dialler: init container cdr-bridge needs restartPolicy: Always to run beside the dialler as a native sidecar',
      'dialler.yaml: Deployment/dialler: sidecar container cdr-bridge: a readinessProbe on the sidecar would make the dialler\'s Pod unready whenever Kafka is down; probe /readyz on the standby',
      'dialler.yaml: Deployment/dialler: sidecar container cdr-bridge: env KAFKA_SASL_PASWORD_FILE is not a setting the bridge reads (misspelt?)',
      'standby.yaml: Deployment/cdr-bridge-standby: standby container cdr-bridge: env REDIS_URL holds a secret in the pod spec; mount it from a Secret and set REDIS_URL_FILE',
      'standby.yaml: Deployment/cdr-bridge-standby: standby container cdr-bridge: securityContext.readOnlyRootFilesystem must be true',
    ]) {
      assert.ok(lines.includes(expected), `expected the line\n  ${expected}\nin\n${run.stderr}`);
    }
    assert.ok(lines.some((l) => /sidecar container cdr-bridge: resources\.requests\.memory 128Mi is below the benchmark's peak RSS \d+\.\d MiB$/.test(l)), run.stderr);
  });
});
