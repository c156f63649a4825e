// The metrics the operations guide lists are the ones the bridge's registry exposes: the table in
// docs/operations.md is what scripts/metrics-docs makes from src/ops/metrics.ts. (That a running
// bridge's /metrics serves them is test/ops/http.test.ts's and the dashboard test's.)

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BridgeMetrics } from '../../src/ops/metrics';
import { metricsTable, tableIn } from '../../src/ops/metrics-table';
import { ROOT } from '../support/bridge-process';

describe('the metrics list in docs/operations.md', () => {
  it('is the table made from the registry the bridge exposes (scripts/metrics-docs regenerates it)', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
    const shown = tableIn(doc);
    assert.ok(shown !== undefined, 'docs/operations.md holds the metrics-table markers');
    assert.equal(shown, metricsTable(), 'run scripts/metrics-docs');
  });

  it('names every metric of the registry, recovered_already_in_kafka among them', async () => {
    const shown = tableIn(readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8')) ?? '';
    const names = (await new BridgeMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((m) => m.name);
    assert.ok(names.includes('cdr_bridge_recovered_already_in_kafka_total'));
    for (const name of names) assert.ok(shown.includes(`| \`${name}\` |`), `${name} is listed`);
  });
});
