// The yardstick (issue 10): the same backlog drained in turns by `cdr-bridge run` and by
// bench/reliable-mover.py — the same reliable-list pattern on librdkafka, raw JSON, no decode —
// on one stack, alternating which goes first, so the machine's drift favours neither. The
// figure to quote is the median of the per-round ratios bridge / mover. A third contestant, the
// bridge with ENCODE_THREAD=true, answers whether a worker thread pays on this machine: the
// median of its per-round ratios to the default bridge.

import type { BenchStack } from './bench-stack';
import { round1 } from './bridge-under-test';
import { drain, type DrainResult } from './drain';
import { median } from './stats';

export interface YardstickResult {
  cdrs: number;
  rounds: number;
  bridge: DrainResult[];
  mover: DrainResult[];
  /** The bridge with ENCODE_THREAD=true. */
  threaded: DrainResult[];
  /** Medians over the rounds. */
  bridgeCdrPerSec: number;
  moverCdrPerSec: number;
  bridgeCpuUsPerCdr: number;
  moverCpuUsPerCdr: number;
  threadedCdrPerSec: number;
  threadedCpuUsPerCdr: number;
  /** Median of each round's bridge CDR/s over the mover's. */
  ratio: number;
  /** Median of each round's ENCODE_THREAD=true CDR/s over the default bridge's. */
  threadedRatio: number;
}

type Contestant = 'bridge' | 'mover' | 'threaded';
const CONTESTANTS: readonly Contestant[] = ['bridge', 'mover', 'threaded'];

export async function yardstick(stack: BenchStack, cdrs: number, rounds: number, say: (line: string) => void): Promise<YardstickResult> {
  const runs: Record<Contestant, DrainResult[]> = { bridge: [], mover: [], threaded: [] };
  for (let round = 0; round < rounds; round++) {
    // Each contestant goes first, second and third in turn: the machine's drift favours none.
    const order = CONTESTANTS.map((_, i) => CONTESTANTS[(i + round) % CONTESTANTS.length]!);
    for (const which of order) {
      const options = which === 'mover' ? { start: { client: 'reliable-mover' as const } } : which === 'threaded' ? { env: { ENCODE_THREAD: 'true' } } : {};
      runs[which].push(await drain(stack, { cdrs, ...options }));
    }
    const b = runs.bridge[round]!;
    const m = runs.mover[round]!;
    const t = runs.threaded[round]!;
    say(`yardstick round ${round + 1}: bridge ${b.cdrPerSec} CDR/s (${b.cpuUsPerCdr.bridge} µs/CDR), mover ${m.cdrPerSec} CDR/s (${m.cpuUsPerCdr.bridge} µs/CDR), ratio ${(b.cdrPerSec / m.cdrPerSec).toFixed(2)}; ENCODE_THREAD=true ${t.cdrPerSec} CDR/s (${t.cpuUsPerCdr.bridge} µs/CDR), ${(t.cdrPerSec / b.cdrPerSec).toFixed(2)}× the bridge`);
  }
  const { bridge, mover, threaded } = runs;
  return {
    cdrs,
    rounds,
    bridge,
    mover,
    threaded,
    bridgeCdrPerSec: Math.round(median(bridge.map((d) => d.cdrPerSec))),
    moverCdrPerSec: Math.round(median(mover.map((d) => d.cdrPerSec))),
    bridgeCpuUsPerCdr: round1(median(bridge.map((d) => d.cpuUsPerCdr.bridge))),
    moverCpuUsPerCdr: round1(median(mover.map((d) => d.cpuUsPerCdr.bridge))),
    threadedCdrPerSec: Math.round(median(threaded.map((d) => d.cdrPerSec))),
    threadedCpuUsPerCdr: round1(median(threaded.map((d) => d.cpuUsPerCdr.bridge))),
    ratio: Math.round(median(bridge.map((b, i) => b.cdrPerSec / mover[i]!.cdrPerSec)) * 100) / 100,
    threadedRatio: Math.round(median(threaded.map((t, i) => t.cdrPerSec / bridge[i]!.cdrPerSec)) * 100) / 100,
  };
}
