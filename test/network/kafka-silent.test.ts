// Paths to Kafka that fail without closing (issue 16, point 5): no packet either way and no RST —
// a failed switch port, a changed security group. A leader and a standby each reach Kafka through
// a proxy of their own; CDRs are pushed at a steady rate through the fault, and an independent
// read_committed reader (on the brokers' direct listener) demands every CDR once, in push order
// per key. Each test proves its fault reached the bridges.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leaseHolderPid, waitForNewLeaseHolder } from '../support/bridge-process';
import { assertExactlyOnce, networkTests, stoppedAt, warnings } from '../support/network-run';
import { endpointsOf, scrapeSample } from '../support/ops-endpoints';
import { waitFor } from '../support/services';

const TEST_TIMEOUT_MS = 180_000;
/** The scenario's LEASE_TTL_MS. */
const LEASE_TTL_MS = 3000;
/** PROGRESS_TIMEOUT_MS of the first test: twice the lease TTL (the default is three times). */
const PROGRESS_TIMEOUT_MS = 6000;
/** How long every path to Kafka stays silent: as long as a producer request may wait (30 s). */
const ALL_SILENT_MS = 30_000;

describe('paths to Kafka that fail without closing', () => {
  const { proxy, open } = networkTests();

  it('the leader\'s path to Kafka silent past the progress bound: it stands down, the standby leads within the bound plus a lease TTL, one copy of each CDR', { timeout: TEST_TIMEOUT_MS }, async () => {
    const run = open();
    const { leader, standby } = await run.leaderAndStandby({ PROGRESS_TIMEOUT_MS: String(PROGRESS_TIMEOUT_MS) });
    const base = await endpointsOf(leader);
    const d = run.dialler(4000, 150, 6102);
    await d.reached(600);
    assert.equal(await leaseHolderPid(run.s.redis, run.s.source), leader.pid, 'the bridge on path a leads when its path goes silent');
    // Silenced just after a commit: the bound then counts from the silence, and a stand-down
    // before it has passed would be a stall of the machine's, not this fault's.
    const commits = await scrapeSample(base, 'cdr_bridge_transactions_committed_total');
    await waitFor('a commit of the leader\'s', async () => (await scrapeSample(base, 'cdr_bridge_transactions_committed_total'))! > commits!, 30_000, 20);
    await proxy.blackHole(proxy.path('a').kafkaProxies);
    const silent = Date.now();
    const standbyPid = await waitForNewLeaseHolder(run.s.redis, run.s.source, leader.pid, 3 * (PROGRESS_TIMEOUT_MS + LEASE_TTL_MS)).catch((err: Error) => {
      throw new Error(`${err.message}\nleader:\n${warnings(leader)}\nstandby:\n${warnings(standby)}`);
    });
    const ledMs = Date.now() - silent;
    assert.equal(standbyPid, standby.pid, 'the standby took the lease');
    // Proof the fault landed: the leader stood down for want of progress, and said why.
    const stoodDown = leader.logs.find((l) => l.level === 'warn' && l.msg.includes('standing down'));
    assert.ok(stoodDown, `the leader logged its stand-down:\n${warnings(leader)}`);
    assert.ok(ledMs >= PROGRESS_TIMEOUT_MS - 1000, `the standby led ${ledMs} ms after the silence, before the bound (${PROGRESS_TIMEOUT_MS} ms) had passed: the leader had stalled before its path went silent (${JSON.stringify(stoodDown)})`);
    console.log(`# the leader's path to Kafka silent: it stood down ("${stoodDown.msg}"), the standby led ${ledMs} ms after the path went silent`);
    assert.ok(ledMs <= PROGRESS_TIMEOUT_MS + LEASE_TTL_MS, `the standby led within the bound plus a lease TTL (${PROGRESS_TIMEOUT_MS + LEASE_TTL_MS} ms), not after ${ledMs} ms`);
    await run.recovered(d, silent, 'the leader\'s path to Kafka silent, the standby leading');
    // The path heals while the standby leads: what the old leader wrote into the hole (a send,
    // an EndTxn) reaches the broker now, from a producer the standby's has fenced.
    await d.reached(d.pushed + 600);
    await proxy.heal();
    assertExactlyOnce(await run.verdict(d));
  });

  it('every bridge\'s path to Kafka silent for 30 s mid-transaction: nothing is committed meanwhile, then every CDR once', { timeout: TEST_TIMEOUT_MS }, async () => {
    const run = open();
    // Test-only failpoint: the leader stops itself (SIGSTOP) with its first transaction sent and
    // not committed; the paths go silent before it goes on, so its EndTxn is written into the hole.
    const { leader, standby } = await run.leaderAndStandby({}, { CDR_BRIDGE_TEST_FAILPOINTS: 'true', CDR_BRIDGE_FAILPOINT: 'stop-before-commit' });
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

