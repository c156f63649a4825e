// Kafka's own Java tools, run from the stack's KAFKA_CLASSPATH on the stack's broker: the
// reference client to check the bridge's records against (ConsoleConsumer), and the broker's
// view of what it stored (DumpLogSegments: each record batch with its codec).

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './bridge-process';
import { javaBinary, runToEnd, type ChildRun } from './child';
import { services } from './services';

/** Runs one of Kafka's Java main classes to completion (killed after `timeoutMs`). */
export async function runKafkaJava(mainClass: string, args: string[], timeoutMs = 120_000): Promise<ChildRun> {
  const logs = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-kafka-tool-'));
  const jvm = [
    '-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC',
    `-Dlog4j2.configurationFile=${path.join(ROOT, 'scripts/stack-lib/log4j2.properties')}`,
    `-Dkafka.logs.dir=${logs}`,
    '-cp', services.kafkaClasspath,
  ];
  try {
    return await runToEnd(javaBinary(), [...jvm, mainClass, ...args], timeoutMs);
  } finally {
    rmSync(logs, { recursive: true, force: true });
  }
}

export interface JavaRecord {
  partition: number;
  offset: bigint;
  key: string;
  cdrIdHeader: string | undefined;
}

/**
 * The first `count` records of a topic as Kafka's ConsoleConsumer reads them: partition,
 * offset, key and the cdr-id header (values are binary Avro, which it would print raw).
 */
export async function javaConsume(topic: string, count: number): Promise<JavaRecord[]> {
  const property = (p: string): string[] => ['--formatter-property', p];
  const run = await runKafkaJava('org.apache.kafka.tools.consumer.ConsoleConsumer', [
    '--bootstrap-server', services.kafkaBrokers, '--topic', topic, '--from-beginning',
    '--max-messages', String(count), '--timeout-ms', '30000',
    // Java's consumers default to read_uncommitted; downstream readers of the bridge must not.
    '--isolation-level', 'read_committed',
    ...property('print.partition=true'), ...property('print.offset=true'), ...property('print.headers=true'),
    ...property('print.key=true'), ...property('print.value=false'),
  ]);
  if (run.code !== 0) throw new Error(`ConsoleConsumer exited ${run.code}:\n${run.stderr.slice(-3000)}`);
  // "Partition:0<TAB>Offset:12<TAB>cdr-id:abc<TAB>the-key"
  return run.stdout.split('\n').filter((l) => l !== '').map((line) => {
    const m = /^Partition:(\d+)\tOffset:(\d+)\t(.*)\t([^\t]*)$/.exec(line);
    if (!m) throw new Error(`unexpected ConsoleConsumer line: ${JSON.stringify(line)}`);
    const header = /(?:^|,)cdr-id:([^,]*)/.exec(m[3]!);
    return { partition: Number(m[1]), offset: BigInt(m[2]!), key: m[4]!, cdrIdHeader: header?.[1] };
  });
}

export interface StoredBatch {
  partition: number;
  baseOffset: bigint;
  count: number;
  codec: string;
}

export interface Segment {
  partition: number;
  file: string;
}

/** The log segment files (*.log) the broker of the stack in `stackDataDir` keeps for a topic. */
export function topicSegments(stackDataDir: string, topic: string): Segment[] {
  const properties = readFileSync(path.join(stackDataDir, 'kafka', 'server.properties'), 'utf8');
  const logDirs = /^log\.dirs=(.*)$/m.exec(properties)?.[1]?.split(',');
  if (!logDirs) throw new Error('the broker\'s server.properties has no log.dirs');
  const segments: Segment[] = [];
  for (const dir of logDirs) {
    for (const entry of readdirSync(dir)) {
      const m = /^(.*)-(\d+)$/.exec(entry);
      if (m?.[1] !== topic) continue;
      for (const file of readdirSync(path.join(dir, entry))) {
        if (file.endsWith('.log')) segments.push({ partition: Number(m[2]), file: path.join(dir, entry, file) });
      }
    }
  }
  if (segments.length === 0) throw new Error(`no log segments of ${topic} under ${logDirs.join(', ')}`);
  return segments;
}

/**
 * Every record batch of data the broker stored for a topic, with its codec, as DumpLogSegments
 * prints them. Transaction markers (control batches, never compressed) are left out.
 */
export async function storedBatches(topic: string): Promise<StoredBatch[]> {
  const segments = topicSegments(services.stackDataDir, topic);
  const run = await runKafkaJava('org.apache.kafka.tools.DumpLogSegments', ['--files', segments.map((s) => s.file).join(',')]);
  if (run.code !== 0) throw new Error(`DumpLogSegments exited ${run.code}:\n${run.stderr.slice(-3000)}`);
  const batches: StoredBatch[] = [];
  let partition: number | undefined;
  for (const line of run.stdout.split('\n')) {
    const dumping = /^Dumping (.*)$/.exec(line);
    if (dumping) partition = segments.find((s) => s.file === dumping[1])?.partition;
    const m = /^baseOffset: (\d+) lastOffset: \d+ count: (\d+) .* compresscodec: (\w+)/.exec(line);
    if (!m || /\bisControl: true\b/.test(line)) continue;
    if (partition === undefined) throw new Error(`DumpLogSegments printed a batch before naming its file:\n${line}`);
    batches.push({ partition, baseOffset: BigInt(m[1]!), count: Number(m[2]), codec: m[3]! });
  }
  return batches;
}
