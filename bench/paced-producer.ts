// A steady dialler: LPUSHes realistic CDRs one by one at a fixed rate, each stamped with the
// moment of its LPUSH in the payload's extra key "pushed_at_ns": wall-clock nanoseconds (to
// the microsecond), so they compare with the broker's LogAppendTime and with a reader thread.

import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';
import { syntheticCdrs } from '../src/simulate/synthetic-cdrs';

export const PUSHED_AT_KEY = 'pushed_at_ns';

/** Wall-clock time in microseconds, from the monotonic clock (so it never steps back mid-run). */
export function wallMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export interface PacedRun {
  pushed: number;
  seconds: number;
  /** CDR/s actually offered (below the asked rate when this process could not keep up). */
  achievedRate: number;
}

/**
 * Pushes `rate` CDRs a second for `seconds`. Every millisecond it pushes what the schedule
 * says is due (so a late timer is caught up, not lost), one LPUSH per CDR as the dialler does.
 */
export async function pacedPush(redis: Redis, key: string, rate: number, seconds: number): Promise<PacedRun> {
  const total = Math.round(rate * seconds);
  const stream = syntheticCdrs({ seed: 7, withoutSeq: true });
  let failure: Error | undefined;
  let last: Promise<unknown> = Promise.resolve();
  const started = process.hrtime.bigint();
  let sent = 0;
  while (sent < total && failure === undefined) {
    const elapsedNs = Number(process.hrtime.bigint() - started);
    const due = Math.min(total, Math.floor((rate * elapsedNs) / 1e9));
    for (; sent < due; sent++) {
      const cdr = stream.next().value as string;
      const stamp = wallMicros();
      last = redis.lpush(key, `${cdr.slice(0, -1)},"${PUSHED_AT_KEY}":${stamp}000}`).catch((err: Error) => {
        failure = err;
      });
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await last; // replies come in order: the last one means all of them
  if (failure) throw failure;
  const took = Number(process.hrtime.bigint() - started) / 1e9;
  return { pushed: sent, seconds: took, achievedRate: Math.round(sent / took) };
}
