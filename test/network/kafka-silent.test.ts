// Paths to Kafka that fail without closing (issue 16, point 5): no packet either way and no RST —
// a failed switch port, a changed security group. A leader and a standby each reach Kafka through
// a proxy of their own; CDRs are pushed at a steady rate through the fault, and an independent
// read_committed reader (on the brokers' direct listener) demands every CDR once, in push order
// per key. Each test proves its fault reached the bridges.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { FaultProxy } from '../support/fault-proxy';
import { assertExactlyOnce, NetworkRun, stoppedAt, warnings } from '../support/network-run';
import { scenarioFactory } from '../support/scenario';
import { waitFor } from '../support/services';

const TEST_TIMEOUT_MS = 180_000;
/** How long every path to Kafka stays silent: as long as a producer request may wait (30 s). */
const ALL_SILENT_MS = 30_000;

describe('paths to Kafka that fail without closing', () => {
  const proxy = FaultProxy.attached();
  const scenario = scenarioFactory();
  let run: NetworkRun | undefined;

  afterEach(async () => {
    await run?.end();
    run = undefined;
    await proxy.reset();
  });

  it('every bridge\'s path to Kafka silent for 30 s mid-transaction: nothing is committed meanwhile, then every CDR once', { timeout: TEST_TIMEOUT_MS }, async () => {
    run = new NetworkRun(scenario(), proxy);
    // Test-only failpoint: the leader stops itself (SIGSTOP) with its first transaction sent and
    // not committed; the paths go silent before it goes on, so its EndTxn is written into the hole.
    const { leader, standby } = await run.leaderAndStandby({}, { CDR_BRIDGE_FAILPOINT: 'stop-before-commit' });
    const d = run.dialler(4500, 100, 6101);
    await stoppedAt(leader, 'stop-before-commit');
    await proxy.blackHole(proxy.allKafkaProxies);
    const silent = Date.now();
    process.kill(leader.pid, 'SIGCONT');
    const committedBefore = (await run.s.records()).length;
    // The fault's length, not a wait for a condition.
    await new Promise((r) => setTimeout(r, ALL_SILENT_MS - (Date.now() - silent)));
    const committedDuring = (await run.s.records()).length;
    const pushedDuring = d.pushed;
    await proxy.heal();
    const healed = Date.now();
    console.log(`# ${ALL_SILENT_MS} ms with every path to Kafka silent: ${committedDuring - committedBefore} records committed meanwhile, ${pushedDuring} CDRs pushed by the end`);
    // Proof the fault landed: the open transaction did not commit, nor did anything after it.
    assert.equal(committedDuring, committedBefore, 'nothing was committed while every path to Kafka was silent');
    // And the bridges noticed: a failed publish, or a stand-down for want of progress.
    await waitFor('a bridge to report the silent path (a failed publish or a stand-down)', async () => [leader, standby].some((b) => b.logs.some((l) => l.level === 'warn' && /kafka publish failed|standing down/.test(l.msg))), 60_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}\nleader:\n${warnings(leader)}\nstandby:\n${warnings(standby)}`);
    });
    await run.recovered(d, healed, `every path to Kafka silent ${ALL_SILENT_MS / 1000} s, from the heal`);
    assertExactlyOnce(await run.verdict(d));
  });
});

