// A leader whose path to Redis goes silent (issue 16, point 5): no packet either way and no RST,
// its standby's path intact. Its lease runs out in Redis; the leader must stop taking within about
// one lease TTL and say so, the standby lead, and an independent read_committed reader find every
// CDR once, in push order per key.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitForNewLeaseHolder } from '../support/bridge-process';
import { assertExactlyOnce, networkTests } from '../support/network-run';
import { endpointsOf, scrapeSample } from '../support/ops-endpoints';
import { waitFor } from '../support/services';

const TEST_TIMEOUT_MS = 150_000;
/** The scenario's LEASE_TTL_MS. */
const LEASE_TTL_MS = 3000;

describe('a path to Redis that fails without closing', () => {
  const { proxy, open } = networkTests();

  it('the leader\'s path to Redis silent past its lease: it stops taking within about one TTL and says so, the standby leads, one copy of each CDR', { timeout: TEST_TIMEOUT_MS }, async () => {
    const run = open();
    const { leader } = await run.leaderAndStandby();
    const base = await endpointsOf(leader);
    const d = run.dialler(3000, 200, 6001);
    await d.reached(600);
    const from = leader.logs.length;
    await proxy.blackHole([proxy.path('a').redisProxy]);
    const silent = Date.now();

    // The leader, cut off from Redis, cannot renew: it must stop taking once its lease has
    // lapsed by its own clock, and show it — a warn line, or is_leader 0 on /metrics (served
    // on its own port, not through the proxy).
    const stopped = await waitFor('the leader to show it stopped taking (a warn line about its lease, or is_leader 0)', async () => {
      const line = leader.logs.slice(from).find((l) => l.level === 'warn' && /lease/.test(l.msg));
      if (line) return `logged "${line.msg}"`;
      const isLeader = await scrapeSample(base, 'cdr_bridge_is_leader').catch(() => undefined);
      return isLeader === 0 ? 'is_leader 0' : undefined;
    }, 4 * LEASE_TTL_MS, 50);
    const stoppedMs = Date.now() - silent;
    const standbyPid = await waitForNewLeaseHolder(run.s.redis, run.s.source, leader.pid, 4 * LEASE_TTL_MS);
    const ledMs = Date.now() - silent;
    console.log(`# the leader showed it stopped taking ${stoppedMs} ms after its Redis went silent (${stopped}); the standby (pid ${standbyPid}) led after ${ledMs} ms`);
    assert.ok(stoppedMs <= LEASE_TTL_MS + 1500, `the leader stopped taking within about one lease TTL (${LEASE_TTL_MS} ms), not after ${stoppedMs} ms`);

    await run.recovered(d, silent, 'the leader\'s Redis silent, the standby leading');
    // The path heals while the standby leads: whatever the old leader held in the hole (a renewal,
    // a take) now reaches Redis, fenced by a lease it no longer has.
    await d.reached(d.pushed + 400);
    await proxy.heal();
    assertExactlyOnce(await run.verdict(d));
  });
});
