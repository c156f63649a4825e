// The progress watchdog: a leader keeps its lease only while it is of use. A leader whose path to
// Kafka fails without closing (a dropped port, a frozen broker) would otherwise renew forever
// while a standby that can reach Kafka waits. Before each renewal the leader asks it: renew while
// the pipeline moves (a commit or an ack) or has nothing to do; with CDRs waiting and no progress
// for PROGRESS_TIMEOUT_MS, stand down — and stay down one bound, so bridges that are all cut off
// hand the lease round at most once per bound each instead of storming.

import { hostname } from 'node:os';
import type Redis from 'ioredis';

/** CDRs this bridge's pipeline still has to carry: waiting in the source (or its landing list) or in flight. */
export interface Waiting {
  source: number;
  landing: number;
  processing: number;
}

/** Why a leader stood down: what was waiting, and for how long nothing moved. */
export interface StandDown {
  /** Epoch ms. */
  at: number;
  stalledMs: number;
  waiting: Waiting;
  /** One sentence for an operator (the warn line, /healthz, `status`). */
  reason: string;
}

export class ProgressWatchdog {
  /** When the pipeline last moved, or was last seen with nothing to do. */
  private movedAt = 0;
  /** When the last verdict was given: progress since then needs no look at Redis. */
  private checkedAt = 0;
  private stoodDownAt: number | undefined;

  constructor(
    readonly boundMs: number,
    private readonly waiting: () => Promise<Waiting>,
  ) {}

  /** A new term as leader: the bound counts from now. */
  start(now = Date.now()): void {
    this.movedAt = now;
    this.checkedAt = now;
  }

  /** A transaction committed or a batch acked. Hot path: one clock read. */
  progressed(): void {
    this.movedAt = Date.now();
  }

  /**
   * Called before each renewal: undefined to renew, or why to stand down. Reads the lists only
   * when nothing moved since the last call (an idle leader: one round trip per renewal). A
   * failed read rejects: the caller cannot tell, and renews as it did before the watchdog.
   */
  async verdict(now = Date.now()): Promise<StandDown | undefined> {
    const sinceCheck = this.checkedAt;
    this.checkedAt = now;
    if (this.movedAt > sinceCheck) return undefined;
    const waiting = await this.waiting();
    const count = waiting.source + waiting.landing + waiting.processing;
    if (count === 0) {
      this.movedAt = now;
      return undefined;
    }
    const stalledMs = now - this.movedAt;
    if (stalledMs < this.boundMs) return undefined;
    const reason = `no progress for ${seconds(stalledMs)} with ${count} CDRs waiting (source ${waiting.source + waiting.landing}, in flight ${waiting.processing}; PROGRESS_TIMEOUT_MS ${this.boundMs})`;
    return { at: now, stalledMs, waiting, reason };
  }

  /** The leader acted on a verdict: the hold-off counts from it. */
  stoodDown(standDown: StandDown): void {
    this.stoodDownAt = standDown.at;
  }

  /** How long to keep out of the race for the lease: a bound after the last stand-down. */
  holdOffMs(now = Date.now()): number {
    return this.stoodDownAt === undefined ? 0 : Math.max(0, this.stoodDownAt + this.boundMs - now);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The last stand-down, kept beside the lease for `status` (whichever bridge stood down). */
export interface StandDownRecord extends StandDown {
  host: string;
  pid: number;
}

export function standDownKey(leaseKey: string): string {
  return `${leaseKey}:stood-down`;
}

/** Kept a day: long enough for an operator to find, short enough not to speak of last month. */
const RECORD_TTL_MS = 24 * 3600 * 1000;

/** A Redis that refuses the write (full, or the very outage) costs only the record: the log has it. */
export async function rememberStandDown(redis: Redis, leaseKey: string, standDown: StandDown): Promise<void> {
  const record: StandDownRecord = { ...standDown, host: hostname(), pid: process.pid };
  await redis.set(standDownKey(leaseKey), JSON.stringify(record), 'PX', RECORD_TTL_MS).catch(() => undefined);
}

export async function lastStandDown(redis: Redis, leaseKey: string): Promise<StandDownRecord | undefined> {
  const raw = await redis.get(standDownKey(leaseKey));
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as StandDownRecord;
  } catch {
    return undefined;
  }
}
