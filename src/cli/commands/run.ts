// `cdr-bridge run`: the sidecar itself. Wires config → Redis, Kafka, codec → the bridge loop,
// and turns SIGTERM/SIGINT into a bounded, clean shutdown.

import { Command } from 'commander';
import { Bridge } from '../../bridge/bridge';
import { describeConfig } from '../../config/config';
import { singleObjectFramer } from '../../codec/framing';
import { createLogger } from '../../log';
import { KafkaSink } from '../../sink/kafka-sink';
import { Lease } from '../../source/lease';
import { connectRedis } from '../../source/redis-connection';
import { ReliableList } from '../../source/reliable-list';
import { configOf, withSettings } from '../options';
import { pause, backoffMs } from '../../bridge/backoff';
import type { Logger } from '../../log';

export function runCommand(): Command {
  return withSettings(new Command('run'))
    .description('run the bridge: move every CDR from the Redis list into Kafka (leader or hot standby)')
    .action(async (_opts, cmd: Command) => {
      const config = configOf(cmd);
      const log = createLogger(config.logLevel);
      log.info({ config: describeConfig(config) }, 'starting cdr-bridge');

      const redis = connectRedis(config, 'cdr-bridge', log);
      const blocking = connectRedis(config, 'cdr-bridge-take', log);
      const list = new ReliableList(redis, blocking, {
        source: config.sourceKey,
        processing: config.processingKey,
        deadLetter: config.deadLetterKey,
        lease: config.leaseKey,
      });
      const lease = new Lease(redis, config.leaseKey, config.leaseTtlMs);
      const sink = new KafkaSink(config, log);
      const bridge = new Bridge({ list, lease, sink, framer: singleObjectFramer() }, config, log);

      let deadline: NodeJS.Timeout | undefined;
      const onSignal = (signal: NodeJS.Signals): void => {
        log.info({ signal }, 'signal received');
        bridge.stop();
        deadline ??= setTimeout(() => {
          log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out: exiting with the batch in flight left in the processing list (the next leader recovers it)');
          process.exit(1);
        }, config.shutdownTimeoutMs);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);

      try {
        redis.connect().catch(() => undefined);
        blocking.connect().catch(() => undefined);
        await list.checkKeyTypes();
        const warning = await list.persistenceWarning();
        if (warning) log.warn(warning);
        await connectKafka(sink, log, () => bridge.stopped);
        await bridge.run();
      } finally {
        await sink.disconnect().catch(() => undefined);
        redis.disconnect();
        blocking.disconnect();
        if (deadline) clearTimeout(deadline);
      }
      log.info('stopped cleanly');
    });
}

/** Waits for the broker at start: an unreachable Kafka is retried, not a crash. */
async function connectKafka(sink: KafkaSink, log: Logger, stopped: () => boolean): Promise<void> {
  for (let attempt = 0; !stopped(); attempt++) {
    try {
      await sink.connect();
      if (attempt > 0) log.info('kafka reachable');
      return;
    } catch (err) {
      if (attempt === 0) log.warn({ err: (err as Error).message }, 'kafka unreachable at start; retrying');
      await pause(backoffMs(attempt, 200, 5000));
    }
  }
}
