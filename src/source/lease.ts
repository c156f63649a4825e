// The leader lease: only its holder takes CDRs, so exactly one bridge consumes the list while
// others wait as hot standbys. SET NX PX to acquire, renew and release only by token — each a
// script allowed to run on a full Redis, where a plain SET is refused and a leader is needed most.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type Redis from 'ioredis';
import { installScripts, type ScriptedRedis } from './scripts';

export interface LeaseHolder {
  host: string;
  pid: number;
  since: number;
  token: string;
  ttlMs: number;
}

export class Lease {
  private currentToken: string;
  readonly redis: ScriptedRedis;
  /** Local deadline: past it this process must act as if it lost the lease. */
  private validUntil = 0;

  constructor(
    redis: Redis,
    readonly key: string,
    readonly ttlMs: number,
  ) {
    this.redis = installScripts(redis);
    this.currentToken = Lease.newToken();
  }

  /** The token says who and since when, so `status` can show the holder. */
  private static newToken(): string {
    return `${hostname()}|${process.pid}|${Date.now()}|${randomBytes(6).toString('hex')}`;
  }

  get token(): string {
    return this.currentToken;
  }

  /** The margin kept before the lease's end, covering clock drift and a slow renewal reply. */
  private get margin(): number {
    return Math.max(200, Math.floor(this.ttlMs / 5));
  }

  async tryAcquire(): Promise<boolean> {
    const sentAt = Date.now();
    this.currentToken = Lease.newToken();
    const ok = (await this.redis.acquireLease(this.key, this.currentToken, this.ttlMs)) === 1;
    if (ok) this.validUntil = sentAt + this.ttlMs;
    return ok;
  }

  /**
   * Takes the lease even from a live holder (`replay --force`): the holder's next renewal and
   * take fail, and it stands by. Kafka fences it too once the new holder initialises its producer.
   */
  async seize(): Promise<void> {
    const sentAt = Date.now();
    this.currentToken = Lease.newToken();
    await this.redis.seizeLease(this.key, this.currentToken, this.ttlMs);
    this.validUntil = sentAt + this.ttlMs;
  }

  async renew(): Promise<boolean> {
    const sentAt = Date.now();
    const ok = (await this.redis.renewLease(this.key, this.token, this.ttlMs)) === 1;
    this.validUntil = ok ? sentAt + this.ttlMs : 0;
    return ok;
  }

  /** Believed held: acquired or renewed recently enough that no one else can have it yet. */
  isHeld(now = Date.now()): boolean {
    return now < this.validUntil - this.margin;
  }

  /** Forget the lease locally (after a failed renewal): stop acting as leader at once. */
  drop(): void {
    this.validUntil = 0;
  }

  async release(): Promise<void> {
    this.validUntil = 0;
    await this.redis.releaseLease(this.key, this.token);
  }

  static async holder(redis: Redis, key: string): Promise<LeaseHolder | undefined> {
    const [token, pttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
    if (token === null) return undefined;
    const [host = '?', pid = '0', since = '0'] = token.split('|');
    return { host, pid: Number(pid), since: Number(since), token, ttlMs: pttl };
  }
}
