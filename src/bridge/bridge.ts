// The bridge: the whole data path of a CDR, top to bottom —
//   take (Redis list → processing list) → decode → encode → publish (Kafka, confirmed) → ack.
// At every instant a CDR is in exactly one place: the source list, the processing list, the
// dead-letter list, or confirmed in Kafka and gone from Redis.

import type { Framer } from '../codec/framing';
import type { Cdr } from '../codec/cdr';
import { NotLeaderError } from '../errors';
import type { Logger } from '../log';
import type { KafkaSink, OutMessage } from '../sink/kafka-sink';
import type { Lease } from '../source/lease';
import type { AckResult, Refused, ReliableList } from '../source/reliable-list';
import { backoffMs, pause } from './backoff';
import { encodeBatch, type EncodedBatch } from './encode-batch';
import { Leadership } from './leadership';
import { silentObserver, type BridgeObserver } from './observer';

export interface BridgeSettings {
  batchSize: number;
  takeBlockMs: number;
  maxPayloadBytes: number;
  kafkaKeyField: keyof Cdr;
}

export interface BridgeParts {
  list: ReliableList;
  lease: Lease;
  /** What the bridge uses of the sink (the benchmark also runs it on another Kafka client). */
  sink: Pick<KafkaSink, 'connect' | 'publish' | 'recentIds' | 'reset'>;
  framer: Framer;
}

/** An encoded batch and the Redis session it was taken in. */
type TakenBatch = EncodedBatch & { session: number };

/** An ack under way, and how many items the loop held in flight besides its batch. */
interface PendingAck {
  result: Promise<AckResult>;
  held: Promise<number>;
}

export class Bridge {
  private readonly stopSignal = new AbortController();
  private readonly leadership: Leadership;

  constructor(
    private readonly parts: BridgeParts,
    private readonly settings: BridgeSettings,
    private readonly log: Logger,
    private readonly observer: BridgeObserver = silentObserver,
  ) {
    this.leadership = new Leadership(parts.lease, log, () => observer.role('standby'));
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

  /** Stop taking; run() finishes and acks the batch in flight, then resolves. */
  stop(): void {
    if (this.stopping) return;
    this.log.info('stop requested: finishing the batch in flight');
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
        this.log.warn({ reason: err.message }, 'no longer the leader: batch left in the processing list for the next leader');
      } finally {
        this.leadership.stopRenewing();
      }
      if (!this.stopping) {
        this.observer.role('standby');
        this.log.warn('lease lapsed: standing by');
      }
    }
    await this.leadership.release().catch((err: Error) => this.log.warn({ err: err.message }, 'could not release the lease; it will expire'));
    this.observer.role('stopped');
  }

  /** The leader's loop: recover what is in flight, then take and deliver batch after batch. */
  private async lead(): Promise<void> {
    const { list, lease } = this.parts;
    let recoverFirst = true;
    let failing = false;
    let attempt = 0;
    // The next batch, taken and encoded while the current one is published (see below). Never
    // set while recoverFirst is: recover() must not see items this loop still holds.
    let ahead: Promise<TakenBatch> | undefined;
    // The ack of the batch just confirmed, still running on Redis while the next batch is
    // published (acks stay in take order: each is awaited before the next is sent).
    let acking: PendingAck | undefined;
    try {
      // Once stopping (or deposed) nothing new is taken, but a batch taken ahead is still delivered.
      while ((!this.stopping && lease.isHeld()) || ahead) {
        try {
          if (recoverFirst) {
            if (acking) await this.settle(acking); // recover() reads the list: no ack may be running
            acking = undefined;
            await this.recover();
            recoverFirst = false;
          }
          let batch: TakenBatch;
          if (ahead) {
            batch = await ahead;
          } else {
            // A blocking take runs on its own connection: let the ack finish first, so its count
            // of what remains in flight is not blurred by this take.
            if (acking && (await this.settle(acking))) {
              acking = undefined;
              recoverFirst = true;
              continue;
            }
            acking = undefined;
            batch = this.encode(await list.take(this.settings.batchSize, this.settings.takeBlockMs, lease.token));
          }
          ahead = undefined;
          if (batch.taken > 0) {
            // A full batch means a backlog: take and encode the next one while the broker confirms
            // this one, so Redis and this process work meanwhile. Still one send in flight, acks in
            // take order. A short batch means the list was drained: the take after the ack sees more.
            // The take ahead goes after the previous batch's ack on the same connection, so that
            // ack's count of what remains does not include it.
            if (batch.taken === this.settings.batchSize && !this.stopping) ahead = this.takeAhead();
            await this.publishBatch(batch);
            if (acking && (await this.settle(acking))) {
              // A deposed leader's BLMOVE landed an item: ack the batch in hand, deliver the one
              // taken ahead, then recover the stray.
              acking = undefined;
              await this.settle(this.ackBatch(batch, 0));
              if (ahead) {
                const next = await ahead;
                await this.publishBatch(next);
                await this.settle(this.ackBatch(next, 0));
              }
              ahead = undefined;
              recoverFirst = true;
              continue;
            }
            acking = this.ackBatch(batch, ahead);
          } else {
            // Idle: the moment to notice a stray that landed after our last ack.
            recoverFirst = (await list.inFlightCount()) > 0;
          }
          if (failing) {
            failing = false;
            attempt = 0;
            this.log.info('redis commands work again');
          }
        } catch (err) {
          if (err instanceof NotLeaderError) throw err;
          // A reconnecting client can reject a command whose effect is unknown (a take whose
          // reply was lost moved items all the same): recover the processing list before going on.
          if (!failing) this.log.warn({ err: (err as Error).message }, 'redis command failed; retrying, recovering anything in flight first');
          failing = true;
          // A batch taken ahead is in the processing list (or was never taken): recover() sees to it.
          ahead = undefined;
          recoverFirst = true;
          this.observer.retried('take');
          await pause(backoffMs(attempt++), this.stopSignal.signal);
        }
      }
    } finally {
      // Whatever ends the loop, a confirmed batch leaves the processing list before lead() does.
      if (acking) await this.settle(acking);
    }
  }

  /**
   * Starts the ack of a confirmed batch. `ahead` is the batch taken after it and before the
   * ack (on the same connection), whose items may rightly remain in flight.
   */
  private ackBatch(batch: TakenBatch, ahead: Promise<TakenBatch> | number | undefined): PendingAck {
    const result = this.ack(batch.published, batch.refused).then((r) => {
      if (batch.refused.length > 0) {
        this.observer.deadLettered(r.deadLettered);
        this.log.warn({ count: batch.refused.length, first: batch.refused[0]?.reason }, 'dead-lettered undecodable CDRs');
      }
      return r;
    });
    const held = typeof ahead === 'number' ? Promise.resolve(ahead) : ahead ? ahead.then((b) => b.taken, () => 0) : Promise.resolve(0);
    return { result, held };
  }

  /** Waits for an ack; true when more remains in flight than this loop holds (a stray). */
  private async settle(pending: PendingAck): Promise<boolean> {
    const [{ remaining }, held] = await Promise.all([pending.result, pending.held]);
    return remaining > held;
  }

  /**
   * Publishes whatever the processing list holds — a previous run's batch, or strays — before
   * anything new. Items the topic already has (the crash came after the broker confirmed)
   * are acked without a second copy.
   */
  private async recover(): Promise<void> {
    const items = await this.parts.list.inFlight();
    const session = this.parts.list.session;
    if (items.length === 0) return;
    const known = await this.readBack(items.length);
    this.log.info({ count: items.length, alreadyInKafka: known.size }, 'recovering CDRs left in flight');
    let skipped = 0;
    for (let i = 0; i < items.length; i += this.settings.batchSize) {
      const result = await this.deliver(this.encode(items.slice(i, i + this.settings.batchSize), session), known);
      skipped += result.skipped;
    }
    this.observer.recovered(items.length, skipped);
  }

  /** decode → encode, for a batch just taken (in the Redis session it was taken in). */
  private encode(raws: Buffer[], session = this.parts.list.session): TakenBatch {
    return { ...encodeBatch(raws, Date.now(), this.parts.framer, this.settings), session };
  }

  /** The next batch: what waits now (never blocks; empty when nothing does), encoded. */
  private takeAhead(): Promise<TakenBatch> {
    const next = this.parts.list.takeReady(this.settings.batchSize, this.parts.lease.token).then((raws) => this.encode(raws));
    // Handled even if the loop ends first (deposed): its items stay in the processing list for recovery.
    next.catch(() => undefined);
    return next;
  }

  /** publish → ack for one encoded batch, oldest first (recovery: nothing overlaps). */
  private async deliver(batch: TakenBatch, alreadyInKafka?: Set<string>): Promise<{ skipped: number }> {
    const skipped = await this.publishBatch(batch, alreadyInKafka);
    await this.ackBatch(batch, 0).result;
    return { skipped };
  }

  /** Publishes what of a batch the topic does not already hold; returns how many it skipped. */
  private async publishBatch(batch: TakenBatch, alreadyInKafka?: Set<string>): Promise<number> {
    const fresh = alreadyInKafka ? batch.messages.filter((m) => !alreadyInKafka.has(m.cdrId)) : batch.messages;
    if (fresh.length > 0) {
      await this.untilReplicated(batch.session);
      await this.publishConfirmed(fresh, batch.takenAt);
    }
    return batch.messages.length - fresh.length;
  }

  /** Holds the batch until Redis replicas have its take (off unless REDIS_WAIT_REPLICAS > 0). */
  private async untilReplicated(session: number): Promise<void> {
    for (let waited = false; ; waited = true) {
      if (!this.parts.lease.isHeld()) throw new NotLeaderError('lease lapsed while waiting for Redis replicas');
      if (await this.parts.list.replicated(session)) {
        if (waited) this.log.info('redis replicas caught up: publishing');
        return;
      }
      if (!waited) this.log.warn('redis replicas have not confirmed the take: holding the batch until they do');
      this.observer.retried('take');
    }
  }

  /**
   * Sends until the broker confirms. One batch is in flight at a time: kafkajs's idempotent
   * producer breaks under concurrent sends (tulios/kafkajs#598), and it keeps per-key order.
   * After a failed send its outcome is unknown, so the next attempt first reads back the topic
   * and drops what arrived.
   */
  private async publishConfirmed(messages: OutMessage[], takenAt: number): Promise<void> {
    const { sink, lease } = this.parts;
    let pending = messages;
    for (let attempt = 0; ; attempt++) {
      // A deposed leader must not publish: the new leader is recovering these very items.
      if (!lease.isHeld()) throw new NotLeaderError('lease lapsed before the batch was confirmed');
      try {
        if (attempt > 0) {
          await sink.connect();
          const known = await sink.recentIds(pending.length + this.settings.batchSize);
          pending = pending.filter((m) => !known.has(m.cdrId));
        }
        const started = Date.now();
        if (pending.length > 0) await sink.publish(pending);
        const done = Date.now();
        this.observer.published(pending.length, done - started, pending.map(() => done - takenAt));
        if (attempt > 0) {
          this.observer.kafkaUp(true);
          this.log.info({ attempts: attempt + 1 }, 'kafka is back: batch confirmed');
        }
        return;
      } catch (err) {
        if (attempt === 0) {
          this.observer.kafkaUp(false);
          this.log.warn({ err: (err as Error).message, batch: pending.length }, 'kafka publish failed: holding the batch and taking nothing new; retrying');
        }
        this.observer.retried('publish');
        await sink.reset();
        await pause(backoffMs(attempt, 200, 10000), undefined);
      }
    }
  }

  private async readBack(count: number): Promise<Set<string>> {
    for (let attempt = 0; ; attempt++) {
      if (!this.parts.lease.isHeld()) throw new NotLeaderError('lease lapsed while reading back the topic');
      try {
        await this.parts.sink.connect();
        return await this.parts.sink.recentIds(count + this.settings.batchSize);
      } catch (err) {
        if (attempt === 0) this.log.warn({ err: (err as Error).message }, 'cannot read back the topic yet; retrying');
        this.observer.retried('connect');
        await pause(backoffMs(attempt, 200, 10000));
      }
    }
  }

  /** Acks until Redis answers: the batch is in Kafka, so it must leave the processing list. */
  private async ack(published: Buffer[], refused: Refused[]): Promise<AckResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.parts.list.ack(published, refused);
      } catch (err) {
        if (attempt === 0) this.log.warn({ err: (err as Error).message }, 'ack failed; retrying (the batch is already in Kafka)');
        this.observer.retried('ack');
        await pause(backoffMs(attempt));
      }
    }
  }
}
