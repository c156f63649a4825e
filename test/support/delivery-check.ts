// The independent verifier of the chaos and fault tests: reads the whole topic as a downstream
// consumer would — committed records only, through the oracle (librdkafka and Apache Avro in
// Python, test/support/oracle-topic.ts), no code of the project's — and compares it with
// the cdr_ids the dialler pushed: lost, duplicated, and per-key order against push order.
// Records nobody in the list pushed (another producer's) are counted, not judged.

import { isDeepStrictEqual } from 'node:util';
import { oracleExpectedCdr } from './oracle-cdr';
import { oracleRecords } from './oracle-topic';
import type { TopicRecord } from './topic';

export interface DeliveryReport {
  pushed: number;
  /** Records of pushed CDRs in the topic, copies included. */
  delivered: number;
  lost: number;
  /** Extra copies: a CDR in the topic three times counts 2. */
  duplicated: number;
  /** Records that reached their key's partition before a CDR of that key pushed earlier. */
  outOfOrder: number;
  /** Records in the topic that are not in the pushed list (another producer's). */
  others: number;
  /** Records whose content differs from the CDR the oracle's rules expect of the payload (when payloads are given). */
  altered: number;
  /** `lost=0 duplicated=0 out_of_order=0 ...`, for a test's log and its assertion messages. */
  line: string;
}

/**
 * Compares the topic's records with the cdr_ids pushed, oldest first — and, given the payloads
 * (same order), each record's content with what test/support/oracle-cdr.ts expects of its payload.
 */
export function checkDelivery(pushedIds: readonly string[], records: readonly TopicRecord[], payloads?: readonly string[]): DeliveryReport {
  const pushOrder = new Map<string, number>();
  pushedIds.forEach((id, i) => pushOrder.set(id, i));
  const copies = new Map<string, number>();
  const lastOfKey = new Map<string, number>();
  let delivered = 0;
  let others = 0;
  let outOfOrder = 0;
  let altered = 0;
  const sorted = [...records].sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  for (const r of sorted) {
    const id = r.cdr.cdr_id;
    const index = pushOrder.get(id);
    if (index === undefined) {
      others++;
      continue;
    }
    delivered++;
    if (payloads) {
      const { received_at: _received, ...content } = r.cdr;
      if (!isDeepStrictEqual(content, oracleExpectedCdr(payloads[index]!)) || r.cdrIdHeader !== id) altered++;
    }
    const seen = copies.get(id) ?? 0;
    copies.set(id, seen + 1);
    if (seen > 0) continue; // a repeat is counted as a duplicate, not again as disorder
    const key = `${r.partition}/${r.key}`;
    const last = lastOfKey.get(key);
    if (last !== undefined && index < last) outOfOrder++;
    else lastOfKey.set(key, index);
  }
  let lost = 0;
  let duplicated = 0;
  for (const id of pushOrder.keys()) {
    const c = copies.get(id) ?? 0;
    if (c === 0) lost++;
    else duplicated += c - 1;
  }
  const line = `pushed=${pushedIds.length} delivered=${delivered} lost=${lost} duplicated=${duplicated} out_of_order=${outOfOrder} others=${others}${payloads ? ` altered=${altered}` : ''}`;
  return { pushed: pushedIds.length, delivered, lost, duplicated, outOfOrder, others, altered, line };
}

/** Reads the whole topic (read_committed) and checks it against the pushed cdr_ids. */
export async function verifyTopic(brokers: string, topic: string, pushedIds: readonly string[], payloads?: readonly string[]): Promise<DeliveryReport> {
  return checkDelivery(pushedIds, await oracleRecords(brokers, topic), payloads);
}

/**
 * Waits until every pushed CDR is in the topic and a second read a second later finds the same
 * count (a late copy — a zombie's send, a resumed broker's append — lands by then or not within
 * the wait), and returns that report; at the timeout, the last report, whatever it says.
 */
export async function settledDelivery(brokers: string, topic: string, pushedIds: readonly string[], payloads?: readonly string[], timeoutMs = 60_000): Promise<DeliveryReport> {
  const deadline = Date.now() + timeoutMs;
  let previous: DeliveryReport | undefined;
  for (;;) {
    const report = await verifyTopic(brokers, topic, pushedIds, payloads).catch(() => undefined);
    if (report) {
      const steady = previous !== undefined && previous.delivered === report.delivered && previous.others === report.others;
      if ((report.lost === 0 && steady) || Date.now() > deadline) return report;
      previous = report;
    } else if (Date.now() > deadline) {
      return verifyTopic(brokers, topic, pushedIds, payloads);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
