// The processing list seen from outside a running bridge, for `cdr-bridge replay`: what a
// dead bridge left in flight (oldest first), and putting it back on the source list.

import type Redis from 'ioredis';
import { companionKeys, type ListKeys } from './reliable-list';
import { installScripts, type ScriptedRedis } from './scripts';

export class InFlight {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    readonly keys: Pick<ListKeys, 'source' | 'processing'>,
  ) {
    this.redis = installScripts(redis);
  }

  /** Everything in the processing list, oldest first. */
  async items(): Promise<Buffer[]> {
    const items = await this.redis.lrangeBuffer(this.keys.processing, 0, -1);
    return items.reverse();
  }

  /**
   * Moves up to `max` items back to the source list's tail, where the bridge takes next, in one
   * atomic step. Call until `remaining` is 0; the oldest ends up taken first (see the script).
   */
  async requeue(max: number): Promise<{ moved: number; remaining: number }> {
    const [moved, remaining] = await this.redis.requeueInFlight(this.keys.processing, this.keys.source, companionKeys(this.keys.processing).batches, max);
    return { moved, remaining };
  }
}
