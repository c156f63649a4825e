// The yardstick (issue 10): the same backlog drained in turns by `cdr-bridge run` and by
// bench/reliable-mover.py — the same reliable-list pattern on librdkafka, raw JSON, no decode —
// on one stack, alternating which goes first, so the machine's drift favours neither. The
// figure to quote is the median of the per-round ratios bridge / mover.

import type { BenchStack } from './bench-stack';
import { round1 } from './bridge-under-test';
import { drain, type DrainResult } from './drain';

export interface YardstickResult {
  cdrs: number;
  rounds: number;
  bridge: DrainResult[];
  mover: DrainResult[];
  /** Medians over the rounds. */
  bridgeCdrPerSec: number;
  moverCdrPerSec: number;
  bridgeCpuUsPerCdr: number;
  moverCpuUsPerCdr: number;
  /** Median of each round's bridge CDR/s over the mover's. */
  ratio: number;
}

export async function yardstick(stack: BenchStack, cdrs: number, rounds: number, say: (line: string) => void): Promise<YardstickResult> {
  const bridge: DrainResult[] = [];
  const mover: DrainResult[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['bridge', 'mover'] as const) : (['mover', 'bridge'] as const);
    for (const which of order) {
      const d = await drain(stack, { cdrs, ...(which === 'mover' ? { start: { client: 'reliable-mover' } } : {}) });
      (which === 'bridge' ? bridge : mover).push(d);
    }
    const b = bridge[round]!;
    const m = mover[round]!;
    say(`yardstick round ${round + 1}: bridge ${b.cdrPerSec} CDR/s (${b.cpuUsPerCdr.bridge} µs/CDR), mover ${m.cdrPerSec} CDR/s (${m.cpuUsPerCdr.bridge} µs/CDR), ratio ${(b.cdrPerSec / m.cdrPerSec).toFixed(2)}`);
  }
  return {
    cdrs,
    rounds,
    bridge,
    mover,
    bridgeCdrPerSec: Math.round(median(bridge.map((d) => d.cdrPerSec))),
    moverCdrPerSec: Math.round(median(mover.map((d) => d.cdrPerSec))),
    bridgeCpuUsPerCdr: round1(median(bridge.map((d) => d.cpuUsPerCdr.bridge))),
    moverCpuUsPerCdr: round1(median(mover.map((d) => d.cpuUsPerCdr.bridge))),
    ratio: Math.round(median(bridge.map((b, i) => b.cdrPerSec / mover[i]!.cdrPerSec)) * 100) / 100,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
