// decode + encode alone, in this process: µs per CDR of the one-pass encoder (encodeBatch) and
// of the path it replaced (decodePayload, then avsc through the framer), in interleaved rounds
// over the same synthetic backlog, batches of 500 as the bridge takes them; CPU time, so other
// work on the machine moves the figures less. No services.
// `node dist/bench/codec-micro.js [--rounds N] [--cdrs N] [--escaped]` (--escaped: every CDR
// carries a string with a backslash escape, so all take the fallback).

import { decodePayload } from '../src/codec/decode-payload';
import { singleObjectFramer, type Framer } from '../src/codec/framing';
import { encodeBatch } from '../src/codec/encode-batch';
import { median, numberFlag, syntheticBatches } from './stats';

const BATCH = 500;
const SETTINGS = { maxPayloadBytes: 262_144, kafkaKeyField: 'internal_call_ref' as const };

/** The bridge's encodeBatch before issue 10: decodePayload, framer.encode, a message object. */
function previousEncodeBatch(raws: readonly Buffer[], takenAt: number, framer: Framer): number {
  const messages: { key: string | null; value: Buffer; cdrId: string }[] = [];
  for (const raw of raws) {
    const decoded = decodePayload(raw, takenAt, SETTINGS);
    if (!decoded.ok) continue;
    const key = decoded.cdr.internal_call_ref;
    messages.push({ key, value: framer.encode(decoded.cdr), cdrId: decoded.cdr.cdr_id });
  }
  return messages.length;
}

function oneRound(batches: Buffer[][], framer: Framer, which: 'previous' | 'one-pass'): number {
  // CPU time of this process (all threads, GC included), not wall time: the machine is shared.
  const started = process.cpuUsage();
  let published = 0;
  const takenAt = Date.now();
  for (const batch of batches) {
    published += which === 'previous' ? previousEncodeBatch(batch, takenAt, framer) : encodeBatch(batch, takenAt, framer, SETTINGS).messages.length;
  }
  const cdrs = batches.reduce((n, b) => n + b.length, 0);
  if (published !== cdrs) throw new Error(`${which}: ${published} of ${cdrs} CDRs published`);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / cdrs;
}

function main(): void {
  const args = process.argv.slice(2);
  const rounds = numberFlag(args, '--rounds', 10);
  const cdrs = numberFlag(args, '--cdrs', 50_000);
  const escaped = args.includes('--escaped');
  const withEscapes = (text: string): string => text.replace('"NO_ANSWER"', '"NO\\u005fANSWER"').replace('"ANSWERED"', '"ANSWERED\\/"').replace(/,"dial_number"/, ',"note":"a\\tb","dial_number"');
  const batches = syntheticBatches(cdrs, BATCH, escaped ? withEscapes : undefined);
  const framer = singleObjectFramer();
  // Warm both up (JIT) before counting.
  oneRound(batches, framer, 'previous');
  oneRound(batches, framer, 'one-pass');
  const times: Record<'previous' | 'one-pass', number[]> = { previous: [], 'one-pass': [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? (['one-pass', 'previous'] as const) : (['previous', 'one-pass'] as const);
    for (const which of order) times[which].push(oneRound(batches, framer, which));
    process.stdout.write(`round ${round + 1}: previous ${times.previous.at(-1)!.toFixed(2)} µs/CDR, one-pass ${times['one-pass'].at(-1)!.toFixed(2)} µs/CDR\n`);
  }
  const ratios = times.previous.map((p, i) => times['one-pass'][i]! / p);
  process.stdout.write(`median over ${rounds} rounds of ${cdrs} CDRs${escaped ? ' (with escapes)' : ''}: previous ${median(times.previous).toFixed(2)} µs/CDR, one-pass ${median(times['one-pass']).toFixed(2)} µs/CDR, one-pass/previous ${median(ratios).toFixed(3)}\n`);
}

main();
