// Redis's own loss, said as such. The processing list carries an id (in its meta hash) that only
// a list created anew gets: after a FLUSHALL or a restart without persistence it is gone, and the
// next take starts another. When Kafka's committed position names a list Redis no longer has,
// whatever was taken from that list and not committed went with it — the one loss the bridge
// cannot prevent. Nothing of it is in Redis to send again, so nothing is sent twice; the bridge
// says how many batches it knows were lost, and goes on with the new list.

import type { Logger } from '../log';
import type { Progress } from '../sink/progress';
import type { BridgeObserver } from './observer';

/** Batches remembered for the count: more than a leader ever has in flight. */
const REMEMBERED = 4096;

export class RedisDataLoss {
  /** The list this process last saw batches of, and their CDR counts by sequence number. */
  private listId: string | undefined;
  private readonly counts = new Map<number, number>();
  /** Lists already reported lost: once each. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly observer: Pick<BridgeObserver, 'redisDataLost'>,
  ) {}

  /** A batch this process took, or found in flight. */
  saw(batch: { listId: string; seq: number; taken: number }): void {
    if (batch.listId === '') return;
    if (batch.listId !== this.listId) {
      this.listId = batch.listId;
      this.counts.clear();
    }
    this.counts.set(batch.seq, batch.taken);
    if (this.counts.size > REMEMBERED) this.counts.delete(this.counts.keys().next().value as number);
  }

  /**
   * Compares the list Kafka's position names (or, before any commit, the one this process took
   * from) with the list Redis holds now (`redisListId`: null when it has none yet), and reports
   * a loss once per lost list. Returns how many batches were lost (undefined: not a loss).
   */
  check(progress: Progress | undefined, redisListId: string | null): number | undefined {
    const lostList = progress?.listId ?? this.listId;
    if (lostList === undefined || lostList === redisListId || this.reported.has(lostList)) return undefined;
    this.reported.add(lostList);
    const committedSeq = progress?.listId === lostList ? progress.seq : 0;
    // Only batches of the lost list this process saw can be counted: a bridge that never led
    // on that list knows the list is gone, not what it held.
    const lost = this.listId === lostList ? [...this.counts].filter(([seq]) => seq > committedSeq) : [];
    const cdrs = lost.reduce((n, [, count]) => n + count, 0);
    const fields = { lostList, newList: redisListId, committedSeq: progress?.listId === lostList ? progress.seq : null, lostBatches: lost.length, lostCdrs: cdrs };
    const what = `redis lost its data (FLUSHALL, or a restart without persistence): the processing list ${lostList} that Kafka's position names is gone`;
    const fix = 'make Redis persist (appendonly yes, appendfsync everysec or always) and keep a replica';
    if (this.listId === lostList && lost.length > 0) {
      this.log.error(fields, `${what}, and with it ${lost.length} in-flight batches (${cdrs} CDRs) not yet in Kafka — the one loss the bridge cannot prevent (and the dialler's backlog in the source list went too); ${fix}. Going on with the new list`);
    } else {
      const known = this.listId === lostList ? 'nothing this process took from it was in flight' : 'this process took nothing from it, so it cannot tell what was in flight';
      this.log.warn(fields, `${what}; ${known} (the dialler's backlog in the source list went too); ${fix}. Going on with the new list`);
    }
    this.observer.redisDataLost(lost.length);
    this.counts.clear();
    return lost.length;
  }
}
