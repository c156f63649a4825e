// `cdr-bridge replay`: for CDRs stuck in the processing list. Lists them (the default: nothing
// changes that was not shown first), moves them back to the source list so the next bridge takes
// them first (--requeue), or publishes them to Kafka itself (--publish). Acting, it leads once:
// it holds the lease and fences earlier producers, so no bridge works on the same items meanwhile.

import { isUtf8 } from 'node:buffer';
import { Command, Option } from 'commander';
import type Redis from 'ioredis';
import { composeLeader } from '../../bridge/bridge';
import { silentObserver } from '../../bridge/observer';
import type { Settled } from '../../bridge/settlement';
import { MessageFraming } from '../../bridge/message-framing';
import { decodePayload } from '../../codec/decode-payload';
import type { Config } from '../../config/config';
import { redactUrl } from '../../config/settings';
import { NotLeaderError, OperationError, PublishError } from '../../errors';
import { createLogger, type Logger } from '../../log';
import { KafkaSink } from '../../sink/kafka-sink';
import { InFlight } from '../../source/in-flight';
import { Lease, type LeaseHolder } from '../../source/lease';
import { ReliableList } from '../../source/reliable-list';
import { kafkaUnreachable, openRedis } from '../connections';
import { configOf, namedRedis, withSettings } from '../options';
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
  requeue?: boolean;
  publish?: boolean;
  force?: boolean;
  json?: boolean;
  progress: boolean;
}

export function replayCommand(): Command {
  return withSettings(new Command('replay'))
    .description('recover CDRs left in the processing list: list them (the default), move them back to the source list (--requeue; taken next, oldest first), or publish them to Kafka (--publish). Acting takes the leader lease and fences any earlier producer in Kafka; batches Kafka already committed are only removed, never sent again')
    .addOption(new Option('--dry-run', 'only list them, oldest first; change nothing (the default)'))
    .addOption(new Option('--requeue', 'move them back to the source list').conflicts(['dryRun', 'publish']))
    .addOption(new Option('--publish', 'publish them to the topic (those undecodable to the dead-letter list) and remove them').conflicts('dryRun'))
    .option('--force', 'take the lease even from a running bridge (Redis and Kafka then fence it; it stands by and leads again afterwards)')
    .option('--json', 'print JSON for scripts')
    .option('--no-progress', 'no progress bar')
    .action(async (opts: ReplayOptions, cmd: Command) => {
      // Listing reads; --requeue and --publish change Redis, so they need it named as `dlq` does.
      const config = configOf(cmd, opts.requeue || opts.publish ? namedRedis(`replay ${opts.requeue ? '--requeue' : '--publish'} moves CDRs out of the processing list`) : undefined);
      const log = createLogger('error');
      const redis = await openRedis(config, 'cdr-bridge-replay', log);
      try {
        const inFlight = new InFlight(redis, { source: config.sourceKey, processing: config.processingKey });
        if (!opts.publish && !opts.requeue) return await listInFlight(inFlight, redis, config, opts);
        const holder = await Lease.holder(redis, config.leaseKey);
        if (holder && !opts.force) {
          throw new OperationError('LEASE_HELD', `a bridge is running and holds the lease (${holderText(holder)}): the processing list is its batch in flight; stop it first, or pass --force to take the lease from it`);
        }
        await settleInFlight(inFlight, redis, config, log, opts);
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

async function requeueInFlight(inFlight: InFlight, opts: ReplayOptions): Promise<number> {
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
  return moved;
}

/**
 * Settles the processing list as a new leader does, holding the lease meanwhile: fences any
 * earlier producer, acks the batches Kafka committed (never sending them twice), then publishes
 * the rest in transactions (--publish) or moves it back to the source list (--requeue).
 */
async function settleInFlight(inFlight: InFlight, redis: Redis, config: Config, log: Logger, opts: ReplayOptions): Promise<void> {
  // The list only settles here; it never blocks, so it needs no separate blocking connection.
  const list = new ReliableList(redis, redis, { source: config.sourceKey, processing: config.processingKey, deadLetter: config.deadLetterKey, lease: config.leaseKey });
  const lease = new Lease(redis, config.leaseKey, config.leaseTtlMs);
  const sink = new KafkaSink(config, log);
  // Only --publish encodes; --requeue decodes for the dead-letter list alone, needing no registry.
  const framer = opts.publish ? await preparedFraming(config, log) : undefined;
  const { leader, settlement, writer } = composeLeader({ list, lease, sink, framer }, { ...config, failpoint: undefined }, log, silentObserver, new AbortController().signal);
  let moved = 0;
  try {
    await sink.connect().catch(async (err: unknown) => {
      throw await kafkaUnreachable(config, err);
    });
    // Leads once, settling the processing list as a new leader would, and hands the lease back.
    const settled = await leader.leadOnce(opts.force === true, async () => {
      const fenced = await settlement.fence();
      if (opts.publish) return settlement.publish(fenced);
      writer.checkLease('before handing the rest back');
      moved = await requeueInFlight(inFlight, opts);
      return fenced.settled;
    });
    const summary = opts.publish
      ? { published: settled.published, alreadyInTopic: settled.alreadyInKafka, deadLettered: settled.deadLettered, topic: config.kafkaTopic }
      : { moved, alreadyInTopic: settled.alreadyInKafka, from: config.processingKey, to: config.sourceKey };
    process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : settledText(settled, moved, config, opts));
  } catch (err) {
    if (err instanceof NotLeaderError) throw new OperationError('LEASE_HELD', `a bridge took the lease first (${err.message}); nothing was changed by replay — run it again with --force, or stop the bridge`);
    if (err instanceof PublishError) throw new OperationError('PUBLISH_FAILED', `publishing to ${config.kafkaTopic} failed; what was not committed stays in ${config.processingKey}: ${err.message}`);
    throw err;
  } finally {
    await sink.disconnect().catch(() => undefined);
  }
}

function settledText(settled: Settled, moved: number, config: Config, opts: ReplayOptions): string {
  if (settled.cdrs + moved === 0) return `nothing in flight in ${config.processingKey}\n`;
  if (opts.publish) {
    return `published ${settled.published} CDRs to ${config.kafkaTopic} (${settled.alreadyInKafka} were already there), dead-lettered ${settled.deadLettered}, and removed them from ${config.processingKey}\n`;
  }
  const known = settled.alreadyInKafka > 0 ? `${settled.alreadyInKafka} CDRs were already committed in ${config.kafkaTopic} and were removed; ` : '';
  return `${known}moved ${moved} CDRs from ${config.processingKey} back to ${config.sourceKey}: the bridge takes them next, oldest first\n`;
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
