// The bridge: the whole data path of a CDR, top to bottom —
//   take (fenced, a numbered batch) → decode/encode → publish in a Kafka transaction, with the
//   batch's number as the source's position → commit → ack (by position) in Redis.
// At every instant a CDR is in exactly one place: the source list (or its landing list), the
// processing list, the dead-letter list, or committed in Kafka and gone from Redis.

import type { Framer } from '../codec/framing';
import type { Cdr } from '../codec/cdr';
import type { EncodeThread } from '../codec/encode-pool';
import { EncodeThreadError, FencedError, NotLeaderError, PublishError, TakeUncertainError } from '../errors';
import type { Logger } from '../log';
import type { KafkaSink } from '../sink/kafka-sink';
import type { Progress } from '../sink/progress';
import type { Lease } from '../source/lease';
import { isRedisFailure } from '../source/redis-condition';
import type { Batch, BatchRefusal, ReliableList } from '../source/reliable-list';
import { backoffMs, pause } from './backoff';
import { encodeBatch, type EncodedBatch } from './encode-batch';
import { Failpoints, type Failpoint } from './failpoints';
import { Leadership } from './leadership';
import { silentObserver, type BridgeObserver } from './observer';
import { RedisDataLoss } from './redis-data-loss';

export interface BridgeSettings {
  batchSize: number;
  takeBlockMs: number;
  maxPayloadBytes: number;
  kafkaKeyField: keyof Cdr;
  /** A transaction takes in further batches of a backlog up to this many CDRs... */
  transactionMaxRecords: number;
  /** ...and for at most this long. */
  transactionMaxMs: number;
  failpoint?: Failpoint | undefined;
}

export interface BridgeParts {
  list: ReliableList;
  lease: Lease;
  sink: Pick<KafkaSink, 'connect' | 'init' | 'committedProgress' | 'begin' | 'send' | 'commit' | 'reset'>;
  framer: Framer;
  /** ENCODE_THREAD: batches are decoded and encoded there instead of on this thread. */
  encodeThread?: Pick<EncodeThread, 'encode'> | undefined;
}

/** What settling the processing list did, in CDRs. */
export interface Settled {
  cdrs: number;
  alreadyInKafka: number;
  published: number;
  deadLettered: number;
  /** Not settled, when asked to leave them (replay hands them back to the source). */
  left: number;
}

/** A batch as taken (its number, its list) and as encoded, with the Redis session it was taken in. */
type Taken = EncodedBatch & { seq: number; listId: string; session: number };

export class Bridge {
  private readonly stopSignal = new AbortController();
  private readonly leadership: Leadership;
  private readonly failpoints: Failpoints;
  private durabilityChecked = false;
  private readonly redisDataLoss: RedisDataLoss;

  constructor(
    private readonly parts: BridgeParts,
    private readonly settings: BridgeSettings,
    private readonly log: Logger,
    private readonly observer: BridgeObserver = silentObserver,
  ) {
    this.leadership = new Leadership(parts.lease, log, () => observer.role('standby'));
    this.failpoints = new Failpoints(settings.failpoint, log);
    this.redisDataLoss = new RedisDataLoss(log, observer);
  }

  get stopped(): boolean {
    return this.stopping;
  }

  /** Aborts when stop() is called: lets start-up waits end early too. */
  get stopSignalOf(): AbortSignal {
    return this.stopSignal.signal;
  }

  private get stopping(): boolean {
    return this.stopSignal.signal.aborted;
  }

  /** Stop taking; run() commits and acks what it holds (unless Kafka is down), then resolves. */
  stop(): void {
    if (this.stopping) return;
    this.log.info('stop requested: finishing the transaction in flight');
    this.observer.role('stopping');
    this.stopSignal.abort();
  }

  /** Leads (or stands by) until stop(); never throws for an outage, only waits it out. */
  async run(): Promise<void> {
    while (!this.stopping) {
      if (!(await this.leadership.waitUntilLeader(this.stopSignal.signal))) break;
      this.observer.role('leader');
      this.leadership.startRenewing();
      try {
        await this.lead();
      } catch (err) {
        if (!(err instanceof NotLeaderError)) throw err;
        this.log.warn({ reason: err.message }, 'no longer the leader: what is in flight stays in the processing list for the next leader');
        if (err instanceof FencedError) {
          // Whoever fenced us initialised after us; let it (or the next winner) lead at once.
          this.observer.fenced();
          await this.parts.lease.release().catch(() => undefined);
        }
      } finally {
        this.leadership.stopRenewing();
        await this.parts.sink.reset();
      }
      if (!this.stopping) {
        this.observer.role('standby');
        this.log.warn('standing by');
      }
    }
    await this.leadership.release().catch((err: Error) => this.log.warn({ err: err.message }, 'could not release the lease; it will expire'));
    this.observer.role('stopped');
  }

  /**
   * The leader's loop. Every uncertain outcome (a Redis reply lost, a send or commit failed)
   * takes the same road back: drop the producer, then resync — fence and settle what is in
   * flight from what Kafka has committed — and go on.
   */
  private async lead(): Promise<void> {
    let failing: FailedSide | undefined;
    let failedAt = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.resync();
        // A resync proves Kafka works, not Redis: a replica answers its reads and refuses the
        // take. The end of a Redis condition is said by the condition watch instead.
        if (failing !== undefined && failing !== 'redis') {
          this.log.info({ attempts: attempt + 1 }, 'kafka is back: what was in flight is settled, taking again');
          failing = undefined;
        }
        if (failing === undefined) attempt = 0;
        this.observer.kafkaUp(true);
        await this.stream();
        return;
      } catch (err) {
        if (err instanceof NotLeaderError) throw err;
        const side = failedSide(err);
        // Redis failures a minute apart are two outages, each said once.
        if (failing === 'redis' && Date.now() - failedAt > 60_000) {
          failing = undefined;
          attempt = 0;
        }
        if (failing !== side) {
          // Either way the same road back; the words tell the operator which side failed.
          const what = { kafka: err instanceof PublishError ? 'kafka publish failed' : 'kafka request failed', encoding: 'encoding failed', redis: 'redis command failed' }[side];
          this.log.warn({ err: (err as Error).message }, `${what}: taking nothing new; once it works again, what is in flight is settled from what Kafka committed`);
        }
        failing = side;
        failedAt = Date.now();
        // Only Kafka's failures are Kafka's: Redis's show as Redis (the connection and the
        // condition watch speak for it in cdr_bridge_redis_up and /readyz).
        if (side === 'kafka') this.observer.kafkaUp(false);
        this.observer.retried(side === 'redis' ? 'take' : 'publish');
        await this.parts.sink.reset();
        await pause(backoffMs(attempt, 200, 10000), this.stopSignal.signal);
        if (this.stopping) {
          this.log.warn('stopping during an outage: what is in flight stays in the processing list for the next leader');
          return;
        }
      }
    }
  }

  /**
   * Fences every earlier producer (Kafka now refuses a zombie leader), reads the committed
   * position, and settles the processing list: batches Kafka has are acked, the rest published.
   */
  private async resync(publishRest = true): Promise<Settled> {
    const { sink, list } = this.parts;
    this.checkLease('before initialising the producer');
    const durability = await sink.connect();
    if (durability.warning && !this.durabilityChecked) this.log.warn(durability.warning);
    this.durabilityChecked = true;
    await sink.init();
    const progress = await sink.committedProgress();
    this.redisDataLoss.check(progress, await list.listId());
    const adopted = await list.adoptUnrecorded();
    if (adopted > 0) this.log.warn({ count: adopted }, 'items in the processing list had no batch record (left by an older version?): put back on the source list to be taken again');
    const session = list.session;
    const batches = await Promise.all((await list.inFlight()).map((b) => this.encode(b, session)));
    const settled: Settled = { cdrs: 0, alreadyInKafka: 0, published: 0, deadLettered: 0, left: 0 };
    if (batches.length === 0) return settled;
    const known = batches.filter((b) => isCommitted(b, progress));
    const rest = batches.slice(known.length);
    const cdrs = batches.reduce((n, b) => n + b.taken, 0);
    const alreadyInKafka = known.reduce((n, b) => n + b.taken, 0);
    this.log.info({ batches: batches.length, cdrs, alreadyInKafka, committedSeq: progress?.seq }, 'settling what was in flight');
    settled.cdrs = cdrs;
    settled.alreadyInKafka = alreadyInKafka;
    if (known.length > 0) settled.deadLettered += await this.ack(known);
    if (!publishRest) {
      settled.left = cdrs - alreadyInKafka;
      return settled;
    }
    for (let i = 0; i < rest.length; ) {
      const txn: Taken[] = [];
      for (let records = 0; i < rest.length && (txn.length === 0 || records + rest[i]!.taken <= this.settings.transactionMaxRecords); i++) {
        txn.push(rest[i]!);
        records += rest[i]!.taken;
      }
      await sink.begin();
      for (const batch of txn) await this.send(batch, batch === txn[txn.length - 1]);
      await this.commit(txn);
      settled.deadLettered += await this.ack(txn);
      settled.published += txn.reduce((n, b) => n + b.messages.length, 0);
    }
    this.observer.recovered(cdrs, alreadyInKafka);
    return settled;
  }

  /**
   * For `replay`: leads once. Takes the lease (`force`: even from a live leader, which Redis and
   * then Kafka fence), settles the processing list as a new leader would — acks what Kafka has,
   * publishes the rest when `publish` — then runs `after` still holding the lease, and releases it.
   */
  async settleOnce(opts: { force: boolean; publish: boolean }, after?: () => Promise<void>): Promise<Settled> {
    const { lease } = this.parts;
    if (opts.force) await lease.seize();
    else if (!(await lease.tryAcquire())) throw new NotLeaderError('a bridge holds the lease');
    this.leadership.startRenewing();
    try {
      const settled = await this.resync(opts.publish);
      this.checkLease('before handing the rest back');
      await after?.();
      return settled;
    } finally {
      this.leadership.stopRenewing();
      await this.parts.sink.reset();
      await this.leadership.release().catch(() => undefined);
    }
  }

  /**
   * Steady state: take → encode → send in a transaction → commit → ack. During a backlog the
   * next batch is taken and encoded while this one is sent, and joins the same transaction until
   * it holds transactionMaxRecords or is transactionMaxMs old; the ack of one transaction runs on
   * Redis while the next is sent. One send in flight (per-key order), acks in take order.
   */
  private async stream(): Promise<void> {
    const { sink } = this.parts;
    let ahead: Promise<Taken | undefined> | undefined;
    let acking: Promise<void> = Promise.resolve();
    try {
      // Once stopping (or deposed) nothing new is taken, but a batch taken ahead is still delivered.
      while (this.mayTake() || ahead) {
        const first = await (ahead ?? this.takeNext());
        ahead = undefined;
        if (!first) continue;
        const txn: Taken[] = [];
        const opened = Date.now();
        let records = 0;
        await sink.begin();
        for (let batch: Taken | undefined = first; batch; ) {
          txn.push(batch);
          records += batch.taken;
          // A full batch means a backlog: take and encode the next one while this one is sent.
          if (batch.taken === this.settings.batchSize && this.mayTake()) ahead = this.takeAhead();
          // Whether this is the transaction's last batch is known before it is sent, so the last
          // send carries the position (a batch taken ahead that turns out empty leaves it to the commit).
          const room = records < this.settings.transactionMaxRecords && Date.now() - opened < this.settings.transactionMaxMs;
          await this.send(batch, !(ahead && room));
          batch = ahead && room ? await ahead : undefined;
          if (room) ahead = undefined;
        }
        await this.commit(txn);
        const previous = acking;
        acking = previous.then(() => this.ack(txn)).then(() => undefined);
      }
    } finally {
      // A committed transaction leaves the processing list before lead() does (unless Redis is
      // down and we stop: then the next leader acks it, knowing from Kafka that it is in).
      await acking;
      // A batch taken ahead and never sent is in the processing list: resync settles it.
      await ahead?.catch(() => undefined);
    }
  }

  private mayTake(): boolean {
    return !this.stopping && this.parts.lease.isHeld();
  }

  private checkLease(when: string): void {
    if (!this.parts.lease.isHeld()) throw new NotLeaderError(`lease lapsed ${when}`);
  }

  /** The next batch (blocking up to takeBlockMs when none waits), encoded; undefined when none came. */
  private async takeNext(): Promise<Taken | undefined> {
    const { list, lease } = this.parts;
    const batch = await list.take(this.settings.batchSize, this.settings.takeBlockMs, lease.token);
    return batch && this.encode(batch, list.session);
  }

  /** The next batch if one waits now (never blocks), encoded. */
  private takeAhead(): Promise<Taken | undefined> {
    const { list, lease } = this.parts;
    const next = list.takeReady(this.settings.batchSize, lease.token).then((b) => b && this.encode(b, list.session));
    // Handled even if the loop ends first: its items stay in the processing list for resync.
    next.catch(() => undefined);
    return next;
  }

  private async encode(batch: Batch, session: number): Promise<Taken> {
    const { encodeThread, framer } = this.parts;
    const encoded = encodeThread ? await encodeThread.encode(batch.items, batch.takenAt, framer) : encodeBatch(batch.items, batch.takenAt, framer, this.settings);
    this.redisDataLoss.saw({ listId: batch.listId, seq: batch.seq, taken: batch.items.length });
    return { ...encoded, seq: batch.seq, listId: batch.listId, session };
  }

  /**
   * Sends a batch inside the open transaction, once Redis replicas (if required) hold its take;
   * the transaction's `last` batch carries the position with it.
   */
  private async send(batch: Taken, last: boolean): Promise<void> {
    await this.untilReplicated(batch.session);
    this.checkLease('before sending');
    this.failpoints.reach('stop-before-send');
    if (batch.messages.length > 0) await this.parts.sink.send(batch.messages, last ? { listId: batch.listId, seq: batch.seq } : undefined);
  }

  /** Commits the open transaction with the last batch's position: all of it becomes visible at once. */
  private async commit(txn: readonly Taken[]): Promise<void> {
    const last = txn[txn.length - 1]!;
    this.checkLease('before committing');
    this.failpoints.reach('stop-before-commit');
    const started = Date.now();
    await this.parts.sink.commit({ listId: last.listId, seq: last.seq });
    this.failpoints.reach('crash-after-commit');
    const done = Date.now();
    for (const batch of txn) this.observer.published(batch.messages.length, done - started, done - batch.takenAt);
    this.observer.committed();
  }

  /** Holds a batch until Redis replicas have its take (off unless REDIS_WAIT_REPLICAS > 0). */
  private async untilReplicated(session: number): Promise<void> {
    for (let waited = false; ; waited = true) {
      this.checkLease('while waiting for Redis replicas');
      if (await this.parts.list.replicated(session)) {
        if (waited) this.log.info('redis replicas caught up: publishing');
        return;
      }
      if (!waited) this.log.warn('redis replicas have not confirmed the take: holding the batch until they do');
      this.observer.retried('take');
    }
  }

  /**
   * Acks committed batches until Redis answers. Gives up only when stopping or deposed: Kafka
   * has these batches and says so, so whoever leads next acks them without sending them again.
   */
  private async ack(txn: readonly Taken[]): Promise<number> {
    const last = txn[txn.length - 1]!;
    const refused: BatchRefusal[] = [];
    for (const batch of txn) for (const r of batch.refused) refused.push({ ...r, seq: batch.seq });
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.parts.list.ack(last.listId, last.seq, refused);
        if (result.deadLettered > 0) {
          this.observer.deadLettered(result.deadLettered);
          this.log.warn({ count: result.deadLettered, first: refused[0]?.reason }, 'dead-lettered undecodable CDRs');
        }
        if (attempt > 0) this.log.info('ack works again');
        return result.deadLettered;
      } catch (err) {
        if (attempt === 0) this.log.warn({ err: (err as Error).message }, 'ack failed; retrying (the batch is committed in Kafka)');
        this.observer.retried('ack');
        if (this.stopping || !this.parts.lease.isHeld()) return 0;
        await pause(backoffMs(attempt), this.stopSignal.signal);
      }
    }
  }
}

type FailedSide = 'kafka' | 'redis' | 'encoding';

/** Which side an uncertain outcome came from; anything not Redis's nor the encoder's is Kafka's. */
function failedSide(err: unknown): FailedSide {
  if (err instanceof EncodeThreadError) return 'encoding';
  if (err instanceof TakeUncertainError || isRedisFailure(err)) return 'redis';
  return 'kafka';
}

/** Kafka has this batch: its position is at or before the committed one, in the same list. */
function isCommitted(batch: Taken, progress: Progress | undefined): boolean {
  return progress !== undefined && batch.listId === progress.listId && batch.seq <= progress.seq;
}
