// The tests' reader of record, written by others: test/support/oracle-reader.py reads the topic
// with librdkafka (read_committed) and decodes with Apache Avro's Python library — no code of the
// project's Kafka client, framing or Avro type on the way. The interpreter and its packages come
// from scripts/ensure-consumer-examples (Debian's python3-confluent-kafka and python3-avro).

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Cdr } from '../../src/codec/cdr';
import { ROOT } from './bridge-process';
import { runToEnd } from './child';
import { waitFor } from './services';
import type { TopicRecord } from './topic';

const SCRIPT = path.join(ROOT, 'test/support/oracle-reader.py');

let python: string | undefined;

/** Debian's Python with confluent_kafka and avro (installed with apt-get on a fresh machine). */
function oraclePython(): string {
  python ??= execFileSync('bash', [path.join(ROOT, 'scripts/ensure-consumer-examples')], { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return python;
}

interface OracleLine {
  partition: number;
  offset: number;
  key: string | null;
  cdr_id_header: string | null;
  value: string;
  cdr?: Cdr;
}

async function runOracle(brokers: string, topic: string, flags: string[]): Promise<OracleLine[]> {
  const run = await runToEnd(oraclePython(), [SCRIPT, '--bootstrap-servers', brokers, '--topic', topic, ...flags], 180_000);
  if (run.code !== 0) throw new Error(`the oracle reader failed on ${topic} (exit ${run.code}): ${run.stderr.slice(-2000)}`);
  return run.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as OracleLine);
}

/** Every committed record of a CDR topic, decoded by Apache Avro (Python) with schemas/cdr.avsc. */
export async function oracleRecords(brokers: string, topic: string): Promise<TopicRecord[]> {
  return (await runOracle(brokers, topic, [])).map((l) => ({
    partition: l.partition,
    offset: BigInt(l.offset),
    key: l.key,
    cdrIdHeader: l.cdr_id_header ?? undefined,
    value: Buffer.from(l.value, 'base64'),
    cdr: l.cdr!,
  }));
}

/** The raw values of a topic that does not hold CDRs; `uncommitted`: aborted records too (read_uncommitted). */
export async function oracleRawValues(brokers: string, topic: string, uncommitted: boolean): Promise<Buffer[]> {
  return (await runOracle(brokers, topic, ['--raw', ...(uncommitted ? ['--uncommitted'] : [])])).map((l) => Buffer.from(l.value, 'base64'));
}

/** Waits until the oracle reads at least `count` committed records, then returns them. */
export async function oracleRecordsUntil(brokers: string, topic: string, count: number, timeoutMs = 120_000): Promise<TopicRecord[]> {
  let last = 'nothing read yet';
  try {
    return await waitFor(`the oracle to read ${count} committed records of ${topic}`, async () => {
      // The topic may not exist yet: the bridge creates it when it first connects.
      const records = await oracleRecords(brokers, topic).catch((err: Error) => {
        last = err.message;
        return undefined;
      });
      if (records) last = `it read ${records.length}`;
      return records && records.length >= count ? records : undefined;
    }, timeoutMs, 500);
  } catch (err) {
    throw new Error(`${(err as Error).message} (last: ${last.slice(0, 1000)})`);
  }
}
