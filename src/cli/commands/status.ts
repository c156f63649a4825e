// `cdr-bridge status`: where the CDRs are right now — list lengths, how long the oldest item
// has been in flight, who leads, the topic's partitions and end offsets, and the last doctor result.

import { Command } from 'commander';
import { provenanceOf, type Provenance } from '../../config/config';
import { describeUnknown } from '../../config/unknown-names';
import { createLogger } from '../../log';
import { withAdmin, type KafkaClientSettings } from '../../sink/kafka-client';
import { brokerCount, partitionOffsets } from '../../sink/topic-admin';
import type { CheckResult } from '../../check';
import { doctorKey, lastReport, type DoctorReport } from '../../bridge/doctor';
import { Lease } from '../../source/lease';
import { lastStandDown, type StandDownRecord } from '../../bridge/progress-watchdog';
import { parseInfo } from '../../source/redis-info';
import { describeMemory, readRedisMemory, type RedisMemory } from '../../source/redis-memory';
import { companionKeys, oldestInFlightMs } from '../../source/reliable-list';
import { conditionNow, conditionText, type RedisCondition } from '../../source/redis-condition';
import { durability } from '../../sink/topics';
import { kafkaUnreachable, openRedis, redisUnreachable } from '../connections';
import { configOf, KAFKA_SETTINGS, REDIS_SETTINGS, withSettings } from '../options';

export interface Status {
  source: { key: string; length: number };
  processing: { key: string; length: number; oldestAgeMs: number | null; oldestTakenAtMs: number | null };
  deadLetter: { key: string; length: number };
  lease: { key: string; holder: string | null; pid: number | null; sinceMs: number | null; expiresInMs: number | null;
    /** When no bridge leads: what in Redis may keep one from it (null when nothing is seen). */
    noLeaderReason: string | null };
  /** The last time a leader stood down for want of progress (kept a day), and why. */
  standDown: StandDownRecord | null;
  /** Used memory against maxmemory (null when INFO is refused). */
  memory: (RedisMemory & { text: string }) | null;
  /** A condition that makes this Redis refuse writes now (why no bridge may be leading), or null. */
  redis: { condition: RedisCondition; found: string; action: string } | null;
  topic: { name: string; partitions: { partition: number; low: string; high: string }[]; /** End minus start offsets: the records plus one transaction marker per partition per commit. */
    offsets: number; replicationFactor: number; minInsyncReplicas: number; warning?: string } | { name: string; error: string };
  /** Where this command's settings came from: the .env file read (null: none), per setting given, and names that are no setting. */
  config: Provenance;
  /** The last doctor result (of `cdr-bridge doctor` or of a `run` at start), if any. */
  doctor: { key: string; at: number; by: DoctorReport['by']; host: string; ok: number; warn: number; fail: number; notOk: CheckResult[] } | null;
}

export function statusCommand(): Command {
  return withSettings(new Command('status'), [...REDIS_SETTINGS, 'sourceKey', 'processingKey', 'deadLetterKey', 'leaseKey', ...KAFKA_SETTINGS, 'kafkaTopic'])
    .description('show list lengths, the oldest item in flight, the leader, and the topic\'s offsets')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      // Names that are no setting are shown in the status itself, not also on stderr.
      const config = configOf(cmd, undefined, 'caller');
      const log = createLogger('error');
      const redis = await openRedis(config, 'cdr-bridge-status', log);
      let status: Status;
      let kafkaDown: unknown;
      try {
        const [source, processing, deadLetter, oldest, holder, serverTime, landing, doctor, memory, replication, condition, standDown] = await Promise.all([
          redis.llen(config.sourceKey),
          redis.llen(config.processingKey),
          redis.llen(config.deadLetterKey),
          // The oldest batch's record ("seq count takenAtMs") sits at the batches list's tail.
          redis.lindex(companionKeys(config.processingKey).batches, -1),
          Lease.holder(redis, config.leaseKey),
          redis.time(),
          redis.llen(companionKeys(config.processingKey).landing),
          lastReport(redis, config),
          readRedisMemory(redis).catch(() => null),
          redis.info('replication').then(parseInfo, () => ({} as Record<string, string>)),
          // A refused INFO or CONFIG (an ACL without them) costs only this row.
          conditionNow(redis).catch(() => undefined),
          lastStandDown(redis, config.leaseKey),
        ]).catch((err: unknown) => {
          throw redisUnreachable(config, err);
        });
        status = {
          config: provenanceOf(config),
          source: { key: config.sourceKey, length: source + landing },
          processing: { key: config.processingKey, length: processing, ...oldestInFlight(processing, oldest, serverTime) },
          deadLetter: { key: config.deadLetterKey, length: deadLetter },
          lease: { key: config.leaseKey, holder: holder?.host ?? null, pid: holder?.pid ?? null, sinceMs: holder?.since ?? null, expiresInMs: holder?.ttlMs ?? null, noLeaderReason: holder ? null : noLeaderReason(memory, replication.role) },
          standDown: standDown ?? null,
          memory: memory && { ...memory, text: describeMemory(memory) },
          redis: condition ? { ...condition, action: conditionText(condition.condition).action } : null,
          doctor: doctor ? doctorSummary(doctorKey(config), doctor) : null,
          topic: await topicStatus(config).catch((err: unknown) => {
            kafkaDown = err;
            return { name: config.kafkaTopic, error: `unreachable: ${(err as Error).message}` };
          }),
        };
      } finally {
        redis.disconnect();
      }
      process.stdout.write(opts.json ? `${JSON.stringify(status)}\n` : formatStatus(status));
      // The Redis side is printed all the same: it is what an operator needs during a Kafka outage.
      if (kafkaDown !== undefined) throw await kafkaUnreachable(config, kafkaDown);
    });
}

/** How long the oldest batch in flight has been there, and since when (Redis time, ms). */
function oldestInFlight(processing: number, oldest: string | null, serverTime: readonly (string | number)[]): Pick<Status['processing'], 'oldestAgeMs' | 'oldestTakenAtMs'> {
  const oldestAgeMs = oldestInFlightMs(processing, oldest, serverTime[0], serverTime[1]);
  return { oldestAgeMs, oldestTakenAtMs: oldestAgeMs === null || oldest === null ? null : Number(oldest.split(' ')[2]) };
}

async function topicStatus(config: KafkaClientSettings & { kafkaTopic: string }): Promise<Status['topic']> {
  return withAdmin(config, async (admin) => {
    // Not reaching the broker rejects (the caller reports it); a topic it lacks is a status.
    await brokerCount(admin);
    try {
      const partitions = (await partitionOffsets(admin, config.kafkaTopic)).map((p) => ({ partition: p.partition, low: String(p.low), high: String(p.high) }));
      const durable = await durability(admin, config.kafkaTopic);
      return { name: config.kafkaTopic, partitions, offsets: partitions.reduce((a, p) => a + Number(BigInt(p.high) - BigInt(p.low)), 0), ...durable };
    } catch (err) {
      return { name: config.kafkaTopic, error: (err as Error).message };
    }
  }, { retries: 2 });
}

/**
 * Why no bridge may be leading, as far as Redis shows it. A replica refuses the lease's write. A
 * full Redis refuses writes: bridges before the allow-oom scripts could not take the lease at all,
 * and this one drains it once it leads — so a full Redis with no leader means no bridge is running
 * or none gets past its start.
 */
function noLeaderReason(memory: RedisMemory | null, role: string | undefined): string | null {
  if (role === 'slave') return 'this Redis is a read-only replica: no bridge can take the lease on it — point REDIS_URL at the master (or use REDIS_SENTINELS)';
  if (memory?.refusesWrites) return `Redis is full and refuses writes (${describeMemory(memory)}): the dialler's pushes fail until a bridge leads and drains it — start one, or see why it does not lead (its log, \`cdr-bridge doctor\`)`;
  return null;
}

function doctorSummary(key: string, r: DoctorReport): NonNullable<Status['doctor']> {
  const count = (v: CheckResult['verdict']): number => r.checks.filter((c) => c.verdict === v).length;
  return { key, at: r.at, by: r.by, host: r.host, ok: count('ok'), warn: count('warn'), fail: count('FAIL'), notOk: r.checks.filter((c) => c.verdict !== 'ok') };
}

function formatStatus(s: Status): string {
  const age = (ms: number | null): string => (ms === null ? '-' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
  const given = Object.entries(s.config.from).map(([name, where]) => `${name} from ${where}`).join(', ');
  const rows: [string, string, string][] = [
    ['config', s.config.envFile ?? 'no .env file read', given === '' ? 'every setting at its default' : given],
    ...s.config.unknown.map((u): [string, string, string] => ['', '  warning', describeUnknown(u)]),
    ['source', s.source.key, String(s.source.length)],
    ['processing', s.processing.key, `${s.processing.length} (oldest in flight: ${age(s.processing.oldestAgeMs)})`],
    ['dead letters', s.deadLetter.key, String(s.deadLetter.length)],
    ['leader', s.lease.key, s.lease.holder ? `${s.lease.holder} pid ${s.lease.pid}, since ${new Date(s.lease.sinceMs ?? 0).toISOString()}, lease expires in ${age(s.lease.expiresInMs)}` : `none (no bridge is leading${s.lease.noLeaderReason ? `: ${s.lease.noLeaderReason}` : ''})`],
  ];
  if (s.standDown !== null) {
    const d = s.standDown;
    rows.push(['stood down', `${d.host} pid ${d.pid}`, `at ${new Date(d.at).toISOString()}: ${d.reason}`]);
  }
  if (s.redis !== null) rows.push(['redis', s.redis.condition, `${s.redis.found}: writes are refused — ${s.redis.action}`]);
  if (s.memory) rows.push(['memory', 'redis', `${s.memory.text}${s.memory.refusesWrites ? ': full, Redis refuses writes (the dialler\'s pushes fail)' : ''}`]);
  if ('error' in s.topic) rows.push(['topic', s.topic.name, s.topic.error]);
  else {
    rows.push(['topic', s.topic.name, `${s.topic.offsets} offsets (records and transaction markers) in ${s.topic.partitions.length} partitions, replication factor ${s.topic.replicationFactor}, min.insync.replicas ${s.topic.minInsyncReplicas}`]);
    if (s.topic.warning) rows.push(['', '  warning', s.topic.warning]);
    for (const p of s.topic.partitions) rows.push(['', `  partition ${p.partition}`, `offsets ${p.low}..${p.high}`]);
  }
  if (s.doctor === null) rows.push(['doctor', '-', 'never run (cdr-bridge doctor)']);
  else {
    const d = s.doctor;
    rows.push(['doctor', d.key, `${d.fail} FAIL, ${d.warn} warn, ${d.ok} ok (by ${d.by} on ${d.host}, ${new Date(d.at).toISOString()})`]);
    for (const c of d.notOk) rows.push(['', `  ${c.verdict} ${c.name}`, c.found]);
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return `${rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`).join('\n')}\n`;
}
