// The leader: a term at a time. Waits (a hot standby) until the lease is ours, keeps it while
// the progress watchdog agrees (leadership.ts), and runs the term's work; every uncertain
// outcome (a Redis reply lost, a send or commit failed) takes the one road back — drop the
// producer, back off, settle from what Kafka committed, go on. Deposed, it stands by again.

import { EncodeThreadError, FencedError, NotLeaderError, PublishError, TakeUncertainError } from '../errors';
import type { Logger } from '../log';
import type { KafkaSink } from '../sink/kafka-sink';
import type { Lease } from '../source/lease';
import { isRedisFailure } from '../source/redis-condition';
import { backoffMs, pause } from './backoff';
import type { Leadership } from './leadership';
import type { BridgeObserver } from './observer';

/** A term's work: `settle` starts it (and is the road back), `stream` is the steady state. */
export interface Term {
  settle(): Promise<unknown>;
  stream(): Promise<void>;
}

export class Leader {
  /** An outage outlives a term as leader (the watchdog may make it stand down): said once, ended once. */
  private failing: FailedSide | undefined;
  private failedAt = 0;

  constructor(
    private readonly leadership: Leadership,
    private readonly parts: { lease: Lease; sink: Pick<KafkaSink, 'reset'> },
    private readonly observer: BridgeObserver,
    private readonly log: Logger,
    private readonly stopSignal: AbortSignal,
  ) {}

  private get stopping(): boolean {
    return this.stopSignal.aborted;
  }

  /** Leads (or stands by) until the stop signal; never throws for an outage, only waits it out. */
  async run(term: Term): Promise<void> {
    while (!this.stopping) {
      if (!(await this.leadership.waitUntilLeader(this.stopSignal))) break;
      this.observer.role('leader');
      this.leadership.startRenewing();
      try {
        await this.lead(term);
      } catch (err) {
        if (!(err instanceof NotLeaderError)) throw err;
        this.log.warn({ reason: err.message }, 'no longer the leader: what is in flight stays in the processing list for the next leader');
        if (err instanceof FencedError) {
          // Whoever fenced us initialised after us; let it (or the next winner) lead at once.
          this.observer.fenced();
          await this.parts.lease.release().catch(() => undefined);
        }
      } finally {
        this.leadership.stopRenewing();
        await this.parts.sink.reset();
      }
      if (!this.stopping) {
        this.observer.role('standby');
        this.log.warn('standing by');
      }
    }
    await this.leadership.release().catch((err: Error) => this.log.warn({ err: err.message }, 'could not release the lease; it will expire'));
    this.observer.role('stopped');
  }

  /**
   * One term. Every uncertain outcome takes the same road back: drop the producer, then settle
   * — fence and settle what is in flight from what Kafka has committed — and go on.
   */
  private async lead(term: Term): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await term.settle();
        // A settlement proves Kafka works, not Redis: a replica answers its reads and refuses the
        // take. The end of a Redis condition is said by the condition watch instead.
        if (this.failing !== undefined && this.failing !== 'redis') {
          this.log.info({ attempts: attempt + 1 }, 'kafka is back: what was in flight is settled, taking again');
          this.failing = undefined;
        }
        if (this.failing === undefined) attempt = 0;
        this.observer.kafkaUp(true);
        await term.stream();
        return;
      } catch (err) {
        if (err instanceof NotLeaderError) throw err;
        // The term ended under it (the producer dropped when the lease went): not an outage.
        if (!this.parts.lease.isHeld()) throw new NotLeaderError(`lease gone while ${(err as Error).message}`);
        const side = failedSide(err);
        // Redis failures a minute apart are two outages, each said once.
        if (this.failing === 'redis' && Date.now() - this.failedAt > 60_000) {
          this.failing = undefined;
          attempt = 0;
        }
        if (this.failing !== side) {
          // Either way the same road back; the words tell the operator which side failed.
          const what = { kafka: err instanceof PublishError ? 'kafka publish failed' : 'kafka request failed', encoding: 'encoding failed', redis: 'redis command failed' }[side];
          this.log.warn({ err: (err as Error).message }, `${what}: taking nothing new; once it works again, what is in flight is settled from what Kafka committed`);
        }
        this.failing = side;
        this.failedAt = Date.now();
        // Only Kafka's failures are Kafka's: Redis's show as Redis (the connection and the
        // condition watch speak for it in cdr_bridge_redis_up and /readyz).
        if (side === 'kafka') this.observer.kafkaUp(false);
        this.observer.retried(side === 'redis' ? 'take' : 'publish');
        await this.parts.sink.reset();
        await pause(backoffMs(attempt, 200, 10000), this.stopSignal);
        if (this.stopping) {
          this.log.warn('stopping during an outage: what is in flight stays in the processing list for the next leader');
          return;
        }
      }
    }
  }

  /**
   * For `replay`: one term, then the lease goes. Takes the lease (`force`: even from a live
   * leader, which Redis and then Kafka fence), runs `work` holding it, and releases it.
   */
  async leadOnce<T>(force: boolean, work: () => Promise<T>): Promise<T> {
    const { lease } = this.parts;
    if (force) await lease.seize();
    else if (!(await lease.tryAcquire())) throw new NotLeaderError('a bridge holds the lease');
    this.leadership.startRenewing();
    try {
      return await work();
    } finally {
      this.leadership.stopRenewing();
      await this.parts.sink.reset();
      await this.leadership.release().catch(() => undefined);
    }
  }
}

type FailedSide = 'kafka' | 'redis' | 'encoding';

/** Which side an uncertain outcome came from; anything not Redis's nor the encoder's is Kafka's. */
function failedSide(err: unknown): FailedSide {
  if (err instanceof EncodeThreadError) return 'encoding';
  if (err instanceof TakeUncertainError || isRedisFailure(err)) return 'redis';
  return 'kafka';
}
