// deploy/grafana/cdr-bridge.json: the panels the operator needs, each query valid PromQL, and
// every series it names one that a running bridge really exports on /metrics.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BridgeProcess, ROOT } from '../support/bridge-process';
import { runToEnd } from '../support/child';
import { deployTools } from '../support/deploy-tools';
import { endpointsOf, httpGet } from '../support/ops-endpoints';
import { exportedNames, seriesNames } from '../support/promql-names';
import { services, uniqueName } from '../support/services';

const DASHBOARD = path.join(ROOT, 'deploy/grafana/cdr-bridge.json');

interface Query {
  where: string;
  expr: string;
}

/** Every PromQL query of a dashboard: panel targets, and the series of label_values() variables. */
function queries(dashboard: unknown): Query[] {
  const out: Query[] = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, where));
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    const here = typeof obj.title === 'string' ? obj.title : typeof obj.name === 'string' ? `$${obj.name}` : where;
    if (typeof obj.expr === 'string') out.push({ where: `${here} ${String(obj.refId ?? '')}`.trim(), expr: obj.expr });
    if (typeof obj.definition === 'string') {
      const m = /^label_values\((.*),\s*\w+\)$/.exec(obj.definition);
      out.push({ where: here, expr: m ? m[1]! : obj.definition });
    }
    for (const [k, v] of Object.entries(obj)) walk(v, k === 'panels' || k === 'targets' || k === 'list' ? here : `${here}.${k}`);
  };
  walk(dashboard, 'dashboard');
  return out;
}

/** The series the queries name that `exported` lacks, as "name (panel refId)". */
function missingSeries(qs: Query[], exported: Set<string>): string[] {
  return qs.flatMap((q) => seriesNames(q.expr).filter((n) => !exported.has(n)).map((n) => `${n} (${q.where})`));
}

/** A query with Grafana's variables filled in as Grafana would, for promtool. */
const asPromql = (expr: string): string => expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '1m').replace(/\$\{?(job|instance)\}?/g, '.*');

const dashboardText = readFileSync(DASHBOARD, 'utf8');
const dashboard = JSON.parse(dashboardText) as { panels: { title: string; type: string; targets?: unknown[] }[] };
let bridge: BridgeProcess | undefined;
let metricsText: string;

before(async () => {
  bridge = BridgeProcess.run({
    REDIS_URL: services.redisUrl,
    KAFKA_BROKERS: services.kafkaBrokers,
    CDR_SOURCE_KEY: uniqueName('test:cdrs'),
    KAFKA_TOPIC: uniqueName('test.cdrs'),
    HTTP_PORT: '0',
    SCHEMA_REGISTRY_URL: '',
  });
  await bridge.waitForLog('acquired the lease');
  metricsText = (await httpGet(`${await endpointsOf(bridge)}/metrics`)).body;
}, { timeout: 120_000 });
after(async () => {
  await bridge?.stop();
});

describe('deploy/grafana/cdr-bridge.json', () => {
  it('reads series names out of PromQL, leaving out functions, label lists, ranges and Grafana variables', () => {
    assert.deepEqual(seriesNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket{job=~"$job", x="b_total"}[$__rate_interval])))'), ['a_bucket']);
    assert.deepEqual(seriesNames('sum by (instance) (r{role="leader"}) * 2 + on (instance) group_left sum(s offset 5m) > bool 1e3 or vector(0)'), ['r', 's']);
    assert.deepEqual(seriesNames('up unless on(job) absent(c_total)'), ['c_total', 'up']);
  });

  it('shows throughput, backlog, age at publish, in flight, dead letters, leader and standby, retries and process memory', () => {
    const titles = dashboard.panels.filter((p) => p.type !== 'row').map((p) => p.title);
    for (const wanted of ['Throughput', 'Backlog', 'Age at publish', 'In flight', 'Oldest CDR in flight', 'Dead letters', 'Leaders', 'Standbys', 'Role of each bridge', 'Retries', 'Process memory']) {
      assert.ok(titles.includes(wanted), `a panel "${wanted}" among ${titles.join(', ')}`);
    }
    for (const p of dashboard.panels.filter((p) => p.type !== 'row')) assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
  });

  it('has only valid PromQL once Grafana fills in its variables (promtool)', async () => {
    const qs = queries(dashboard);
    assert.ok(qs.length >= 20, `${qs.length} queries`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-dashboard-'));
    try {
      const rules = { groups: [{ name: 'dashboard', rules: qs.map((q, i) => ({ record: `dashboard:query_${i}`, expr: asPromql(q.expr) })) }] };
      writeFileSync(path.join(dir, 'queries.yml'), JSON.stringify(rules));
      const run = await runToEnd(deployTools().promtool, ['check', 'rules', path.join(dir, 'queries.yml')], 60_000);
      assert.equal(run.code, 0, run.output);
      assert.match(run.stdout, new RegExp(`SUCCESS: ${qs.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names only series that a running bridge exports on /metrics', () => {
    const exported = exportedNames(metricsText);
    assert.ok(exported.has('cdr_bridge_published_total') && exported.has('cdr_bridge_process_resident_memory_bytes'), 'a real scrape');
    const named = new Set(queries(dashboard).flatMap((q) => seriesNames(q.expr)));
    assert.ok(named.size >= 15, [...named].join(' '));
    assert.deepEqual(missingSeries(queries(dashboard), exported), []);
  });

  it('catches a query whose series the bridge does not export, naming the panel', () => {
    const misspelt = JSON.parse(dashboardText.replace('cdr_bridge_published_total', 'cdr_bridge_publish_total')) as unknown;
    assert.deepEqual(missingSeries(queries(misspelt), exportedNames(metricsText)), ['cdr_bridge_publish_total (Throughput A)']);
  });
});
