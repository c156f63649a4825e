// Aims a fault at a moment the bridge holds work in flight, so a test of that fault cannot pass
// against a bridge that never met it: freezes the bridge (SIGSTOP) until a freeze finds CDRs in
// its processing list, and returns them. A frozen process changes nothing, so whatever the test
// does next (SIGKILL, SIGTERM then SIGCONT, a replay) meets exactly that batch in flight.

import { readFileSync } from 'node:fs';
import type Redis from 'ioredis';
import type { BridgeProcess } from './bridge-process';
import { waitFor } from './services';

/** Commands the bridge sent just before the freeze still run on Redis: give them time to land. */
const SETTLE_MS = 150;

/** A process's state letter from /proc (T: stopped), or undefined once it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

export async function frozen(bridge: BridgeProcess): Promise<void> {
  await waitFor(`pid ${bridge.pid} to be stopped`, async () => processState(bridge.pid) === 'T', 10_000, 5);
}

/**
 * Freezes `bridge` at a moment its processing list holds CDRs; returns them (oldest last, as
 * Redis lists them). Fails, saying so, when no freeze within `timeoutMs` finds work in flight.
 */
export async function freezeWithWorkInFlight(bridge: BridgeProcess, redis: Redis, processing: string, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    if (!bridge.running) throw new Error(`the bridge exited before a freeze found work in flight; stderr:\n${bridge.stderr.slice(-2000)}`);
    bridge.kill('SIGSTOP');
    await frozen(bridge);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const items = await redis.lrange(processing, 0, -1);
    if (items.length > 0) return items;
    bridge.kill('SIGCONT');
    if (Date.now() > deadline) throw new Error(`the fault missed: ${tries} freezes over ${timeoutMs} ms never found a batch in flight in ${processing}`);
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 30));
  }
}
