// deploy/prometheus/alerts.yml: valid for promtool, every rule unit-tested in alerts.test.yml
// and passing, every rule telling the one paged what happened and what to do.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/bridge-process';
import { runToEnd } from '../support/child';
import { deployTools } from '../support/deploy-tools';

const DIR = path.join(ROOT, 'deploy/prometheus');
const RULES = path.join(DIR, 'alerts.yml');
const TESTS = path.join(DIR, 'alerts.test.yml');

/** Each rule's block of text, by alert name. */
function ruleBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const part of text.split(/^\s+- alert: /m).slice(1)) {
    blocks.set(part.slice(0, part.indexOf('\n')).trim(), part);
  }
  return blocks;
}

describe('deploy/prometheus/alerts.yml', () => {
  const { promtool } = deployTools();
  const rules = ruleBlocks(readFileSync(RULES, 'utf8'));

  it('holds the promised rules, and promtool finds them valid', async () => {
    assert.deepEqual([...rules.keys()].sort(), [
      'CdrBridgeBacklogGrowing', 'CdrBridgeCdrStuckInFlight', 'CdrBridgeDeadLetters', 'CdrBridgeDeadLettersWaiting',
      'CdrBridgeKafkaDown', 'CdrBridgeNoLeader', 'CdrBridgeNoStandby', 'CdrBridgeRedisDown', 'CdrBridgeRedisFull', 'CdrBridgeRedisMemoryHigh', 'CdrBridgeRetrying',
    ]);
    const run = await runToEnd(promtool, ['check', 'rules', RULES], 60_000);
    assert.equal(run.code, 0, run.output);
    assert.match(run.stdout, new RegExp(`SUCCESS: ${rules.size} rules found`));
  });

  it('gives every rule a severity, a summary, a description and a runbook hint', () => {
    for (const [name, block] of rules) {
      assert.match(block, /\n\s+severity: (critical|warning|info)\n/, `${name}: severity`);
      for (const annotation of ['summary', 'description', 'runbook']) {
        assert.match(block, new RegExp(`\\n\\s+${annotation}: "[^"]{20,}"`), `${name}: ${annotation}`);
      }
    }
  });

  it('unit-tests every rule, firing and quiet, and promtool passes every test', async () => {
    const tests = readFileSync(TESTS, 'utf8');
    for (const name of rules.keys()) {
      const cases = tests.split(/^\s+- alertname: /m).filter((c) => c.startsWith(`${name}\n`));
      assert.ok(cases.some((c) => /exp_alerts: \[\]/.test(c)), `${name}: a case where it must not fire`);
      assert.ok(cases.some((c) => /exp_alerts:\n\s+- exp_labels:/.test(c)), `${name}: a case where it fires`);
    }
    const run = await runToEnd(promtool, ['test', 'rules', TESTS], 60_000);
    assert.equal(run.code, 0, run.output);
    assert.match(run.stdout, /Unit Testing: {2}\S*alerts\.test\.yml\n {2}SUCCESS/);
  });

  it('fails the unit tests of a rule whose threshold drifts, naming the rule', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-alerts-'));
    try {
      copyFileSync(TESTS, path.join(dir, 'alerts.test.yml'));
      const drifted = readFileSync(RULES, 'utf8').replace('cdr_bridge_oldest_in_flight_seconds) > 300', 'cdr_bridge_oldest_in_flight_seconds) > 600');
      assert.notEqual(drifted, readFileSync(RULES, 'utf8'));
      writeFileSync(path.join(dir, 'alerts.yml'), drifted);
      const run = await runToEnd(promtool, ['test', 'rules', path.join(dir, 'alerts.test.yml')], 60_000);
      assert.equal(run.code, 1);
      assert.match(run.output, /FAILED:[\s\S]*alertname: CdrBridgeCdrStuckInFlight, time: 7m/);
      assert.doesNotMatch(run.output, /alertname: CdrBridgeKafkaDown/, 'the other rules still pass');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
