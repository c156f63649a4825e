// Leadership: wait as a hot standby until the lease is ours, then keep renewing it while the
// progress watchdog agrees. A renewal that fails or finds the lease gone, or a stand-down, makes
// the bridge stop taking at once (lease.isHeld()).

import type { Logger } from '../log';
import { Lease } from '../source/lease';
import { pause } from './backoff';
import { rememberStandDown, type ProgressWatchdog, type StandDown } from './progress-watchdog';

export class Leadership {
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  private renewFailing = false;
  /** This term's lease lapsed with a renewal unanswered, and the bridge said so. */
  private lapseReported = false;

  constructor(
    readonly lease: Lease,
    private readonly log: Logger,
    private readonly onStandby: () => void,
    readonly watchdog: ProgressWatchdog,
    private readonly onStandDown: (standDown: StandDown) => void,
    /**
     * A stand-down ends the term: drops the producer at once, so nothing of this term still
     * waiting in the client reaches Kafka later, after another bridge leads. (A lease lost or
     * lapsed is left to Kafka's fence: the next holder's InitProducerId refuses the old producer,
     * which the zombie fault test proves; and init asks for the lease again once Kafka answers.)
     */
    private readonly onTermEnded: () => Promise<void>,
  ) {}

  private endTerm(): Promise<void> {
    return this.onTermEnded().catch((err: Error) => this.log.warn({ err: err.message }, 'dropping the producer at the end of the term failed'));
  }

  /** How often a standby tries to take the lease: a dead leader is replaced within ttl + this. */
  private get pollMs(): number {
    return Math.min(500, Math.max(50, Math.floor(this.lease.ttlMs / 10)));
  }

  /** Resolves true once this process holds the lease, false if `signal` aborts first. */
  async waitUntilLeader(signal: AbortSignal): Promise<boolean> {
    // After a stand-down, one bound out of the race: a standby gets its chance, and bridges that
    // are all cut off pass the lease round at most once per bound each.
    await pause(this.watchdog.holdOffMs(), signal);
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
    this.lapseReported = false;
    this.watchdog.start();
    const every = Math.max(100, Math.floor(this.lease.ttlMs / 3));
    this.renewTimer = setInterval(() => void this.renewOnce(), every);
    this.renewTimer.unref();
  }

  private async renewOnce(): Promise<void> {
    // One renewal at a time: during a Redis outage a call waits for the reconnect, and piling
    // more behind it would only renew late, several times over.
    if (this.renewing) {
      this.reportLapse();
      return;
    }
    this.renewing = true;
    try {
      if (await this.standsDown()) return;
      const renewed = await this.lease.renew();
      // Answered after the lapse was reported: that term is over, whatever the answer says.
      if (this.lapseReported) {
        this.lease.drop();
        return;
      }
      if (!renewed) {
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

  /**
   * A renewal still unanswered when the lease has lapsed by this bridge's clock: Redis neither
   * answers nor fails (a path that went silent, without an error or a close). Nothing is taken
   * any more (lease.isHeld() is false, and a take that reaches Redis later is fenced); the term
   * ends here — a late answer cannot revive it — said once, and the bridge counts as a standby,
   * or the operator sees a leader that silently does nothing.
   */
  private reportLapse(): void {
    if (this.lapseReported || this.lease.isHeld()) return;
    this.lapseReported = true;
    this.stopRenewing();
    this.lease.drop();
    this.log.warn({ lease: this.lease.key, ttlMs: this.lease.ttlMs }, 'lease lapsed with its renewal unanswered (Redis does not answer): stopped taking');
    this.onStandby();
  }

  /** Asks the watchdog before a renewal; on its word, lets the lease go at once and says why. */
  private async standsDown(): Promise<boolean> {
    // A failed look at the lists (Redis down) cannot tell: renew as ever, and let that fail.
    const standDown = await this.watchdog.verdict().catch(() => undefined);
    if (!standDown || !this.renewTimer) return false;
    this.stopRenewing();
    this.watchdog.stoodDown(standDown);
    const { stalledMs, waiting } = standDown;
    this.log.warn({ lease: this.lease.key, stalledMs, waiting, progressTimeoutMs: this.watchdog.boundMs }, `${standDown.reason}: standing down so another bridge can lead; not trying for the lease again for ${this.watchdog.boundMs} ms`);
    this.onStandDown(standDown);
    // Before the lease goes: a send of this term still queued in the client (waiting on a frozen
    // broker or a silent path) would go out later, after the broker aborted its transaction on a
    // timeout, where the next leader's commit would take it in too.
    await this.endTerm();
    // Released rather than left to expire: a standby with a path this leader lacks starts now.
    await this.lease.release().catch(() => this.lease.drop());
    await rememberStandDown(this.lease.redis, this.lease.key, standDown);
    return true;
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
