// `cdr-bridge run`: the sidecar itself. Wires config → Redis, Kafka, codec → the bridge loop,
// and turns SIGTERM, SIGINT and SIGHUP into a bounded, clean shutdown.

import { Command } from 'commander';
import { Bridge } from '../../bridge/bridge';
import { describeConfig, provenanceOf } from '../../config/config';
import { checkFailpoint } from '../../config/consistency';
import { describeUnknown } from '../../config/unknown-names';
import { MessageFraming } from '../../bridge/message-framing';
import { EncodeThread } from '../../codec/encode-pool';
import { createLogger } from '../../log';
import { openAdmin } from '../../sink/kafka-client';
import { innermostMessage } from '../../sink/kafka-error';
import { KafkaSink } from '../../sink/kafka-sink';
import { brokerCount } from '../../sink/topic-admin';
import { startHttpServer, type OpsHttpServer } from '../../ops/http-server';
import { KafkaProbe } from '../../ops/kafka-probe';
import { BridgeMetrics } from '../../ops/metrics';
import type { BridgeObserver } from '../../bridge/observer';
import { Lease } from '../../source/lease';
import { connectRedis } from '../../source/redis-connection';
import { conditionText, REDIS_CONDITIONS } from '../../source/redis-condition';
import { RedisConditionWatch } from '../../source/redis-condition-watch';
import { ReliableList } from '../../source/reliable-list';
import { configOf, withSettings } from '../options';
import { pause, backoffMs, untilSuccess } from '../../bridge/backoff';
import { OperationError, WrongKeyTypeError } from '../../errors';
import type Redis from 'ioredis';
import type { CheckResult } from '../../check';
import type { Config } from '../../config/config';
import { examine, remember, report } from '../../bridge/doctor';
import { MEMORY_CHECK } from '../../source/redis-checks';
import { readRedisMemory } from '../../source/redis-memory';
import type { Logger } from '../../log';

export function runCommand(): Command {
  return withSettings(new Command('run'))
    .description('run the bridge: move every CDR from the Redis list into Kafka exactly once, in transactions (leader, or hot standby while another leads)')
    .action(async (_opts, cmd: Command) => {
      const config = configOf(cmd, undefined, 'caller');
      checkFailpoint(config);
      const log = createLogger(config.logLevel);
      const { envFile, from, unknown } = provenanceOf(config);
      // One line: the settings, the .env file read (null: none) and where each non-default setting came from.
      log.info({ config: describeConfig(config), envFile, from }, 'starting cdr-bridge');
      for (const u of unknown) log.warn({ variable: u.name, in: u.where, didYouMean: u.suggestion }, describeUnknown(u));
      if (config.failpoint !== undefined) log.warn({ failpoint: config.failpoint }, `TEST ONLY: failpoint ${config.failpoint} armed (CDR_BRIDGE_TEST_FAILPOINTS): this bridge will ${config.failpoint.startsWith('crash-') ? 'kill' : 'freeze'} itself on purpose`);

      const metrics = new BridgeMetrics({ listLengths: () => list.lengths(), redisMemoryRatio: async () => (await readRedisMemory(redis)).ratio, redisConditions: REDIS_CONDITIONS });
      // What Redis refuses (READONLY, BUSY, …) is logged once per condition, counted, and keeps /readyz at 503.
      const conditions = new RedisConditionWatch(log, {
        changed: (condition, active) => metrics.redisCondition(condition, active, conditionText(condition).action),
        refused: (condition) => metrics.redisRefused(condition),
      });
      conditions.watchCommands();
      // The main connection speaks for Redis in readiness; the blocking one reaches the same server.
      const redis = connectRedis(config, 'cdr-bridge', log, { onState: (up) => metrics.redisUp(up), conditions });
      const blocking = connectRedis(config, 'cdr-bridge-take', log, { conditions });
      const list = new ReliableList(redis, blocking, {
        source: config.sourceKey,
        processing: config.processingKey,
        deadLetter: config.deadLetterKey,
        lease: config.leaseKey,
      }, { replicas: config.redisWaitReplicas, timeoutMs: config.redisWaitTimeoutMs });
      const lease = new Lease(redis, config.leaseKey, config.leaseTtlMs);
      const sink = new KafkaSink(config, log);
      const framer = new MessageFraming(config, log);
      const encodeThread = config.encodeThread ? new EncodeThread(config, log) : undefined;
      const bridge = new Bridge({ list, lease, sink, framer, encodeThread }, config, log, metrics);
      // Its own client without retries: a probe should fail fast, the next one is 5 s away.
      // Made before the HTTP endpoints listen: loading the client library blocks the event loop
      // for seconds on a busy host, which must not stall /healthz and /readyz answers.
      const probeAdmin = await openAdmin(config, { retries: 0 });
      const probeKafka = async (): Promise<void> => {
        await brokerCount(probeAdmin);
      };
      const kafkaProbe = new KafkaProbe(probeKafka, (up) => metrics.kafkaProbed(up));
      let http: OpsHttpServer | undefined;

      let deadline: NodeJS.Timeout | undefined;
      const onSignal = (signal: NodeJS.Signals): void => {
        log.info({ signal }, 'signal received');
        bridge.stop();
        deadline ??= setTimeout(() => {
          log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out: exiting with the batch in flight left in the processing list (the next leader recovers it)');
          process.exit(1);
        }, config.shutdownTimeoutMs);
      };
      // SIGHUP too (a closed terminal, some supervisors): Node's default would exit 129 with the
      // lease left held until it expires. There is nothing to reload, so it stops the bridge cleanly.
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      process.on('SIGHUP', onSignal);

      try {
        http = await startHttpServer(config, metrics, log);
        redis.connect().catch(() => undefined);
        blocking.connect().catch(() => undefined);
        await untilSuccess(() => list.checkKeyTypes(), {
          isFatal: (err) => err instanceof WrongKeyTypeError,
          onFirstFailure: (err) => log.warn({ err: err.message }, 'cannot check the Redis keys yet; retrying'),
          signal: bridge.stopSignalOf,
        }).catch((err: unknown) => {
          // Stopped while still waiting for Redis at start: nothing was taken, a clean exit.
          if (!bridge.stopped) throw err;
        });
        if (bridge.stopped) return;
        await untilKafkaAnswers(probeKafka, log, () => bridge.stopped, metrics);
        if (bridge.stopped) return;
        await checkBeforeStart(config, redis, log, () => bridge.stopped);
        if (bridge.stopped) return;
        await framer.prepare(() => bridge.stopped);
        await untilKafkaAnswers(async () => {
          await sink.connect();
          metrics.kafkaUp(true);
        }, log, () => bridge.stopped, metrics);
        kafkaProbe.start();
        await bridge.run();
      } finally {
        kafkaProbe.stop();
        await probeAdmin.close().catch(() => undefined);
        await http?.close();
        await sink.disconnect().catch(() => undefined);
        await encodeThread?.close();
        redis.disconnect();
        blocking.disconnect();
        conditions.close();
        if (deadline) clearTimeout(deadline);
      }
      log.info('stopped cleanly');
    });
}

/**
 * Retries a first call to the brokers at start (waiting for them without touching anything, then
 * connecting the producer and creating the topics): an unreachable Kafka is waited for, not a
 * crash, and said once.
 */
async function untilKafkaAnswers(call: () => Promise<void>, log: Logger, stopped: () => boolean, observer: BridgeObserver): Promise<void> {
  for (let attempt = 0; !stopped(); attempt++) {
    try {
      await call();
      if (attempt > 0) log.info('kafka reachable');
      return;
    } catch (err) {
      if (attempt === 0) log.warn({ err: innermostMessage(err) }, 'kafka unreachable at start; retrying');
      observer.retried('connect');
      await pause(backoffMs(attempt, 200, 5000));
    }
  }
}

/**
 * The doctor's checks, before anything is touched: a FAIL refuses the start with one line
 * naming the check (exit 1), each warning is logged once, and the result is kept for
 * `status`. A service that drops out meanwhile is waited for; an unreachable schema registry
 * is left to the framing, which waits for it and logs it as before.
 */
async function checkBeforeStart(config: Config, redis: Redis, log: Logger, stopped: () => boolean): Promise<void> {
  for (let attempt = 0; !stopped(); attempt++) {
    const checks = (await examine(config, { client: redis })).filter((c) => !(c.name === 'registry' && c.unreachable));
    const lost = checks.find((c) => c.unreachable);
    if (lost) {
      if (attempt === 0) log.warn({ check: lost.name, found: lost.found }, 'checks at start: a service dropped out; retrying');
      await pause(backoffMs(attempt, 200, 5000));
      continue;
    }
    await remember(redis, config, report(checks, 'run'));
    // A full Redis is a FAIL for doctor (the dialler's pushes are refused) but the bridge is
    // what drains it: start, and say so once.
    const failed = checks.filter((c) => c.verdict === 'FAIL' && c.name !== MEMORY_CHECK);
    if (failed.length > 0) {
      const [first] = failed as [CheckResult, ...CheckResult[]];
      const more = failed.length > 1 ? ` (and ${failed.length - 1} more FAIL: see \`cdr-bridge doctor\`)` : '';
      throw new OperationError('DOCTOR_FAIL', `refusing to start: check ${first.name} FAIL: ${first.found}${first.action ? ` — ${first.action}` : ''}${more}`);
    }
    for (const c of checks.filter((x) => x.verdict === 'warn' || x.name === MEMORY_CHECK && x.verdict === 'FAIL')) log.warn({ check: c.name, action: c.action }, `${c.name}: ${c.found}`);
    return;
  }
}
