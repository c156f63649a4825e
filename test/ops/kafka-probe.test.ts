// The Kafka probe: a periodic check whose verdict feeds readiness; a hanging check counts as
// down after its timeout, and never has a second one queued behind it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaProbe } from '../../src/ops/kafka-probe';

describe('kafka probe', () => {
  it('reports each check, down on a failure and up again once it answers', async () => {
    const reports: boolean[] = [];
    let fail = false;
    const probe = new KafkaProbe(async () => {
      if (fail) throw new Error('ECONNREFUSED');
    }, (up) => reports.push(up));
    probe.probeOnce();
    await new Promise((r) => setImmediate(r));
    fail = true;
    probe.probeOnce();
    await new Promise((r) => setImmediate(r));
    fail = false;
    probe.probeOnce();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(reports, [true, false, true]);
  });

  it('reports down when a check hangs past its timeout, and runs no second check meanwhile', async () => {
    const reports: boolean[] = [];
    let checks = 0;
    let answer: () => void = () => undefined;
    const probe = new KafkaProbe(() => {
      checks++;
      return new Promise<void>((resolve) => (answer = resolve));
    }, (up) => reports.push(up), { timeoutMs: 30 });
    probe.probeOnce();
    await new Promise((r) => setTimeout(r, 80));
    probe.probeOnce();
    assert.deepEqual(reports, [false]);
    assert.equal(checks, 1);
    answer();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(reports, [false, true], 'the late answer counts');
    probe.stop();
  });
});
