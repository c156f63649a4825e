// Small helpers the benchmark scripts share: the median of a set of figures, and for the
// service-free micro-benchmarks their numeric flags and the synthetic backlog in take-sized batches.

import { takeSynthetic } from '../src/simulate/synthetic-cdrs';

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `--name N` from the command line, or `fallback`. */
export function numberFlag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i < 0 ? fallback : Number(args[i + 1]);
}

/** `cdrs` synthetic dialler CDRs (seed 1), each as `edit` leaves its text, in batches of `batchSize`. */
export function syntheticBatches(cdrs: number, batchSize: number, edit: (text: string) => string = (t) => t): Buffer[][] {
  const raws = takeSynthetic(cdrs, { seed: 1, withoutSeq: true }).map((text) => Buffer.from(edit(text)));
  const batches: Buffer[][] = [];
  for (let i = 0; i < raws.length; i += batchSize) batches.push(raws.slice(i, i + batchSize));
  return batches;
}
