// Would a worker thread pay? The bridge's decode + encode of a batch (encodeBatch) on its main
// thread, against the same batches through ENCODE_THREAD's worker (src/codec/encode-pool.ts:
// one message per batch, payloads and values each in one transferred buffer), with one batch
// encoded ahead as the bridge does, over the same synthetic backlog in batches of 500, in
// interleaved rounds. Per mode: CPU µs per CDR on the main thread (process.threadCpuUsage) and
// in the whole process (all threads, GC included), and CDR/s of the encode alone. What the main
// thread saves is what the thread can add to a drain where a core is free; what the process
// spends in all is what it costs where none is. No services.
// `node dist/bench/worker-codec.js [--rounds N] [--cdrs N]`

import os from 'node:os';
import { encodeBatch, type EncodedBatch } from '../src/codec/encode-batch';
import { EncodeThread } from '../src/codec/encode-pool';
import { singleObjectFramer } from '../src/codec/framing';
import { median, numberFlag, syntheticBatches } from './stats';

const BATCH = 500;
const SETTINGS = { maxPayloadBytes: 262_144, kafkaKeyField: 'internal_call_ref' as const };
const MODES = ['main thread', 'ENCODE_THREAD'] as const;
type Mode = (typeof MODES)[number];

interface Figures {
  mainUs: number;
  processUs: number;
  cdrPerSec: number;
}

async function encodeAll(batches: Buffer[][], mode: Mode, thread: EncodeThread): Promise<number> {
  const framer = singleObjectFramer();
  let published = 0;
  const count = (b: EncodedBatch): void => {
    // What the sink reads of each message.
    for (const m of b.messages) published += m.value.length > 0 && m.cdrIdBytes.length === 64 ? 1 : 0;
  };
  if (mode === 'main thread') {
    for (const batch of batches) count(encodeBatch(batch, Date.now(), framer, SETTINGS));
    return published;
  }
  // One batch ahead, as the bridge takes and encodes the next while it sends this one.
  let ahead: Promise<EncodedBatch> | undefined;
  for (const batch of batches) {
    const next = thread.encode(batch, Date.now(), framer);
    if (ahead) count(await ahead);
    ahead = next;
  }
  if (ahead) count(await ahead);
  return published;
}

async function oneRound(batches: Buffer[][], mode: Mode, thread: EncodeThread): Promise<Figures> {
  const cdrs = batches.reduce((n, b) => n + b.length, 0);
  const wall = process.hrtime.bigint();
  const main = process.threadCpuUsage();
  const all = process.cpuUsage();
  const published = await encodeAll(batches, mode, thread);
  const usedMain = process.threadCpuUsage(main);
  const usedAll = process.cpuUsage(all);
  const seconds = Number(process.hrtime.bigint() - wall) / 1e9;
  if (published !== cdrs) throw new Error(`${mode}: ${published} of ${cdrs} CDRs encoded`);
  return { mainUs: (usedMain.user + usedMain.system) / cdrs, processUs: (usedAll.user + usedAll.system) / cdrs, cdrPerSec: cdrs / seconds };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rounds = numberFlag(args, '--rounds', 9);
  const cdrs = numberFlag(args, '--cdrs', 100_000);
  const batches = syntheticBatches(cdrs, BATCH);
  const thread = new EncodeThread(SETTINGS);
  try {
    for (const mode of MODES) await oneRound(batches, mode, thread); // JIT warm-up, not counted
    const figures: Record<Mode, Figures[]> = { 'main thread': [], ENCODE_THREAD: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...MODES].reverse() : MODES;
      const line: string[] = [];
      for (const mode of order) {
        const f = await oneRound(batches, mode, thread);
        figures[mode].push(f);
        line.push(`${mode}: main ${f.mainUs.toFixed(2)} / all ${f.processUs.toFixed(2)} µs/CDR, ${Math.round(f.cdrPerSec)} CDR/s`);
      }
      process.stdout.write(`round ${round + 1}: ${line.join('; ')}\n`);
    }
    const base = figures['main thread'];
    process.stdout.write(`\nmedians over ${rounds} rounds of ${cdrs} CDRs (batches of ${BATCH}), ${os.availableParallelism()} cores, Node ${process.versions.node}:\n`);
    process.stdout.write('| encode on | main thread µs/CDR | all threads µs/CDR | CDR/s (encode alone) | main thread / main-thread mode |\n|---|---|---|---|---|\n');
    for (const mode of MODES) {
      const fs = figures[mode];
      const ratio = median(fs.map((f, i) => f.mainUs / base[i]!.mainUs));
      process.stdout.write(`| ${mode} | ${median(fs.map((f) => f.mainUs)).toFixed(2)} | ${median(fs.map((f) => f.processUs)).toFixed(2)} | ${Math.round(median(fs.map((f) => f.cdrPerSec))).toLocaleString('en-US')} | ${ratio.toFixed(2)} |\n`);
    }
  } finally {
    await thread.close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`worker-codec: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
