// The benchmark's results: one object, printed as a table, written as latest.json and
// latest.md (with the machine it ran on, so a figure is never quoted without its context).

import type { PayloadSize } from './backlog';
import type { KafkaCeiling, RedisCeiling } from './ceiling';
import type { DrainResult } from './drain';
import type { LatencyResult, Percentiles } from './latency';
import type { Machine } from './machine';
import type { NaiveResult } from './naive-bridge';
import type { YardstickResult } from './yardstick';

export interface Results {
  startedAt: string;
  quick: boolean;
  machine: Machine;
  payload: PayloadSize;
  drain?: DrainResult;
  /** The same drain with the bench-only kafkajs sink (the product's producer before). */
  drainKafkajs?: DrainResult;
  /** The same drain with KAFKA_COMPRESSION=lz4. */
  drainLz4?: DrainResult;
  /** The bridge and the reliable mover (bench/reliable-mover.py) draining in turns. */
  yardstick?: YardstickResult;
  kafkaCeiling?: KafkaCeiling;
  kafkaCeilingOneInFlight?: KafkaCeiling;
  redisCeiling?: RedisCeiling;
  naive?: NaiveResult;
  latency: LatencyResult[];
  backlog?: DrainResult;
  sweep: DrainResult[];
  ratios: { drainOverKafkaCeiling?: number; drainOverNaive?: number; drainOverRedisTakeAck?: number; drainOverKafkajs?: number; lz4OverDrain?: number; lz4StoredOverDrain?: number };
}

export function ratios(r: Results): Results['ratios'] {
  const d = r.drain?.cdrPerSec;
  const out: Results['ratios'] = {};
  if (d === undefined) return out;
  if (r.kafkaCeiling) out.drainOverKafkaCeiling = round2(d / r.kafkaCeiling.recordsPerSec);
  if (r.naive) out.drainOverNaive = round2(d / r.naive.cdrPerSec);
  if (r.redisCeiling) out.drainOverRedisTakeAck = round2(d / r.redisCeiling.takeAckCdrPerSec);
  if (r.drain && r.drainKafkajs) out.drainOverKafkajs = round2(r.drain.cdrPerSec / r.drainKafkajs.cdrPerSec);
  if (r.drainLz4) out.lz4OverDrain = round2(r.drainLz4.cdrPerSec / d);
  const stored = r.drain?.storedBytesPerCdr;
  const storedLz4 = r.drainLz4?.storedBytesPerCdr;
  if (stored !== undefined && storedLz4 !== undefined) out.lz4StoredOverDrain = round2(storedLz4 / stored);
  return out;
}

/** Rows of [what, figure, note] for the console and Markdown tables. */
function rows(r: Results): [string, string, string][] {
  const out: [string, string, string][] = [];
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  const cpu = (d: DrainResult): string => `CPU µs/CDR: bridge ${d.cpuUsPerCdr.bridge}, Redis ${d.cpuUsPerCdr.redis}, broker ${d.cpuUsPerCdr.kafka}`;
  const stored = (d: DrainResult): string => (d.storedBytesPerCdr === undefined ? '' : `; ${d.storedBytesPerCdr} B/CDR on the broker's disk`);
  if (r.drain) {
    out.push(['drain (cdr-bridge run, defaults)', `${n(r.drain.cdrPerSec)} CDR/s`, `${n(r.drain.cdrs)} CDRs in ${r.drain.seconds} s after an uncounted fifth as warm-up, ${r.drain.mbPerSec} MB/s raw JSON, peak RSS ${r.drain.peakRssMiB} MiB; ${cpu(r.drain)}${stored(r.drain)}`]);
  }
  if (r.drainKafkajs) {
    const d = r.drainKafkajs;
    out.push(['drain, kafkajs producer (bench only)', `${n(d.cdrPerSec)} CDR/s`, `same bridge loop on the product's former Kafka client; ${d.mbPerSec} MB/s; ${cpu(d)}`]);
  }
  if (r.drainLz4) {
    const d = r.drainLz4;
    out.push(['drain, KAFKA_COMPRESSION=lz4', `${n(d.cdrPerSec)} CDR/s`, `${d.mbPerSec} MB/s raw JSON, peak RSS ${d.peakRssMiB} MiB; ${cpu(d)}${stored(d)}`]);
  }
  if (r.kafkaCeiling) {
    const k = r.kafkaCeiling;
    const broker = k.brokerCpuUsPerRecord === undefined ? '' : `; broker CPU ${k.brokerCpuUsPerRecord} µs/record`;
    out.push(['ceiling: Kafka ProducerPerformance', `${n(k.recordsPerSec)} rec/s`, `${n(k.records)} × ${k.recordSize} B after a fifth as warm-up, ${k.props}, ${k.mbPerSec} MB/s${broker}`]);
  }
  if (r.kafkaCeilingOneInFlight) {
    const k = r.kafkaCeilingOneInFlight;
    out.push(['ceiling: Kafka, one request in flight', `${n(k.recordsPerSec)} rec/s`, k.props]);
  }
  if (r.redisCeiling) {
    const c = r.redisCeiling;
    out.push(['ceiling: Redis take script alone', `${n(c.takeCdrPerSec)} CDR/s`, `${n(c.cdrs)} CDRs, batches of ${c.batchSize}`]);
    out.push(['ceiling: Redis take + ack', `${n(c.takeAckCdrPerSec)} CDR/s`, 'the bridge\'s whole Redis side']);
  }
  if (r.yardstick) {
    const y = r.yardstick;
    const each = (ds: DrainResult[]): string => ds.map((d) => n(d.cdrPerSec)).join(', ');
    out.push(['reliable mover (Python + librdkafka, raw JSON)', `${n(y.moverCdrPerSec)} CDR/s`, `median of ${y.rounds} drains of ${n(y.cdrs)} (${each(y.mover)}); Lua take, acks=all idempotent, flush, LTRIM; no decode, no Avro, no key; CPU ${y.moverCpuUsPerCdr} µs/CDR (its own process)`]);
    out.push(['  the bridge in the same rounds', `${n(y.bridgeCdrPerSec)} CDR/s`, `median of ${y.rounds} (${each(y.bridge)}), alternating which drains first; CPU ${y.bridgeCpuUsPerCdr} µs/CDR`]);
    out.push(['ratio bridge / reliable mover', `${y.ratio}×`, 'median of the per-round ratios (target ≥ 0.8)']);
    out.push(['  the bridge with ENCODE_THREAD=true, same rounds', `${n(y.threadedCdrPerSec)} CDR/s`, `median of ${y.rounds} (${each(y.threaded)}); CPU ${y.threadedCpuUsPerCdr} µs/CDR (both threads)`]);
    out.push(['ratio ENCODE_THREAD=true / default', `${y.threadedRatio}×`, 'median of the per-round ratios: what a worker thread buys on this machine']);
  }
  if (r.naive) out.push(['naive bridge (1 CDR per round trip)', `${n(r.naive.cdrPerSec)} CDR/s`, `${n(r.naive.cdrs)} CDRs in ${r.naive.seconds} s`]);
  if (r.ratios.drainOverKafkaCeiling !== undefined) out.push(['ratio drain / Kafka ceiling', `${r.ratios.drainOverKafkaCeiling}`, '']);
  if (r.ratios.drainOverRedisTakeAck !== undefined) out.push(['ratio drain / Redis take+ack', `${r.ratios.drainOverRedisTakeAck}`, '']);
  if (r.ratios.drainOverKafkajs !== undefined) out.push(['ratio drain / drain on kafkajs', `${r.ratios.drainOverKafkajs}×`, '']);
  if (r.ratios.lz4OverDrain !== undefined) out.push(['ratio lz4 drain / drain', `${r.ratios.lz4OverDrain}×`, 'throughput with KAFKA_COMPRESSION=lz4 against none']);
  if (r.ratios.lz4StoredOverDrain !== undefined) out.push(['ratio lz4 stored / stored', `${r.ratios.lz4StoredOverDrain}`, 'bytes the broker writes (and replicates, and consumers fetch) per CDR with lz4 against none']);
  if (r.ratios.drainOverNaive !== undefined) out.push(['ratio drain / naive', `${r.ratios.drainOverNaive}×`, '']);
  const ms = (p: Percentiles): string => `p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, max ${p.maxMs} ms`;
  for (const l of r.latency) {
    out.push([`latency LPUSH→appended at ${n(l.rate)} CDR/s`, ms(l.appended), `${n(l.counted)} CDRs over ${l.seconds} s (offered ${n(l.achievedRate)}/s); ≈ confirmed`]);
    out.push([`  Kafka's Java producer at ${n(l.rate)}/s`, ms(l.kafkaProducer), 'send→acked, linger.ms=0: the broker\'s share']);
  }
  if (r.drain) out.push(['peak RSS, drain', `${r.drain.peakRssMiB} MiB`, `${n(r.drain.cdrs)}-CDR backlog`]);
  if (r.backlog) {
    const b = r.backlog;
    const rss = (b.progress ?? []).map((p) => p.rssMiB).filter((x) => x > 0);
    const range = rss.length > 0 ? `RSS ${Math.min(...rss)}–${Math.max(...rss)} MiB while the backlog fell from ${n(b.cdrs)} to 0` : '';
    out.push([`peak RSS, ${n(b.cdrs)}-CDR backlog`, `${b.peakRssMiB} MiB`, `drained at ${n(b.cdrPerSec)} CDR/s; ${range}; ${cpu(b)}`]);
  }
  for (const s of r.sweep) out.push([`sweep BATCH_SIZE=${s.batchSize}`, `${n(s.cdrPerSec)} CDR/s`, `${n(s.cdrs)} CDRs`]);
  return out;
}

export function consoleTable(r: Results): string {
  const all = rows(r);
  const w0 = Math.max(...all.map((x) => x[0].length));
  const w1 = Math.max(...all.map((x) => x[1].length));
  return all.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`).join('\n');
}

export function markdown(r: Results, chartFile: string | undefined): string {
  const m = r.machine;
  const lines = [
    `# cdr-bridge benchmark${r.quick ? ' (quick run)' : ''}`,
    '',
    `Run ${r.startedAt} on ${m.nproc} cores (${m.cpu}), ${m.memGiB} GiB, Node ${m.node}, Kafka ${m.kafka}, Redis ${m.redis}; load average ${m.loadBefore} before, ${m.loadAfter} after (the machine is shared: compare figures of one run, as ratios).`,
    `Average CDR: ${r.payload.rawBytes} B of JSON; Kafka record ${r.payload.recordBytes} B (framed Avro value ${r.payload.valueBytes} B + key + cdr-id header).`,
    '',
    '| what | figure | notes |',
    '|---|---|---|',
    ...rows(r).map(([a, b, c]) => `| ${a} | ${b} | ${c} |`),
    '',
    'Latency is timed from the LPUSH stamp in each CDR to the broker\'s LogAppendTime (the latency topic uses message.timestamp.type=LogAppendTime). With one replica the broker answers the acks=all request right after appending, so this is LPUSH → confirmed less the reply\'s sub-millisecond trip back; the broker stamps whole milliseconds (truncated), so the middle of its millisecond is taken (±0.5 ms). The stamps are read after the run, so no reader competes for the CPU meanwhile. Kafka\'s own Java producer at the same rate (send → acknowledged, linger.ms=0) shows what the broker alone costs on this machine in this run.',
  ];
  if (chartFile) lines.push('', `![throughput against batch size](${chartFile})`);
  return `${lines.join('\n')}\n`;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
