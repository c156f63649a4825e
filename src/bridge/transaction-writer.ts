// The transaction writer: begin → send each batch → commit, one Kafka transaction at a time,
// with the last batch's position committed in it. Before every step it checks the lease (a
// deposed leader sends nothing more), and holds a batch until Redis replicas have its take
// (REDIS_WAIT_REPLICAS). When a transaction closes is not its call: the boundary policy says.

import { NotLeaderError } from '../errors';
import type { Logger } from '../log';
import type { KafkaSink } from '../sink/kafka-sink';
import type { Lease } from '../source/lease';
import type { ReliableList } from '../source/reliable-list';
import type { Taken } from './batch-encoding';
import type { Failpoints } from './failpoints';
import type { BridgeObserver } from './observer';
import type { TransactionBoundary } from './transaction-boundary';

export interface WriterParts {
  sink: Pick<KafkaSink, 'begin' | 'send' | 'commit'>;
  list: Pick<ReliableList, 'replicated'>;
  lease: Pick<Lease, 'isHeld'>;
}

export class TransactionWriter {
  constructor(
    private readonly parts: WriterParts,
    readonly boundary: TransactionBoundary,
    private readonly failpoints: Failpoints,
    private readonly observer: BridgeObserver,
    private readonly log: Logger,
    /** A commit is progress (the watchdog's word). */
    private readonly progressed: () => void,
  ) {}

  async begin(): Promise<void> {
    this.boundary.open();
    await this.parts.sink.begin();
  }

  /**
   * Sends a batch inside the open transaction, once Redis replicas (if required) hold its take;
   * the transaction's `last` batch carries the position with it.
   */
  async send(batch: Taken, last: boolean): Promise<void> {
    await this.untilReplicated(batch.session);
    this.checkLease('before sending');
    this.failpoints.reach('stop-before-send');
    if (batch.messages.length > 0) await this.parts.sink.send(batch.messages, last ? { listId: batch.listId, seq: batch.seq } : undefined);
  }

  /** Commits the open transaction with the last batch's position: all of it becomes visible at once. */
  async commit(txn: readonly Taken[]): Promise<void> {
    const last = txn[txn.length - 1]!;
    this.checkLease('before committing');
    this.failpoints.reach('stop-before-commit');
    const started = Date.now();
    await this.parts.sink.commit({ listId: last.listId, seq: last.seq });
    this.failpoints.reach('crash-after-commit');
    this.progressed();
    const done = Date.now();
    for (const batch of txn) this.observer.published(batch.messages.length, done - started, done - batch.takenAt);
    this.observer.committed();
  }

  /**
   * Writes batches that are all at hand (settling what was in flight) in as few transactions as
   * the boundary allows; calls `committed` after each, in order.
   */
  async writeAll(batches: readonly Taken[], committed: (txn: Taken[]) => Promise<void>): Promise<void> {
    for (let i = 0; i < batches.length; ) {
      const txn: Taken[] = [];
      await this.begin();
      for (let more = true; more; i++) {
        const batch = batches[i]!;
        txn.push(batch);
        more = this.boundary.takesMoreAfter(batch, i + 1 < batches.length);
        await this.send(batch, !more);
      }
      await this.commit(txn);
      await committed(txn);
    }
  }

  checkLease(when: string): void {
    if (!this.parts.lease.isHeld()) throw new NotLeaderError(`lease lapsed ${when}`);
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
}
