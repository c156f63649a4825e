// Settlement: how any leader starts, and what `replay` does — fence every earlier producer
// (Kafka then refuses a zombie), read the position Kafka committed, ack the batches in flight
// that Kafka has, then publish the rest (`replay --requeue` hands it back instead). Also the
// ack of a committed transaction, retried until Redis answers: Kafka has the batches and says so.

import type { Logger } from '../log';
import type { KafkaSink } from '../sink/kafka-sink';
import type { Progress } from '../sink/progress';
import type { Lease } from '../source/lease';
import type { Batch, BatchRefusal, ReliableList } from '../source/reliable-list';
import { backoffMs, pause } from './backoff';
import type { BatchEncoding, Taken } from './batch-encoding';
import type { BridgeObserver } from './observer';
import type { RedisDataLoss } from './redis-data-loss';
import type { TransactionWriter } from './transaction-writer';

/** What settling the processing list did, in CDRs. */
export interface Settled {
  cdrs: number;
  alreadyInKafka: number;
  published: number;
  deadLettered: number;
  /** Still in the processing list, not in Kafka (replay may hand them back to the source). */
  left: number;
}

/** What fence() found Kafka lacks: batches still in the processing list. */
export interface Unsettled {
  settled: Settled;
  rest: Batch[];
  session: number;
}

export interface SettlementParts {
  sink: Pick<KafkaSink, 'connect' | 'init' | 'committedProgress'>;
  list: Pick<ReliableList, 'adoptUnrecorded' | 'inFlight' | 'ack' | 'session' | 'listId'>;
  lease: Pick<Lease, 'isHeld'>;
}

export class Settlement {
  private durabilityChecked = false;

  constructor(
    private readonly parts: SettlementParts,
    private readonly encoding: BatchEncoding,
    private readonly writer: TransactionWriter,
    private readonly observer: BridgeObserver,
    private readonly log: Logger,
    private readonly stopSignal: AbortSignal,
    /** An ack is progress (the watchdog's word). */
    private readonly progressed: () => void,
    private readonly redisDataLoss: RedisDataLoss,
  ) {}

  /**
   * Fences, reads the committed position, and acks the batches in flight that Kafka has.
   * Returns what that settled, and the batches Kafka lacks, still in the processing list.
   */
  async fence(): Promise<Unsettled> {
    const { sink, list } = this.parts;
    this.writer.checkLease('before initialising the producer');
    const durability = await sink.connect();
    if (durability.warning && !this.durabilityChecked) this.log.warn(durability.warning);
    this.durabilityChecked = true;
    await sink.init(() => this.writer.checkLease('before initialising the producer, Kafka reached'));
    const position = await sink.committedProgress();
    this.redisDataLoss.check(position, await list.listId());
    const adopted = await list.adoptUnrecorded();
    if (adopted > 0) this.log.warn({ count: adopted }, 'items in the processing list had no batch record (left by an older version?): put back on the source list to be taken again');
    const session = list.session;
    const batches = await list.inFlight();
    const settled: Settled = { cdrs: 0, alreadyInKafka: 0, published: 0, deadLettered: 0, left: 0 };
    if (batches.length === 0) return { settled, rest: [], session };
    const known = batches.filter((b) => isCommitted(b, position)).map((b) => this.encoding.acked(b, session));
    settled.cdrs = batches.reduce((n, b) => n + b.items.length, 0);
    settled.alreadyInKafka = known.reduce((n, b) => n + b.taken, 0);
    settled.left = settled.cdrs - settled.alreadyInKafka;
    this.log.info({ batches: batches.length, cdrs: settled.cdrs, alreadyInKafka: settled.alreadyInKafka, committedSeq: position?.seq }, 'settling what was in flight');
    if (known.length > 0) settled.deadLettered += await this.ack(known);
    return { settled, rest: batches.slice(known.length), session };
  }

  /** Publishes what fence() left (in as few transactions as the boundary allows) and acks it. */
  async publish({ settled, rest, session }: Unsettled): Promise<Settled> {
    if (settled.cdrs === 0) return settled;
    const encoded = await Promise.all(rest.map((b) => this.encoding.encode(b, session)));
    await this.writer.writeAll(encoded, async (txn) => {
      settled.deadLettered += await this.ack(txn);
      settled.published += txn.reduce((n, b) => n + b.messages.length, 0);
    });
    settled.left = 0;
    this.observer.recovered(settled.cdrs, settled.alreadyInKafka);
    return settled;
  }

  /** What a new leader does first: fence, ack what Kafka has, publish the rest. */
  async settle(): Promise<Settled> {
    return this.publish(await this.fence());
  }

  /**
   * Acks committed batches until Redis answers. Gives up only when stopping or deposed: Kafka
   * has these batches and says so, so whoever leads next acks them without sending them again.
   */
  async ack(txn: readonly Taken[]): Promise<number> {
    const last = txn[txn.length - 1]!;
    const refused: BatchRefusal[] = [];
    for (const batch of txn) for (const r of batch.refused) refused.push({ ...r, seq: batch.seq });
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.parts.list.ack(last.listId, last.seq, refused);
        this.progressed();
        if (result.deadLettered > 0) {
          this.observer.deadLettered(result.deadLettered);
          this.log.warn({ count: result.deadLettered, first: refused[0]?.reason }, 'dead-lettered undecodable CDRs');
        }
        if (attempt > 0) this.log.info('ack works again');
        return result.deadLettered;
      } catch (err) {
        if (attempt === 0) this.log.warn({ err: (err as Error).message }, 'ack failed; retrying (the batch is committed in Kafka)');
        this.observer.retried('ack');
        if (this.stopSignal.aborted || !this.parts.lease.isHeld()) return 0;
        await pause(backoffMs(attempt), this.stopSignal);
      }
    }
  }
}

/** Kafka has this batch: its position is at or before the committed one, in the same list. */
function isCommitted(batch: { listId: string; seq: number }, position: Progress | undefined): boolean {
  return position !== undefined && batch.listId === position.listId && batch.seq <= position.seq;
}
