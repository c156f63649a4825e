// `npm run bench`: starts its own stack (Redis + Kafka on free loopback ports), measures the
// bridge's drain, the Kafka and Redis ceilings, a naive bridge, latency at steady loads,
// memory under a large backlog and throughput against batch size, all in one run so the
// figures can be compared as ratios; prints a table and writes bench/results/latest.*.
// Always takes its stack down, also on Ctrl-C or SIGTERM.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OwnStack } from '../test/support/own-stack';
import { existingStack, type BenchStack } from './bench-stack';
import { ROOT } from '../test/support/bridge-process';
import { payloadSize } from './backlog';
import { kafkaCeiling, redisCeiling } from './ceiling';
import { drain } from './drain';
import { latency } from './latency';
import { describeMachine, loadAverage } from './machine';
import { naiveBridge } from './naive-bridge';
import { parseOptions, runs, UsageError, type BenchOptions } from './options';
import { consoleTable, markdown, ratios, type Results } from './report';
import { throughputChart } from './throughput-chart';
import { yardstick } from './yardstick';

const DEFAULT_BATCH_SIZE = 500;
const CHART_FILE = 'throughput-vs-batch-size.svg';

function say(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

async function bench(o: BenchOptions, stack: BenchStack): Promise<Results> {
  const r: Results = {
    startedAt: new Date().toISOString(),
    quick: o.quick,
    machine: describeMachine(stack.env.KAFKA_VERSION ?? 'unknown'),
    payload: payloadSize(),
    latency: [],
    sweep: [],
    ratios: {},
  };
  say(`average CDR ${r.payload.rawBytes} B raw, ${r.payload.recordBytes} B as a Kafka record`);

  if (runs(o, 'drain')) {
    // The broker's JVM is fresh from the stack start: an uncounted drain first, as
    // ProducerPerformance's ceiling gets a fifth of its records as warm-up. Without it the first
    // counted drain paid the broker's JIT (7.6 µs of broker CPU per CDR instead of ~5).
    const warmUp = Math.max(1, Math.floor(o.cdrs / 5));
    say(`drain: warm-up of ${warmUp} CDRs (not counted)`);
    await drain(stack, { cdrs: warmUp });
    say(`drain: ${o.cdrs} CDRs, default settings`);
    const nodeArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(o.cpuProfDir)}`] : [];
    r.drain = await drain(stack, { cdrs: o.cdrs, start: { nodeArgs } });
    say(`drain: ${r.drain.cdrPerSec} CDR/s (${r.drain.seconds} s), peak RSS ${r.drain.peakRssMiB} MiB, bridge CPU ${r.drain.cpuUsPerCdr.bridge} µs/CDR`);
    // What lz4 costs (CPU, throughput) and buys (bytes the broker stores and replicates).
    say('drain: again with KAFKA_COMPRESSION=lz4');
    r.drainLz4 = await drain(stack, { cdrs: o.cdrs, env: { KAFKA_COMPRESSION: 'lz4' }, start: { nodeArgs } });
    say(`drain: ${r.drainLz4.cdrPerSec} CDR/s, bridge CPU ${r.drainLz4.cpuUsPerCdr.bridge} µs/CDR, ${r.drainLz4.storedBytesPerCdr ?? '?'} B/CDR stored (uncompressed ${r.drain.storedBytesPerCdr ?? '?'})`);
  }
  if (runs(o, 'mover')) {
    if (!runs(o, 'drain')) {
      say(`yardstick: warm-up drain of ${Math.max(1, Math.floor(o.cdrs / 5))} CDRs (not counted)`);
      await drain(stack, { cdrs: Math.max(1, Math.floor(o.cdrs / 5)) });
    }
    say(`yardstick: ${o.moverRounds} rounds of ${o.cdrs} CDRs each, the bridge and the reliable mover (Python + librdkafka) in turns`);
    r.yardstick = await yardstick(stack, o.cdrs, o.moverRounds, say);
    say(`yardstick: bridge / mover ${r.yardstick.ratio} (medians: bridge ${r.yardstick.bridgeCdrPerSec} CDR/s, mover ${r.yardstick.moverCdrPerSec} CDR/s)`);
  }
  if (runs(o, 'ceiling')) {
    const size = String(r.payload.recordBytes);
    say(`ceiling: Kafka ProducerPerformance, ${o.cdrs} records of ${size} B`);
    r.kafkaCeiling = await kafkaCeiling(stack, o.cdrs, r.payload.recordBytes, ['acks=all', 'linger.ms=5', 'batch.size=262144']);
    say(`ceiling: ${r.kafkaCeiling.recordsPerSec} records/s; again with one request in flight, as the bridge sends`);
    r.kafkaCeilingOneInFlight = await kafkaCeiling(stack, o.cdrs, r.payload.recordBytes, ['acks=all', 'linger.ms=5', 'batch.size=262144', 'max.in.flight.requests.per.connection=1']);
    say(`ceiling: ${r.kafkaCeilingOneInFlight.recordsPerSec} records/s; Redis take script, ${o.cdrs} CDRs`);
    r.redisCeiling = await redisCeiling(stack, o.cdrs, DEFAULT_BATCH_SIZE);
    say(`ceiling: Redis take ${r.redisCeiling.takeCdrPerSec} CDR/s, take + ack ${r.redisCeiling.takeAckCdrPerSec} CDR/s`);
  }
  if (runs(o, 'naive')) {
    say(`naive: ${o.naiveCdrs} CDRs`);
    r.naive = await naiveBridge(stack, o.naiveCdrs);
    say(`naive: ${r.naive.cdrPerSec} CDR/s`);
  }
  if (runs(o, 'latency')) {
    for (const rate of o.latencyRates) {
      say(`latency: ${rate} CDR/s for ${o.latencySeconds} s`);
      const l = await latency(stack, rate, o.latencySeconds, o.latencyWarmUpSeconds, r.payload.recordBytes);
      r.latency.push(l);
      say(`latency: LPUSH→appended p50 ${l.appended.p50Ms} ms, p99 ${l.appended.p99Ms} ms; Kafka's producer p99 ${l.kafkaProducer.p99Ms} ms`);
    }
  }
  if (runs(o, 'memory') && o.backlogCdrs > 0) {
    say(`memory: drain of a ${o.backlogCdrs}-CDR backlog`);
    r.backlog = await drain(stack, { cdrs: o.backlogCdrs, progressEveryMs: 2000 });
    say(`memory: peak RSS ${r.backlog.peakRssMiB} MiB, ${r.backlog.cdrPerSec} CDR/s`);
  }
  if (runs(o, 'sweep')) {
    for (const batchSize of o.sweepSizes) {
      say(`sweep: BATCH_SIZE=${batchSize}, ${o.sweepCdrs} CDRs`);
      const d = await drain(stack, { cdrs: o.sweepCdrs, batchSize });
      r.sweep.push(d);
      say(`sweep: ${d.cdrPerSec} CDR/s`);
    }
  }
  r.machine.loadAfter = loadAverage();
  r.ratios = ratios(r);
  return r;
}

function write(o: BenchOptions, r: Results): void {
  const dir = path.resolve(ROOT, o.resultsDir);
  mkdirSync(dir, { recursive: true });
  let chart: string | undefined;
  if (r.sweep.length > 1) {
    const lines = [];
    if (r.kafkaCeiling) lines.push({ label: 'Kafka ceiling', value: r.kafkaCeiling.recordsPerSec });
    if (r.redisCeiling) lines.push({ label: 'Redis take + ack', value: r.redisCeiling.takeAckCdrPerSec });
    const title = `cdr-bridge drain throughput against batch size (${r.sweep[0]!.cdrs.toLocaleString('en-US')} CDRs, ${r.machine.nproc} cores)`;
    writeFileSync(path.join(dir, CHART_FILE), throughputChart(title, r.sweep.map((s) => ({ batchSize: Number(s.batchSize), cdrPerSec: s.cdrPerSec })), lines));
    chart = CHART_FILE;
  }
  writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(path.join(dir, 'latest.md'), markdown(r, chart));
  say(`wrote ${path.relative(ROOT, dir)}/latest.json, latest.md${chart ? `, ${chart}` : ''}`);
}

async function main(): Promise<number> {
  let o: BenchOptions;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`bench: ${err.message}\n`);
    process.stderr.write(`${err.usage}\n`);
    return 2;
  }
  let stack: BenchStack;
  if (o.stackDir) {
    say(`using the stack in ${o.stackDir} (left up)`);
    stack = existingStack(o.stackDir);
  } else {
    say('starting a stack of its own (Redis + Kafka on free loopback ports)');
    stack = await OwnStack.up();
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: taking the stack down`);
    // process.exit runs the exit hooks that SIGKILL the bridge and Java children.
    void stack.down().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const r = await bench(o, stack);
    process.stdout.write(`\n${consoleTable(r)}\n\n`);
    write(o, r);
    return 0;
  } finally {
    say(o.stackDir ? `leaving the stack in ${o.stackDir} up` : 'taking the stack down');
    await stack.down();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bench: failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
