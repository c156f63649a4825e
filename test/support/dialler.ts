// The dialler stand-in of the chaos and fault tests: LPUSHes CDRs at a steady rate, each chunk
// at most once however often a push is retried, and keeps the cdr_id of every CDR it pushed
// in push order — the list an independent reader checks the topic against.

import { createHash } from 'node:crypto';
import IORedis, { type Redis } from 'ioredis';
import { syntheticCdrs } from '../../src/simulate/synthetic-cdrs';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Pushes a chunk at most once, however often it is retried: a marker key per chunk is set in
// the same script. A push whose reply was lost can then be retried without the test ever
// counting the dialler's own double push as the bridge's duplicate.
const PUSH_ONCE = `if redis.call('SET', KEYS[2], '1', 'NX', 'EX', 86400) then
  return redis.call('LPUSH', KEYS[1], unpack(ARGV))
end
return 0`;

export interface DiallerOptions {
  redisUrl: string;
  key: string;
  count: number;
  /** CDRs per second. */
  rate: number;
  seed: number;
  /** What to push (default: synthetic CDRs of `seed`, each with a key of its own). */
  payloads?: Iterator<string>;
}

export class SteadyDialler {
  pushed = 0;
  retries = 0;
  /** cdr_id (SHA-256 of the payload) of every CDR pushed, oldest first. */
  readonly ids: string[] = [];
  /** The payloads pushed, in the same order: what the topic's records must decode to. */
  readonly payloads: string[] = [];
  readonly done: Promise<void>;
  private paused = false;
  private stopped = false;
  private inFlight: Promise<unknown> = Promise.resolve();
  private readonly redis: Redis;

  constructor(private readonly opts: DiallerOptions) {
    this.redis = new IORedis(opts.redisUrl, { maxRetriesPerRequest: null });
    // Redis is restarted on purpose in chaos runs; pushes are retried.
    this.redis.on('error', () => undefined);
    this.done = this.produce().finally(() => this.redis.disconnect());
  }

  private async produce(): Promise<void> {
    const { key, count, rate, seed } = this.opts;
    const cdrs = this.opts.payloads ?? syntheticCdrs({ seed });
    const perTick = Math.max(1, Math.round(rate / 20));
    const started = Date.now();
    for (let chunkNo = 0; this.pushed < count && !this.stopped; chunkNo++) {
      while (this.paused) await sleep(20);
      const n = Math.min(perTick, count - this.pushed);
      const chunk: string[] = [];
      for (let i = 0; i < n; i++) chunk.push(cdrs.next().value as string);
      for (;;) {
        try {
          this.inFlight = this.redis.eval(PUSH_ONCE, 2, key, `${key}:dialler-chunk:${seed}:${chunkNo}`, ...chunk);
          await this.inFlight;
          break;
        } catch {
          this.retries++;
          await sleep(100);
        }
      }
      for (const c of chunk) this.ids.push(createHash('sha256').update(c).digest('hex'));
      this.payloads.push(...chunk);
      this.pushed += n;
      const due = started + (this.pushed / rate) * 1000;
      await sleep(Math.max(0, due - Date.now()));
    }
  }

  /** Resolves once at least `n` CDRs are pushed (or all of them, if fewer). */
  async reached(n: number): Promise<void> {
    while (this.pushed < Math.min(n, this.opts.count)) {
      if (this.stopped) throw new Error(`the dialler was stopped after ${this.pushed} CDRs, before ${n}`);
      await sleep(20);
    }
  }

  /** Stops for good (a test that failed half way); `done` resolves after the push in flight. */
  stop(): Promise<void> {
    this.stopped = true;
    this.paused = false;
    return this.done;
  }

  /** Stops pushing and waits for the push in flight: a dialler cannot write to a Redis that is down. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.inFlight.catch(() => undefined);
  }

  resume(): void {
    this.paused = false;
  }
}

/**
 * Synthetic CDRs whose message keys (`internal_call_ref`) repeat over `keys` values, each with
 * its push order in `seq`, so that per-key order means something: a key's CDRs must reach its
 * partition in the order they were pushed.
 */
export function* cdrsOnKeys(seed: number, keys: number): Generator<string> {
  let i = 0;
  for (const raw of syntheticCdrs({ seed })) {
    const cdr = JSON.parse(raw) as Record<string, unknown>;
    cdr.internal_call_ref = `call-${seed}-${i % keys}`;
    i++;
    yield JSON.stringify(cdr);
  }
}
