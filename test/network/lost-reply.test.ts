// A produce request the broker appends but whose reply never comes back, nor any retry's (issue
// 20, point 5): the send fails with its records already in the log, inside the open transaction.
// The one road back is to drop the producer — the next one's epoch aborts that transaction, so
// the appended copy is never committed. Sending the batch again in the same transaction would
// commit it twice. Kafka's own retries hide most faults; here the reply is held by Toxiproxy
// (downstream latency) until the broker has appended the request, then the path is closed under
// the leader (the held reply is lost) and refused, so each of the client's retries fails too and
// the bridge sees the send fail. A leader on path a, a standby on path b, CDRs pushed throughout, and an
// independent read_committed reader that demands every CDR once, in push order per key.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Admin } from '@platformatic/kafka';
import { withAdmin } from '../../src/sink/kafka-client';
import { assertExactlyOnce, networkTests, stoppedAt, warnings } from '../support/network-run';
import { waitFor } from '../support/services';

const TEST_TIMEOUT_MS = 150_000;
/**
 * How long every reply to the leader is held: long enough for the test to see the produce
 * appended (it polls the broker's end offsets directly) and close the connections before the
 * reply is delivered; well under the producer's 30 s request timeout.
 */
const HOLD_MS = 3000;

describe('a produce appended by the broker whose reply is lost', () => {
  const { proxy, scenario, open } = networkTests();

  it('a produce reaches the broker and is appended, but no reply comes back to it or to any retry: the send fails, the transaction is aborted rather than sent again, one copy of each CDR', { timeout: TEST_TIMEOUT_MS }, async () => {
    const s = scenario();
    const run = open(s);
    const kafkaA = proxy.path('a').kafkaProxies;
    // Test-only failpoint: the leader stops itself (SIGSTOP) before its first send, so the fault
    // is armed before that send's requests (metadata, AddPartitionsToTxn, produce) are written.
    // Its progress watchdog is given longer than the held replies take (each request of the send
    // waits HOLD_MS): standing down would close the producer itself, before the cut.
    const { leader } = await run.leaderAndStandby({}, { CDR_BRIDGE_FAILPOINT: 'stop-before-send', CDR_BRIDGE_TEST_FAILPOINTS: 'true', PROGRESS_TIMEOUT_MS: '60000' });
    const d = run.dialler(2000, 300, 5004);
    await stoppedAt(leader, 'stop-before-send');
    const logsAtFault = leader.logs.length;
    const { before, appended, armed, cut } = await withAdmin(s.kafka, async (admin) => {
      // Nothing is in flight now: the topic's end offsets (committed or not) stand still.
      const before = await uncommittedEnd(admin, s.topic);
      await proxy.holdReplies(kafkaA, HOLD_MS);
      const armed = Date.now();
      process.kill(leader.pid, 'SIGCONT');
      // The produce is appended (the high watermark moves, read on the broker's direct listener)
      // while its reply waits in the proxy; then every connection of path a is closed under the
      // leader and new ones are refused, so the reply is lost and every retry of the client fails.
      const appended = await waitFor('the leader\'s produce to be appended by the broker while its reply is held', async () => {
        const now = await uncommittedEnd(admin, s.topic);
        return now > before ? now : undefined;
      }, 60_000, 20);
      await proxy.refuse(kafkaA);
      return { before, appended, armed, cut: Date.now() };
    });
    // The bridge sees the send fail (the correct one then drops its producer; a broken one might
    // send the batch again): either way it logs the send's failure.
    const failed = await waitFor('the leader to see its send fail', async () => leader.logs.slice(logsAtFault).find((l) => /^sending to Kafka failed/.test(String(l.err))), 30_000, 20).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; the leader's warnings since the fault:\n${warnings(leader, logsAtFault)}`);
    });
    await proxy.heal();
    console.log(`# ${appended - before} records appended (uncommitted) ${cut - armed} ms after the replies were held; the leader's send failed ${Date.parse(String(failed.time)) - cut} ms after the cut: ${String(failed.err)}`);
    // Proof the reply (not the request) was lost: the broker holds the cut request's records, and
    // the send failed after the cut, not before it for another reason.
    assert.ok(appended > before, `the broker appended the cut produce (end offsets ${before} → ${appended})`);
    assert.ok(Date.parse(String(failed.time)) >= cut - 5, `the send failed at ${String(failed.time)}, after the cut at ${new Date(cut).toISOString()}\n${warnings(leader, logsAtFault)}`);
    await run.recovered(d, cut, 'a produce appended whose reply was lost');
    const report = await run.verdict(d);
    assert.equal(report.duplicated, 0, `the appended copy was aborted, not committed beside the one sent after (${report.line})\n${warnings(leader, logsAtFault)}`);
    assertExactlyOnce(report);
  });
});

/**
 * The sum of a topic's end offsets as a read_uncommitted reader sees them (the high watermark):
 * records of an open transaction count. Asked on the brokers' direct listener.
 */
async function uncommittedEnd(admin: Admin, topic: string): Promise<number> {
  const metadata = await admin.metadata({ topics: [topic] });
  const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
  const partitions = Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n }));
  const listed = await admin.listOffsets({ topics: [{ name: topic, partitions }], isolationLevel: 0 });
  return listed.flatMap((t) => t.partitions).reduce((sum, p) => sum + Number(p.offset), 0);
}
