// A network that slows down, and one that resets a connection in the middle of a request (issue 16,
// point 5): Toxiproxy between each bridge and the services, a leader on path a and a standby on
// path b, CDRs pushed at a steady rate throughout, and an independent read_committed reader that
// demands every CDR once, in push order per key. Each test proves its fault reached the bridge.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertExactlyOnce, networkTests, stoppedAt } from '../support/network-run';
import { endpointsOf, httpGet, sample } from '../support/ops-endpoints';
import { waitFor } from '../support/services';

const TEST_TIMEOUT_MS = 150_000;
/** Added to every byte each way on every path: a request's round trip takes 400 ms longer. */
const LATENCY_MS = 200;
/**
 * Bytes a connection may still carry once the cut is armed, before a produce request: more than
 * the small requests that may precede it (AddPartitionsToTxn, a metadata request: a few hundred
 * bytes), less than the produce request of the dialler's first chunk (15 CDRs of ~280 bytes).
 */
const PRODUCE_CUT_BYTES = 1024;
/** Less than an EndTxn request (its header and transactional id alone are over 60 bytes). */
const END_TXN_CUT_BYTES = 30;

describe('a slow network, and connections reset mid-request', () => {
  const { proxy, open } = networkTests();

  it(`${LATENCY_MS} ms added each way to every request of every bridge: CDRs keep moving, one copy of each`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const run = open();
    const { leader } = await run.leaderAndStandby();
    const base = await endpointsOf(leader);
    const d = run.dialler(3000, 200, 5001);
    await d.reached(600);
    const every = ['a', 'b'] as const;
    await proxy.slow(every.flatMap((p) => [...proxy.path(p).kafkaProxies, proxy.path(p).redisProxy]), LATENCY_MS);
    // Counted from the first commit that ends under the latency: every commit after it began
    // under it (one begun before would only dilute the mean).
    const armed = await publishSeconds(base);
    const before = await waitFor('a commit that ends under the latency', async () => {
      const now = await publishSeconds(base);
      return now.count > armed.count ? now : undefined;
    }, 30_000, 50);
    // The fault lasts while the dialler pushes another 1,400 CDRs (about 7 s).
    await d.reached(d.pushed + 1400);
    const during = await publishSeconds(base);
    await proxy.heal();
    const healed = Date.now();
    const batches = during.count - before.count;
    const meanMs = ((during.sum - before.sum) / batches) * 1000;
    console.log(`# under ${LATENCY_MS} ms each way: ${batches} batches committed, their commits took ${meanMs.toFixed(0)} ms on average`);
    assert.ok(batches > 0, 'the leader kept committing while every request was slow');
    // Proof the fault landed: a commit is at least one round trip to the broker through the proxy
    // (2 × 200 ms; a few ms without it). 90 %: the bridge times it in whole milliseconds.
    assert.ok(meanMs >= 0.9 * 2 * LATENCY_MS, `the leader's commits took ${meanMs.toFixed(0)} ms on average under the latency, not about ${2 * LATENCY_MS} ms: the latency did not reach it`);
    await run.recovered(d, healed, `${LATENCY_MS} ms latency each way, from its removal`);
    assertExactlyOnce(await run.verdict(d));
  });

  it('a connection reset (RST) in the middle of a produce request, and every retry\'s too: the send fails, the next producer settles the batch, one copy of each CDR', { timeout: TEST_TIMEOUT_MS }, async () => {
    const run = open();
    // The cut below is a reset (RST), as a middlebox or a peer's crash makes, not a FIN.
    await proxy.resetOnClose(proxy.path('a').kafkaProxies);
    // Test-only failpoint: the leader stops itself (SIGSTOP) before its first send, so the cut is
    // armed exactly before that send's requests are written.
    const { leader } = await run.leaderAndStandby({}, { CDR_BRIDGE_TEST_FAILPOINTS: 'true', CDR_BRIDGE_FAILPOINT: 'stop-before-send' });
    const d = run.dialler(2000, 300, 5002);
    await stoppedAt(leader, 'stop-before-send');
    await proxy.cutAfter(proxy.path('a').kafkaProxies, PRODUCE_CUT_BYTES);
    const cut = Date.now();
    process.kill(leader.pid, 'SIGCONT');
    const failed = await leader.waitForLog('kafka publish failed', 60_000);
    await proxy.heal();
    console.log(`# the leader's send failed ${Date.now() - cut} ms after the cut was armed: ${String(failed.err)}`);
    assert.match(String(failed.err), /^sending to Kafka failed/, 'the cut landed on the send (its produce request), not elsewhere');
    await run.recovered(d, cut, 'connection reset mid-produce');
    assertExactlyOnce(await run.verdict(d));
  });

  it('a connection reset (RST) in the middle of an EndTxn: the commit is tried again on a new connection, one copy of each CDR', { timeout: TEST_TIMEOUT_MS }, async () => {
    const run = open();
    // The cut below is a reset (RST), as a middlebox or a peer's crash makes, not a FIN.
    await proxy.resetOnClose(proxy.path('a').kafkaProxies);
    // The leader stops itself after its first transaction's sends (the last one carried the
    // position), before the commit: the next request it writes is the EndTxn. At debug level it
    // logs each retried Kafka request: the proof the cut landed on the EndTxn.
    const { leader } = await run.leaderAndStandby({}, { CDR_BRIDGE_TEST_FAILPOINTS: 'true', CDR_BRIDGE_FAILPOINT: 'stop-before-commit', LOG_LEVEL: 'debug' });
    const d = run.dialler(2000, 300, 5003);
    await stoppedAt(leader, 'stop-before-commit');
    await proxy.cutAfter(proxy.path('a').kafkaProxies, END_TXN_CUT_BYTES);
    const cut = Date.now();
    process.kill(leader.pid, 'SIGCONT');
    // One cut, as a reset is: healed once the producer has seen its EndTxn fail (a cut left armed
    // also cuts every new connection's first request, and the client's retries then take 30 s).
    const retried = await waitFor('the leader\'s producer to retry its EndTxn after the cut', async () => leader.logs.find((l) => l.msg === 'kafka producer retrying' && l.operation === 'endTransaction'), 60_000, 10);
    await proxy.heal();
    console.log(`# the leader's EndTxn failed and was retried ${Date.now() - cut} ms after the cut was armed (${JSON.stringify(retried)})`);
    await run.recovered(d, cut, 'connection reset mid-EndTxn');
    assertExactlyOnce(await run.verdict(d));
  });
});

/** The leader's batch_publish_seconds histogram: per batch, the time its transaction's commit took. */
async function publishSeconds(base: string): Promise<{ sum: number; count: number }> {
  const { body } = await httpGet(`${base}/metrics`);
  return { sum: sample(body, 'cdr_bridge_batch_publish_seconds_sum') ?? 0, count: sample(body, 'cdr_bridge_batch_publish_seconds_count') ?? 0 };
}
