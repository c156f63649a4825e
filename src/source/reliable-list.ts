// The reliable list: take CDRs from the dialler's list into a processing list as numbered
// batches, and ack them (remove, or dead-letter) once Kafka has committed them. Each step is one
// atomic Redis call, so every CDR is always in exactly one of: source (or its landing list),
// processing, dead-letter — or committed in Kafka and gone from Redis.

import { randomBytes } from 'node:crypto';
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

/** The keys that travel with the processing list (all derived from its name). */
export function companionKeys(processing: string): { landing: string; meta: string; batches: string } {
  return { landing: `${processing}:landing`, meta: `${processing}:meta`, batches: `${processing}:batches` };
}

export interface Refused {
  raw: Buffer;
  reason: string;
}

/** One take: its items, oldest first, and where it stands among the takes of this list. */
export interface Batch {
  /** Increases by one per take; what Kafka's committed position names. */
  seq: number;
  /** The processing list's identity: a list recreated (Redis lost its data) starts a new one. */
  listId: string;
  items: Buffer[];
  /** Redis server time (TIME) of the take, in ms, whichever path reads it: the take or the batch record. */
  takenAt: number;
}

/** An undecodable item of a batch, to go to the dead-letter list when its batch is acked. */
export interface BatchRefusal extends Refused {
  seq: number;
}

export interface AckResult {
  removed: number;
  deadLettered: number;
  /** Length of the processing list after the ack. */
  remaining: number;
}

export interface Replication {
  /** Replicas that must hold a take before its CDRs are published (0: do not wait). */
  replicas: number;
  timeoutMs: number;
}

export class ReliableList {
  private readonly redis: ScriptedRedis;
  private readonly companions: ReturnType<typeof companionKeys>;

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
    this.companions = companionKeys(keys.processing);
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

  /** Refuses to start when a key holds something of another type (touches nothing). */
  async checkKeyTypes(): Promise<void> {
    const expected: [string, string][] = [
      [this.keys.source, 'list'],
      [this.keys.processing, 'list'],
      [this.keys.deadLetter, 'list'],
      [this.companions.landing, 'list'],
      [this.companions.batches, 'list'],
      [this.companions.meta, 'hash'],
    ];
    for (const [key, want] of expected) {
      const type = await this.redis.type(key);
      if (type !== want && type !== 'none') throw new WrongKeyTypeError(key, type, want);
    }
  }

  /**
   * Takes the next batch of up to `max` items, oldest first. Returns at once when items are
   * waiting (one round trip); otherwise blocks up to `blockMs` in BLMOVE and then takes whatever
   * arrived. Undefined when nothing came.
   */
  async take(max: number, blockMs: number, leaseToken: string): Promise<Batch | undefined> {
    const ready = await this.takeReady(max, leaseToken);
    if (ready) return ready;
    // BLMOVE cannot check the lease, so it moves into the landing list, from which only the
    // fenced take script moves on: a deposed leader's BLMOVE leaves its item there for whoever
    // leads, still ahead of the source's items, and never in a batch of its own.
    let landed: Buffer | null;
    try {
      landed = await this.blocking.blmoveBuffer(this.keys.source, this.companions.landing, 'RIGHT', 'LEFT', blockMs / 1000);
    } catch (err) {
      if (!isOutOfMemory(err)) throw err;
      // At maxmemory Redis refuses BLMOVE (it may grow the landing list) but runs the take script
      // (allow-oom): poll with it instead, briefly, so the loop neither fails nor spins.
      await new Promise((resolve) => setTimeout(resolve, Math.min(blockMs, FULL_REDIS_POLL_MS)));
      return this.takeReady(max, leaseToken);
    }
    if (landed === null) return undefined;
    return this.takeReady(max, leaseToken);
  }

  /**
   * Takes up to `max` items that are waiting now (landing list first, then the source), in one
   * Lua call on the main connection; never blocks. Sent before an ack on that connection, it
   * runs before the ack.
   */
  async takeReady(max: number, leaseToken: string): Promise<Batch | undefined> {
    const { landing, meta, batches } = this.companions;
    let reply: [] | [number, Buffer, Buffer[], number];
    try {
      reply = await this.redis.takeBuffer(this.keys.source, landing, this.keys.processing, this.keys.lease, meta, batches, max, leaseToken, newListId());
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOTLEADER')) throw new NotLeaderError(err.message);
      throw err;
    }
    if (reply.length === 0) return undefined;
    // The take's time is Redis's, as in its batch record: one clock on every path (issue 17).
    const [seq, listId, items, takenAt] = reply;
    return { seq: Number(seq), listId: listId.toString(), items, takenAt: Number(takenAt) };
  }

  /**
   * Removes every batch up to `upToSeq` (Kafka has committed them) from the processing list and
   * dead-letters their refused items, atomically. Safe to repeat: a batch already acked is gone,
   * so nothing is removed or dead-lettered twice.
   */
  async ack(listId: string, upToSeq: number, refused: readonly BatchRefusal[] = [], now = new Date()): Promise<AckResult> {
    const args: (Buffer | string | number)[] = [listId, upToSeq];
    for (const r of refused) args.push(r.seq, deadLetterEnvelope(r.raw, r.reason, this.keys.source, now));
    const { meta, batches } = this.companions;
    const [removed, deadLettered, remaining] = await this.redis.ack(this.keys.processing, this.keys.deadLetter, meta, batches, ...args);
    return { removed, deadLettered, remaining };
  }

  /**
   * Makes the batch records describe the processing list again (see the script): items with no
   * record go back to the source. Returns how many went back.
   */
  async adoptUnrecorded(): Promise<number> {
    const [moved] = await this.redis.adoptUnrecorded(this.keys.processing, this.keys.source, this.companions.batches);
    return moved;
  }

  /** The batches in flight, oldest first, with their items (a previous leader's, or this one's). */
  async inFlight(): Promise<Batch[]> {
    const { meta, batches } = this.companions;
    const [records, items, listId] = await Promise.all([
      this.redis.lrange(batches, 0, -1),
      this.redis.lrangeBuffer(this.keys.processing, 0, -1),
      this.redis.hget(meta, 'id'),
    ]);
    const out: Batch[] = [];
    // Both lists keep the oldest at the tail: walk them from there.
    let end = items.length;
    for (let i = records.length - 1; i >= 0; i--) {
      const [seq, count, takenAt] = (records[i] as string).split(' ').map(Number) as [number, number, number];
      out.push({ seq, listId: listId ?? '', takenAt, items: items.slice(Math.max(0, end - count), end).reverse() });
      end -= count;
    }
    return out;
  }

  /** The processing list's id: null before the first take of a list created anew (see take-6.lua). */
  async listId(): Promise<string | null> {
    return this.redis.hget(this.companions.meta, 'id');
  }

  async inFlightCount(): Promise<number> {
    return this.redis.llen(this.keys.processing);
  }

  /** What the pipeline still has to carry (the progress watchdog's question): one pipelined round trip. */
  async waiting(): Promise<{ source: number; landing: number; processing: number }> {
    const [source, landing, processing] = await Promise.all([
      this.redis.llen(this.keys.source),
      this.redis.llen(this.companions.landing),
      this.redis.llen(this.keys.processing),
    ]);
    return { source, landing, processing };
  }

  /**
   * The lists' lengths, and how long the oldest batch has been in flight by Redis's clock (from
   * its batch record; null when nothing is). One pipelined round trip.
   */
  async lengths(): Promise<{ source: number; landing: number; processing: number; deadLetter: number; oldestInFlightMs: number | null }> {
    const [source, landing, processing, deadLetter, oldest, time] = await Promise.all([
      this.redis.llen(this.keys.source),
      this.redis.llen(this.companions.landing),
      this.redis.llen(this.keys.processing),
      this.redis.llen(this.keys.deadLetter),
      this.redis.lindex(this.companions.batches, -1),
      this.redis.time(),
    ]);
    return { source, landing, processing, deadLetter, oldestInFlightMs: oldestInFlightMs(processing, oldest, time[0], time[1]) };
  }
}

/** Age of the oldest batch in flight from its record ("seq count takenAtMs") and Redis's TIME. */
export function oldestInFlightMs(processing: number, oldestRecord: string | null, seconds: string | number | undefined, micros: string | number | undefined): number | null {
  const takenAt = oldestRecord === null ? NaN : Number(oldestRecord.split(' ')[2]);
  if (processing === 0 || !Number.isFinite(takenAt)) return null;
  const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  return Math.max(0, nowMs - takenAt);
}

/** How often a take polls while a full Redis refuses the blocking take (BLMOVE). */
const FULL_REDIS_POLL_MS = 100;

/** Redis refused a command that may grow memory: it is at maxmemory (noeviction). */
function isOutOfMemory(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('OOM ');
}

/** An identity for a processing list that has none yet (the take script keeps the first). */
function newListId(): string {
  return randomBytes(8).toString('hex');
}
