// Topic housekeeping for the benchmark's own stack: create, count, delete.

import { withAdmin } from '../src/sink/kafka-client';
import { createTopics } from '../src/sink/topic-admin';
import { readToEnd, topicRecordCount } from '../src/sink/topic-reader';
import type { BenchStack } from './bench-stack';

const COUNT_TIMEOUT_MS = 600_000;

/** Records in a topic: the sum of its partitions' end offsets minus their starts (commit markers included). */
export async function topicCount(stack: BenchStack, topic: string): Promise<number> {
  return topicRecordCount(stack.kafka(), topic);
}

/**
 * Committed records in a topic, counted by reading it (read_committed). End offsets would
 * also count each transaction's commit markers, one per partition per transaction.
 */
export async function committedCount(stack: BenchStack, topic: string): Promise<number> {
  let count = 0;
  await readToEnd(stack.kafka(), topic, { timeoutMs: COUNT_TIMEOUT_MS }, () => {
    count++;
  });
  return count;
}

/** Keeps the broker's disk and page cache from filling up over a long run. */
export async function deleteTopic(stack: BenchStack, topic: string): Promise<void> {
  await withAdmin(stack.kafka(), (admin) => admin.deleteTopics({ topics: [topic] })).catch(() => undefined);
}

export async function createTopic(stack: BenchStack, topic: string, partitions = 3, config: Record<string, string> = {}): Promise<void> {
  await withAdmin(stack.kafka(), (admin) => createTopics(admin, [{ topic, partitions, configs: config }]));
}
