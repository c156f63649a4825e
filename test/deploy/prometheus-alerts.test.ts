// The shipped alert rules in a real Prometheus, scraping a real leader and standby on a stack of
// the test's own: quiet while all is well, and CdrBridgeKafkaDown firing through an outage of
// the broker and resolving after it. The rules are the shipped file with every `for:` cut to
// 2 s; Prometheus scrapes and evaluates every second.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BridgeProcess, ROOT } from '../support/bridge-process';
import { deployTools } from '../support/deploy-tools';
import { endpointsOf, httpGet } from '../support/ops-endpoints';
import { OwnStack } from '../support/own-stack';
import { PrometheusServer, withShortFor, type ActiveAlert } from '../support/prometheus';
import { exportedNames, seriesNames } from '../support/promql-names';
import { uniqueName, waitFor } from '../support/services';

// On a shared, loaded machine a broker restart can take longer than scripts/stack's default 90 s
// wait; OwnStack.start itself gives up after 180 s.
process.env.STACK_TIMEOUT ??= '170';

const RULES = readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8');

let stack: OwnStack | undefined;
let leader: BridgeProcess | undefined;
let standby: BridgeProcess | undefined;
let prometheus: PrometheusServer | undefined;
let leaderAddress: string;
let standbyAddress: string;

before(async () => {
  const { prometheus: binary } = deployTools();
  stack = await OwnStack.up();
  const source = uniqueName('test:cdrs');
  const env = {
    REDIS_URL: stack.redisUrl,
    KAFKA_BROKERS: stack.kafkaBrokers,
    CDR_SOURCE_KEY: source,
    KAFKA_TOPIC: uniqueName('test.cdrs'),
    HTTP_PORT: '0',
    LEASE_TTL_MS: '3000',
    SCHEMA_REGISTRY_URL: '',
  };
  leader = BridgeProcess.run(env);
  await leader.waitForLog('acquired the lease');
  standby = BridgeProcess.run(env);
  leaderAddress = (await endpointsOf(leader)).replace('http://', '');
  standbyAddress = (await endpointsOf(standby)).replace('http://', '');
  await waitFor('the second bridge to stand by', async () => JSON.parse((await httpGet(`http://${standbyAddress}/readyz`)).body).role === 'standby');
  prometheus = await PrometheusServer.start({ binary, targets: [leaderAddress, standbyAddress], rules: withShortFor(RULES, '2s') });
}, { timeout: 400_000 });

after(async () => {
  await prometheus?.stop();
  await standby?.stop();
  await leader?.stop();
  await stack?.down();
});

const kafkaDown = (alerts: ActiveAlert[]): ActiveAlert[] => alerts.filter((a) => a.labels.alertname === 'CdrBridgeKafkaDown');

describe('alert rules in a real Prometheus scraping a leader and a standby', () => {
  it('loads every rule, and each names only series the bridge exports', async () => {
    const p = prometheus!;
    const loaded = await waitFor('the rules to be loaded', async () => {
      const rules = await p.rules();
      return rules.length > 0 ? rules : undefined;
    });
    assert.equal(loaded.length, RULES.match(/^\s+- alert: /gm)!.length);
    assert.ok(loaded.every((r) => r.health !== 'err'), JSON.stringify(loaded.filter((r) => r.health === 'err')));
    const exported = exportedNames((await httpGet(`http://${leaderAddress}/metrics`)).body);
    const named = new Set(loaded.flatMap((r) => seriesNames(r.query)));
    assert.ok(named.has('cdr_bridge_kafka_up') && named.has('cdr_bridge_oldest_in_flight_seconds'), [...named].join(' '));
    assert.deepEqual([...named].filter((n) => !exported.has(n)), [], 'series named by a rule but absent from /metrics');
  });

  it('is quiet while both bridges are healthy: no alert pending or firing', async () => {
    const p = prometheus!;
    await waitFor('both targets scraped', async () => (await p.query('cdr_bridge_kafka_up == 1')).length === 2);
    // Right after Prometheus starts, rules may be evaluated before the first scrape.
    const alerts = await waitFor('no alert', async () => ((await p.alerts()).length === 0 ? [] : undefined), 30_000);
    assert.deepEqual(alerts, []);
    assert.deepEqual((await p.query('sum(cdr_bridge_is_leader)')).map((s) => s.value[1]), ['1']);
    assert.deepEqual((await p.query('sum(cdr_bridge_role{role="standby"})')).map((s) => s.value[1]), ['1']);
  });

  it('fires CdrBridgeKafkaDown for each bridge when the broker dies, and resolves it once the broker is back', async () => {
    const p = prometheus!;
    await stack!.kill('kafka');
    const firing = await waitFor('CdrBridgeKafkaDown to fire for both bridges', async () => {
      const alerts = kafkaDown(await p.alerts()).filter((a) => a.state === 'firing');
      return alerts.length === 2 ? alerts : undefined;
    }, 90_000, 500);
    assert.deepEqual(firing.map((a) => a.labels.instance).sort(), [leaderAddress, standbyAddress].sort());
    const forLeader = firing.find((a) => a.labels.instance === leaderAddress)!;
    assert.deepEqual(forLeader.labels, { alertname: 'CdrBridgeKafkaDown', instance: leaderAddress, job: 'cdr-bridge', severity: 'critical' });
    assert.equal(forLeader.annotations.summary, `cdr-bridge ${leaderAddress} cannot reach Kafka`);
    assert.equal(forLeader.value, '0e+00');
    const state = (await p.rules()).find((r) => r.name === 'CdrBridgeKafkaDown');
    assert.equal(state?.state, 'firing');

    await stack!.start('kafka');
    await waitFor('CdrBridgeKafkaDown to resolve', async () => kafkaDown(await p.alerts()).length === 0, 120_000, 500);
    assert.equal((await p.rules()).find((r) => r.name === 'CdrBridgeKafkaDown')?.state, 'inactive');
    assert.deepEqual((await p.query('cdr_bridge_kafka_up == 0')), [], 'both bridges see Kafka again');
    assert.ok(leader!.running && standby!.running);
  });
});
