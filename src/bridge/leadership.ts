// Leadership: wait as a hot standby until the lease is ours, then keep renewing it. A renewal
// that fails or finds the lease gone makes the bridge stop taking at once (lease.isHeld()).

import type { Logger } from '../log';
import { Lease } from '../source/lease';
import { pause } from './backoff';

export class Leadership {
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  private renewFailing = false;

  constructor(
    readonly lease: Lease,
    private readonly log: Logger,
    private readonly onStandby: () => void,
  ) {}

  /** How often a standby tries to take the lease: a dead leader is replaced within ttl + this. */
  private get pollMs(): number {
    return Math.min(500, Math.max(50, Math.floor(this.lease.ttlMs / 10)));
  }

  /** Resolves true once this process holds the lease, false if `signal` aborts first. */
  async waitUntilLeader(signal: AbortSignal): Promise<boolean> {
    let announced = false;
    // The Redis error code (OOM, READONLY, ...) of the failing attempts: said once, not per retry.
    let failing: string | undefined;
    while (!signal.aborted) {
      try {
        const acquired = await this.lease.tryAcquire();
        if (failing !== undefined) {
          failing = undefined;
          this.log.info({ lease: this.lease.key }, 'the lease can be taken again');
        }
        if (acquired) {
          this.log.info({ lease: this.lease.key, ttlMs: this.lease.ttlMs }, 'acquired the lease: leading');
          return true;
        }
        if (!announced) {
          announced = true;
          this.onStandby();
          const holder = await Lease.holder(this.lease.redis, this.lease.key);
          this.log.info({ lease: this.lease.key, holder: holder && `${holder.host}/${holder.pid}` }, 'lease held by another bridge: standing by');
        }
      } catch (err) {
        const message = (err as Error).message;
        const condition = message.split(' ', 1)[0];
        if (condition !== failing) {
          failing = condition;
          this.log.warn({ lease: this.lease.key, err: message }, 'cannot take the lease: this bridge cannot lead while Redis refuses it; fix what the error names (`cdr-bridge doctor` checks Redis), retrying meanwhile');
        }
      }
      await pause(this.pollMs, signal);
    }
    return false;
  }

  startRenewing(): void {
    this.stopRenewing();
    const every = Math.max(100, Math.floor(this.lease.ttlMs / 3));
    this.renewTimer = setInterval(() => void this.renewOnce(), every);
    this.renewTimer.unref();
  }

  private async renewOnce(): Promise<void> {
    // One renewal at a time: during a Redis outage a call waits for the reconnect, and piling
    // more behind it would only renew late, several times over.
    if (this.renewing) return;
    this.renewing = true;
    try {
      if (!(await this.lease.renew())) {
        this.log.warn({ lease: this.lease.key }, 'lease lost to another bridge or expired: stopped taking');
        this.stopRenewing();
      } else if (this.renewFailing) {
        this.renewFailing = false;
        this.log.info({ lease: this.lease.key }, 'lease renewal works again');
      }
    } catch (err) {
      if (!this.renewFailing) this.log.warn({ err: (err as Error).message }, 'lease renewal failed; will stop taking when it lapses');
      this.renewFailing = true;
    } finally {
      this.renewing = false;
    }
  }

  stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  async release(): Promise<void> {
    this.stopRenewing();
    await this.lease.release();
  }
}
