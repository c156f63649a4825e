// The reliable list: take CDRs from the dialler's list into a processing list, and ack them
// (remove, or dead-letter) once they are safe elsewhere. Each step is one atomic Redis call,
// so every CDR is always in exactly one of: source, processing, dead-letter.

import type Redis from 'ioredis';
import { NotLeaderError, TakeUncertainError, WrongKeyTypeError } from '../errors';
import { deadLetterEnvelope } from './dead-letter';
import { installScripts, type ScriptedRedis } from './scripts';

export interface ListKeys {
  source: string;
  processing: string;
  deadLetter: string;
  lease: string;
}

export interface Refused {
  raw: Buffer;
  reason: string;
}

/** Where the time the processing list last became non-empty is kept (for `status`). */
export function inFlightSinceKey(processing: string): string {
  return `${processing}:since`;
}

/**
 * Where each take's server time is kept with the digest of its batch's oldest item ("<ms>
 * <sha1>", newest first), so `status` can tell how long the oldest item has been in flight,
 * whichever batches were acked before it (see take-5.lua).
 */
export function takeTimesKey(processing: string): string {
  return `${processing}:takes`;
}

export interface AckResult {
  removed: number;
  deadLettered: number;
  /** Length of the processing list after the ack: more than the caller still holds means strays. */
  remaining: number;
}

export interface Replication {
  /** Replicas that must hold a take before its CDRs are published (0: do not wait). */
  replicas: number;
  timeoutMs: number;
}

export class ReliableList {
  private readonly redis: ScriptedRedis;

  /**
   * @param redis    connection for scripts and reads
   * @param blocking connection reserved for BLMOVE, which holds its connection while it waits
   */
  constructor(
    redis: Redis,
    private readonly blocking: Redis,
    readonly keys: ListKeys,
    private readonly replication: Replication = { replicas: 0, timeoutMs: 1000 },
  ) {
    this.redis = installScripts(redis);
    // Every (re)connection starts a new session: WAIT only vouches for writes of its own.
    redis.on('ready', () => this.sessions++);
    blocking.on('ready', () => this.sessions++);
  }

  private sessions = 0;

  /** Changes whenever either connection reconnects; taken with a batch, checked before publishing. */
  get session(): number {
    return this.sessions;
  }

  /**
   * Resolves once `replicas` replicas have every write this process made so far (WAIT on both
   * connections), or at once when none are required. Behind Sentinel, a take the replicas do
   * not have yet is undone by a failover: the CDRs go back to the source list, and publishing
   * them now would publish them twice. Returns false when the replicas did not confirm in time.
   */
  async replicated(session: number): Promise<boolean> {
    const { replicas, timeoutMs } = this.replication;
    if (replicas === 0) return true;
    // After a reconnect (a failover), WAIT on the new connection knows nothing of the take made
    // on the old one: it may be lost, its CDRs back in the source list.
    if (session !== this.sessions) throw new TakeUncertainError('redis reconnected since the take; its fate is read from the processing list');
    const [a, b] = await Promise.all([this.redis.wait(replicas, timeoutMs), this.blocking.wait(replicas, timeoutMs)]);
    if (session !== this.sessions) throw new TakeUncertainError('redis reconnected while waiting for replicas');
    return Math.min(a, b) >= replicas;
  }

  /** Refuses to start when a key holds something other than a list (touches nothing). */
  async checkKeyTypes(): Promise<void> {
    for (const key of [this.keys.source, this.keys.processing, this.keys.deadLetter]) {
      const type = await this.redis.type(key);
      if (type !== 'list' && type !== 'none') throw new WrongKeyTypeError(key, type);
    }
  }

  /**
   * The dialler relies on a persistent list; a Redis that neither appends nor snapshots loses
   * every CDR in it on restart. Returns a warning, or undefined (also when CONFIG is disabled).
   */
  async persistenceWarning(): Promise<string | undefined> {
    try {
      const aof = (await this.redis.config('GET', 'appendonly')) as string[];
      const save = (await this.redis.config('GET', 'save')) as string[];
      if (aof[1] !== 'yes' && (save[1] ?? '') === '') {
        return 'the source Redis persists nothing (appendonly no, no save points): CDRs in the list are lost if it restarts';
      }
    } catch {
      // Managed Redis often renames CONFIG; not knowing is not a reason to stop.
    }
    return undefined;
  }

  /**
   * Takes up to `max` items, oldest first, moving them to the processing list. Returns at
   * once when items are waiting (one round trip); otherwise blocks up to `blockMs` in BLMOVE
   * and then sweeps up whatever else arrived meanwhile.
   */
  async take(max: number, blockMs: number, leaseToken: string): Promise<Buffer[]> {
    const ready = await this.takeReady(max, leaseToken);
    if (ready.length > 0) return ready;
    // BLMOVE cannot check the lease; the caller checks it first, and a leader recovers any
    // item a deposed leader's BLMOVE still moved (it shows up as a stray in the processing list).
    const first = await this.blocking.blmoveBuffer(this.keys.source, this.keys.processing, 'RIGHT', 'LEFT', blockMs / 1000);
    if (first === null) return [];
    // Even with nothing more to take, the script records the take time of `first`.
    const rest = await this.takeReady(max - 1, leaseToken, 1);
    return [first, ...rest];
  }

  /**
   * Takes up to `max` items that are waiting now, oldest first, in one Lua call on the main
   * connection; never blocks (empty when none wait). Sent before an ack on that connection, it
   * runs before the ack, so the ack's `remaining` counts what it took.
   */
  async takeReady(max: number, leaseToken: string, alreadyMoved: 0 | 1 = 0): Promise<Buffer[]> {
    try {
      const { source, processing, lease } = this.keys;
      return await this.redis.takeBuffer(source, processing, lease, inFlightSinceKey(processing), takeTimesKey(processing), max, leaseToken, alreadyMoved);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOTLEADER')) throw new NotLeaderError(err.message);
      throw err;
    }
  }

  /**
   * Removes confirmed items from the processing list and dead-letters refused ones, atomically.
   * Safe to repeat: a second run finds nothing to remove and so dead-letters nothing twice.
   */
  async ack(published: readonly Buffer[], refused: readonly Refused[] = [], now = new Date()): Promise<AckResult> {
    const args: (Buffer | string | number)[] = [published.length, ...published];
    for (const r of refused) args.push(r.raw, deadLetterEnvelope(r.raw, r.reason, this.keys.source, now));
    const [removed, deadLettered, remaining] = await this.redis.ack(this.keys.processing, this.keys.deadLetter, inFlightSinceKey(this.keys.processing), ...args);
    return { removed, deadLettered, remaining };
  }

  /** Everything in the processing list, oldest first (a previous run's batch, or strays). */
  async inFlight(): Promise<Buffer[]> {
    const items = await this.redis.lrangeBuffer(this.keys.processing, 0, -1);
    return items.reverse();
  }

  async inFlightCount(): Promise<number> {
    return this.redis.llen(this.keys.processing);
  }

  async lengths(): Promise<{ source: number; processing: number; deadLetter: number }> {
    const [source, processing, deadLetter] = await Promise.all([
      this.redis.llen(this.keys.source),
      this.redis.llen(this.keys.processing),
      this.redis.llen(this.keys.deadLetter),
    ]);
    return { source, processing, deadLetter };
  }
}
