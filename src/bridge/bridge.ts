// The bridge: the whole data path of a CDR, top to bottom —
//   take (fenced, a numbered batch) → decode/encode → publish in a Kafka transaction, with the
//   batch's number as the source's position → commit → ack (by position) in Redis.
// At every instant a CDR is in exactly one place: the source list (or its landing list), the
// processing list, the dead-letter list, or committed in Kafka and gone from Redis.
//
// This file composes the parts (Kafka Connect's seams) and holds the steady-state loop:
//   leader.ts              a term at a time: the lease, the one road back, backoff
//   leadership.ts          the lease kept while progress-watchdog.ts agrees
//   settlement.ts          fence, read the committed position, ack what Kafka has, publish the rest
//   transaction-writer.ts  begin / send / commit; transaction-boundary.ts decides when one closes
//   batch-encoding.ts      a taken batch, encoded (here or on the encode thread)

import type { Cdr } from '../codec/cdr';
import type { EncodeThread } from '../codec/encode-pool';
import type { Framer } from '../codec/framing';
import type { Logger } from '../log';
import type { KafkaSink } from '../sink/kafka-sink';
import type { Lease } from '../source/lease';
import type { ReliableList } from '../source/reliable-list';
import { BatchEncoding, type Taken } from './batch-encoding';
import { Failpoints, type Failpoint } from './failpoints';
import { Leader } from './leader';
import { Leadership } from './leadership';
import { silentObserver, type BridgeObserver } from './observer';
import { ProgressWatchdog } from './progress-watchdog';
import { RedisDataLoss } from './redis-data-loss';
import { Settlement } from './settlement';
import { TransactionBoundary } from './transaction-boundary';
import { TransactionWriter } from './transaction-writer';

export interface BridgeSettings {
  batchSize: number;
  takeBlockMs: number;
  maxPayloadBytes: number;
  kafkaKeyField: keyof Cdr;
  /** A transaction takes in further batches of a backlog up to this many CDRs... */
  transactionMaxRecords: number;
  /** ...and for at most this long. */
  transactionMaxMs: number;
  /** A leader with CDRs waiting and no commit or ack for this long stands down (progress-watchdog.ts). */
  progressTimeoutMs: number;
  failpoint?: Failpoint | undefined;
}

export interface BridgeParts {
  list: ReliableList;
  lease: Lease;
  sink: Pick<KafkaSink, 'connect' | 'init' | 'committedProgress' | 'begin' | 'send' | 'commit' | 'reset'>;
  /** Undefined where nothing is published (`replay --requeue`). */
  framer: Framer | undefined;
  /** ENCODE_THREAD: batches are decoded and encoded there instead of on this thread. */
  encodeThread?: Pick<EncodeThread, 'encode'> | undefined;
}

export interface LeaderParts {
  leader: Leader;
  settlement: Settlement;
  writer: TransactionWriter;
  encoding: BatchEncoding;
}

/** The leader's parts, wired: for the bridge, and for `replay`, which leads once and settles. */
export function composeLeader(parts: BridgeParts, settings: BridgeSettings, log: Logger, observer: BridgeObserver, stopSignal: AbortSignal): LeaderParts {
  const watchdog = new ProgressWatchdog(settings.progressTimeoutMs, () => parts.list.waiting());
  const leadership = new Leadership(
    parts.lease,
    log,
    () => observer.role('standby'),
    watchdog,
    (standDown) => {
      // A standby from this instant: what it had in flight fails now, with the producer dropped.
      observer.role('standby');
      observer.stoodDown(standDown);
    },
    () => parts.sink.reset(),
  );
  const progressed = (): void => watchdog.progressed();
  const leader = new Leader(leadership, parts, observer, log, stopSignal);
  const redisDataLoss = new RedisDataLoss(log, observer);
  const encoding = new BatchEncoding(settings, parts.framer, parts.encodeThread, (batch) => redisDataLoss.saw(batch));
  const writer = new TransactionWriter(parts, new TransactionBoundary(settings), new Failpoints(settings.failpoint, log), observer, log, progressed);
  const settlement = new Settlement(parts, encoding, writer, observer, log, stopSignal, progressed, redisDataLoss);
  return { leader, settlement, writer, encoding };
}

export class Bridge {
  private readonly stopSignal = new AbortController();
  private readonly leader: Leader;
  private readonly settlement: Settlement;
  private readonly writer: TransactionWriter;
  private readonly encoding: BatchEncoding;

  constructor(
    private readonly parts: BridgeParts,
    private readonly settings: BridgeSettings,
    private readonly log: Logger,
    private readonly observer: BridgeObserver = silentObserver,
  ) {
    ({ leader: this.leader, settlement: this.settlement, writer: this.writer, encoding: this.encoding } = composeLeader(parts, settings, log, observer, this.stopSignal.signal));
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
    await this.leader.run({ settle: () => this.settlement.settle(), stream: () => this.stream() });
  }

  /**
   * Steady state: take → encode → send in a transaction → commit → ack. During a backlog the
   * next batch is taken and encoded while this one is sent, and joins the same transaction while
   * the boundary allows; the ack of one transaction runs on Redis while the next is sent. One
   * send in flight (per-key order), acks in take order.
   */
  private async stream(): Promise<void> {
    const { writer } = this;
    let ahead: Promise<Taken | undefined> | undefined;
    let acking: Promise<void> = Promise.resolve();
    try {
      // Once stopping (or deposed) nothing new is taken, but a batch taken ahead is still delivered.
      while (this.mayTake() || ahead) {
        const first = await (ahead ?? this.takeNext());
        ahead = undefined;
        if (!first) continue;
        const txn: Taken[] = [];
        await writer.begin();
        for (let batch: Taken | undefined = first; batch; ) {
          txn.push(batch);
          // A full batch means a backlog: take and encode the next one while this one is sent.
          if (batch.taken === this.settings.batchSize && this.mayTake()) ahead = this.takeAhead();
          // Whether this is the transaction's last batch is known before it is sent, so the last
          // send carries the position (a batch taken ahead that turns out empty leaves it to the commit).
          const more = writer.boundary.takesMoreAfter(batch, ahead !== undefined);
          await writer.send(batch, !more);
          batch = more ? await ahead : undefined;
          if (more) ahead = undefined;
        }
        await writer.commit(txn);
        const previous = acking;
        acking = previous.then(() => this.settlement.ack(txn)).then(() => undefined);
      }
    } finally {
      // A committed transaction leaves the processing list before lead() does (unless Redis is
      // down and we stop: then the next leader acks it, knowing from Kafka that it is in).
      await acking;
      // A batch taken ahead and never sent is in the processing list: settlement deals with it.
      await ahead?.catch(() => undefined);
    }
  }

  private mayTake(): boolean {
    return !this.stopping && this.parts.lease.isHeld();
  }

  /** The next batch (blocking up to takeBlockMs when none waits), encoded; undefined when none came. */
  private async takeNext(): Promise<Taken | undefined> {
    const { list, lease } = this.parts;
    const batch = await list.take(this.settings.batchSize, this.settings.takeBlockMs, lease.token);
    return batch && this.encoding.encode(batch, list.session);
  }

  /** The next batch if one waits now (never blocks), encoded. */
  private takeAhead(): Promise<Taken | undefined> {
    const { list, lease } = this.parts;
    const next = list.takeReady(this.settings.batchSize, lease.token).then((b) => b && this.encoding.encode(b, list.session));
    // Handled even if the loop ends first: its items stay in the processing list for the settlement.
    next.catch(() => undefined);
    return next;
  }
}
