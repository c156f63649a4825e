// `cdr-bridge replay`: for CDRs stuck in the processing list after a bridge died and none is
// running. Lists them (--dry-run), moves them back to the source list so the next bridge takes
// them first (default), or publishes them to Kafka itself (--publish) and acks them.

import { isUtf8 } from 'node:buffer';
import { Command, Option } from 'commander';
import type Redis from 'ioredis';
import { encodeBatch } from '../../bridge/encode-batch';
import { MessageFraming } from '../../bridge/message-framing';
import { decodePayload } from '../../codec/decode-payload';
import type { Config } from '../../config/config';
import { redactUrl } from '../../config/settings';
import { OperationError } from '../../errors';
import { createLogger, type Logger } from '../../log';
import { KafkaSink } from '../../sink/kafka-sink';
import { InFlight } from '../../source/in-flight';
import { Lease, type LeaseHolder } from '../../source/lease';
import { ReliableList } from '../../source/reliable-list';
import { kafkaUnreachable, openRedis } from '../connections';
import { configOf, withSettings } from '../options';
import { Progress } from '../progress';
import { formatTable } from '../table';

/** Items moved per script call: keeps each atomic step short on a large processing list. */
const REQUEUE_CHUNK = 1000;
/** Smaller sets finish at once; a progress bar would only be noise. */
const PROGRESS_FROM = 1000;
/** How long --publish waits for a schema registry that does not answer (the bridge waits forever). */
const REGISTRY_WAIT_MS = 10_000;

interface ReplayOptions {
  dryRun?: boolean;
  publish?: boolean;
  force?: boolean;
  json?: boolean;
  progress: boolean;
}

export function replayCommand(): Command {
  return withSettings(new Command('replay'))
    .description('recover CDRs left in the processing list by a bridge that died: move them back to the source list (taken next, oldest first), or publish them to Kafka')
    .addOption(new Option('--dry-run', 'only list them, oldest first; change nothing'))
    .addOption(new Option('--publish', 'publish them to the topic (those undecodable to the dead-letter list) and remove them').conflicts('dryRun'))
    .option('--force', 'act even while a bridge holds the lease (it may be working on these very items)')
    .option('--json', 'print JSON for scripts')
    .option('--no-progress', 'no progress bar')
    .action(async (opts: ReplayOptions, cmd: Command) => {
      const config = configOf(cmd);
      const log = createLogger('error');
      const redis = await openRedis(config, 'cdr-bridge-replay', log);
      try {
        const inFlight = new InFlight(redis, { source: config.sourceKey, processing: config.processingKey });
        if (opts.dryRun) return await listInFlight(inFlight, redis, config, opts);
        const holder = await Lease.holder(redis, config.leaseKey);
        if (holder && !opts.force) {
          throw new OperationError('LEASE_HELD', `a bridge is running and holds the lease (${holderText(holder)}): the processing list is its batch in flight; stop it first, or pass --force`);
        }
        if (opts.publish) await publishInFlight(inFlight, redis, config, log, opts);
        else await requeueInFlight(inFlight, config, opts);
      } finally {
        redis.disconnect();
      }
    });
}

function holderText(holder: LeaseHolder): string {
  const expiry = holder.ttlMs >= 0 ? `lease expires in ${(holder.ttlMs / 1000).toFixed(1)} s` : 'lease never expires';
  return `${holder.host} pid ${holder.pid}, ${expiry}`;
}

async function listInFlight(inFlight: InFlight, redis: Redis, config: Config, opts: ReplayOptions): Promise<void> {
  const items = await inFlight.items();
  const now = Date.now();
  const rows = items.map((raw, position) => {
    const decoded = decodePayload(raw, now, { maxPayloadBytes: config.maxPayloadBytes });
    return { position, raw, decoded };
  });
  if (opts.json) {
    const out = rows.map(({ position, raw, decoded }) => ({
      position,
      size: raw.length,
      internal_call_ref: decoded.ok ? decoded.cdr.internal_call_ref : null,
      cdr_id: decoded.ok ? decoded.cdr.cdr_id : null,
      ...(decoded.ok ? { cdr: decoded.cdr } : { error: decoded.reason }),
      ...rawFields(raw),
    }));
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else if (rows.length === 0) {
    process.stdout.write(`nothing in flight in ${config.processingKey}\n`);
  } else {
    const table: string[][] = [['#', 'internal_call_ref', 'cdr_id', 'size']];
    for (const { position, raw, decoded } of rows) {
      table.push(decoded.ok
        ? [String(position), decoded.cdr.internal_call_ref, decoded.cdr.cdr_id, String(raw.length)]
        : [String(position), '-', '-', String(raw.length), `undecodable: ${decoded.reason}`]);
    }
    process.stdout.write(`${rows.length} CDRs in flight in ${config.processingKey}, oldest first:\n${formatTable(table)}`);
  }
  const holder = await Lease.holder(redis, config.leaseKey);
  if (holder) process.stderr.write(`cdr-bridge: note: a bridge holds the lease (${holderText(holder)}); these are its batch in flight\n`);
}

async function requeueInFlight(inFlight: InFlight, config: Config, opts: ReplayOptions): Promise<void> {
  let { moved, remaining } = await inFlight.requeue(REQUEUE_CHUNK);
  const progress = new Progress('replay', moved + remaining, opts.progress && !opts.json && moved + remaining >= PROGRESS_FROM);
  progress.update(moved);
  while (remaining > 0) {
    const step = await inFlight.requeue(REQUEUE_CHUNK);
    if (step.moved === 0) break;
    moved += step.moved;
    remaining = step.remaining;
    progress.update(moved);
  }
  process.stdout.write(opts.json
    ? `${JSON.stringify({ moved, from: config.processingKey, to: config.sourceKey })}\n`
    : moved === 0
      ? `nothing in flight in ${config.processingKey}\n`
      : `moved ${moved} CDRs from ${config.processingKey} back to ${config.sourceKey}: the bridge takes them next, oldest first\n`);
}

/**
 * Publishes as the bridge's recovery does: skips what the topic already holds (a crash after
 * the broker confirmed), encodes with the bridge's own encodeBatch, acks after each confirmed
 * batch — so stopping half-way leaves the rest in the processing list, nothing lost.
 */
async function publishInFlight(inFlight: InFlight, redis: Redis, config: Config, log: Logger, opts: ReplayOptions): Promise<void> {
  const items = await inFlight.items();
  // The list only acks here; it never takes, so it needs no separate blocking connection.
  const list = new ReliableList(redis, redis, { source: config.sourceKey, processing: config.processingKey, deadLetter: config.deadLetterKey, lease: config.leaseKey });
  const summary = { published: 0, alreadyInTopic: 0, deadLettered: 0, topic: config.kafkaTopic };
  if (items.length > 0) {
    const sink = new KafkaSink(config, log);
    try {
      const framer = await preparedFraming(config, log);
      await sink.connect().catch((err: unknown) => {
        throw kafkaUnreachable(config, err);
      });
      const known = await sink.recentIds(items.length);
      const progress = new Progress('replay', items.length, opts.progress && !opts.json && items.length >= PROGRESS_FROM);
      for (let i = 0; i < items.length; i += config.batchSize) {
        const batch = encodeBatch(items.slice(i, i + config.batchSize), Date.now(), framer, config);
        const fresh = batch.messages.filter((m) => !known.has(m.cdrId));
        try {
          if (fresh.length > 0) await sink.publish(fresh);
        } catch (err) {
          throw new OperationError('PUBLISH_FAILED', `publishing to ${config.kafkaTopic} failed after ${i} of ${items.length} CDRs (the rest stay in ${config.processingKey}): ${(err as Error).message}`);
        }
        const acked = await list.ack(batch.published, batch.refused);
        summary.published += fresh.length;
        summary.alreadyInTopic += batch.messages.length - fresh.length;
        summary.deadLettered += acked.deadLettered;
        progress.update(Math.min(i + config.batchSize, items.length));
      }
    } finally {
      await sink.disconnect().catch(() => undefined);
    }
  }
  process.stdout.write(opts.json
    ? `${JSON.stringify(summary)}\n`
    : items.length === 0
      ? `nothing in flight in ${config.processingKey}\n`
      : `published ${summary.published} CDRs to ${config.kafkaTopic} (${summary.alreadyInTopic} were already there), dead-lettered ${summary.deadLettered}, and removed them from ${config.processingKey}\n`);
}

/** The raw payload as text when it is UTF-8, else base64 (as a dead-letter envelope keeps it). */
function rawFields(raw: Buffer): { raw: string } | { raw_base64: string } {
  return isUtf8(raw) ? { raw: raw.toString('utf8') } : { raw_base64: raw.toString('base64') };
}

/** The framing `run` writes with (with a registry: the id under <topic>-value), or a clear failure. */
async function preparedFraming(config: Config, log: Logger): Promise<MessageFraming> {
  const framing = new MessageFraming(config, log);
  const giveUpAt = Date.now() + REGISTRY_WAIT_MS;
  let gaveUp = false;
  // prepare() retries an unreachable registry until told to stop; it returns settled otherwise.
  await framing.prepare(() => (gaveUp = Date.now() > giveUpAt));
  if (gaveUp) {
    throw new OperationError('REGISTRY_UNREACHABLE', `cannot reach the schema registry at ${redactUrl(config.schemaRegistryUrl ?? '')} within ${REGISTRY_WAIT_MS / 1000} s; nothing was published`);
  }
  return framing;
}
