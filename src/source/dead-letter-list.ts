// The dead-letter list as an operator handles it (`cdr-bridge dlq`): read envelopes by index
// (0 = the oldest), put their CDRs back on the source list, or delete them all.

import type Redis from 'ioredis';
import { parseDeadLetter, type DeadLetter } from './dead-letter';
import type { ListKeys } from './reliable-list';
import { installScripts, type ScriptedRedis } from './scripts';

export interface ListedLetter {
  /** Position counted from the oldest (0), as of the read. */
  index: number;
  /** The entry's exact bytes: what requeue names it by. */
  envelope: Buffer;
  /** The parsed envelope; undefined when the entry is not one of ours. */
  letter: (DeadLetter & { bytes: Buffer }) | undefined;
}

/** Envelopes requeued per script call: bounds one call's run time on a large list. */
const REQUEUE_CHUNK = 1000;

export class DeadLetterList {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    readonly keys: Pick<ListKeys, 'source' | 'deadLetter'>,
  ) {
    this.redis = installScripts(redis);
  }

  async length(): Promise<number> {
    return this.redis.llen(this.keys.deadLetter);
  }

  /** Every entry, oldest first (the bridge LPUSHes, so the oldest sits at the tail). */
  async all(): Promise<ListedLetter[]> {
    const entries = await this.redis.lrangeBuffer(this.keys.deadLetter, 0, -1);
    const n = entries.length;
    return entries.map((envelope, i) => ({ index: n - 1 - i, envelope, letter: parseDeadLetter(envelope) })).reverse();
  }

  /** The entry at `index` (0 = oldest), or undefined when there is none. */
  async at(index: number): Promise<ListedLetter | undefined> {
    const envelope = await this.redis.lindexBuffer(this.keys.deadLetter, -(index + 1));
    return envelope === null ? undefined : { index, envelope, letter: parseDeadLetter(envelope) };
  }

  /**
   * Moves the CDRs of these entries back to the source list's tail, where the bridge takes
   * next, each removal and push atomic. Entries are named by their exact bytes, so one that
   * changed or went meanwhile is skipped. Oldest given is taken first. Returns how many moved.
   */
  async requeue(letters: readonly ListedLetter[], onProgress?: (done: number) => void): Promise<number> {
    // Newest first: each RPUSH lands behind the previous, so the oldest ends at the tail.
    const newestFirst = [...letters].sort((a, b) => b.index - a.index);
    let requeued = 0;
    for (let i = 0; i < newestFirst.length; i += REQUEUE_CHUNK) {
      const pairs: Buffer[] = [];
      for (const l of newestFirst.slice(i, i + REQUEUE_CHUNK)) {
        if (l.letter) pairs.push(l.envelope, l.letter.bytes);
      }
      if (pairs.length > 0) requeued += await this.redis.requeueDeadLetters(this.keys.deadLetter, this.keys.source, ...pairs);
      onProgress?.(Math.min(i + REQUEUE_CHUNK, newestFirst.length));
    }
    return requeued;
  }

  /** Deletes the whole list; returns how many entries it held. */
  async purge(): Promise<number> {
    const result = await this.redis.multi().llen(this.keys.deadLetter).del(this.keys.deadLetter).exec();
    const [err, length] = result?.[0] ?? [new Error('purge: MULTI was aborted'), 0];
    if (err) throw err;
    return Number(length);
  }
}
