// Bench only: the real bridge loop (src/bridge/bridge.ts) with its real Redis side, publishing
// through KafkajsSink (kafkajs's producer, as the product did before) — so the drain can compare
// the two Kafka clients with everything else equal. Configured by the same environment as `cdr-bridge run`; stops
// cleanly on SIGTERM. No metrics endpoint (the benchmark reads none).

import { Bridge } from '../src/bridge/bridge';
import { singleObjectFramer } from '../src/codec/framing';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/log';
import { Lease } from '../src/source/lease';
import { connectRedis } from '../src/source/redis-connection';
import { ReliableList } from '../src/source/reliable-list';
import { KafkajsSink } from './kafkajs-sink';

async function main(): Promise<void> {
  const config = loadConfig({ env: process.env });
  const log = createLogger(config.logLevel, 'cdr-bridge-bench');
  const redis = connectRedis(config, 'bench-bridge', log);
  const blocking = connectRedis(config, 'bench-bridge-take', log);
  await Promise.all([redis.connect(), blocking.connect()]);
  const list = new ReliableList(redis, blocking, { source: config.sourceKey, processing: config.processingKey, deadLetter: config.deadLetterKey, lease: config.leaseKey });
  const lease = new Lease(redis, config.leaseKey, config.leaseTtlMs);
  const sink = new KafkajsSink(config, log);
  await sink.connect();
  const bridge = new Bridge({ list, lease, sink, framer: singleObjectFramer() }, config, log);
  process.on('SIGTERM', () => bridge.stop());
  process.on('SIGINT', () => bridge.stop());
  try {
    await bridge.run();
  } finally {
    await sink.disconnect().catch(() => undefined);
    redis.disconnect();
    blocking.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`kafkajs bridge failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
