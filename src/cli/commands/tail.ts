// `cdr-bridge tail`: reads the topic and prints each CDR decoded, one JSON object per line —
// the first tool a downstream team reaches for. Decodes both framings the bridge writes.

import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { decodeMessage } from '../../codec/framing';
import { SchemaRegistry } from '../../codec/schema-registry';
import { WriterSchemas } from '../../codec/writer-schemas';
import { createLogger } from '../../log';
import { kafkaClient } from '../../sink/kafka-sink';
import { UsageError } from '../../errors';
import { kafkaUnreachable } from '../connections';
import { configOf, KAFKA_SETTINGS, REGISTRY_SETTINGS, withSettings } from '../options';

export function tailCommand(): Command {
  return withSettings(new Command('tail'), [...KAFKA_SETTINGS, 'kafkaTopic', ...REGISTRY_SETTINGS])
    .description('print CDRs from the topic, decoded, one JSON object per line')
    .option('--from-beginning', 'start at the oldest record instead of new ones')
    .addOption(new Option('--count <n>', 'stop after n records').argParser((v) => {
      if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw new UsageError(`--count must be a positive integer, got "${v}"`);
      return Number(v);
    }))
    .option('--with-meta', 'wrap each CDR with its partition, offset and key')
    .action(async (opts: { fromBeginning?: boolean; count?: number; withMeta?: boolean }, cmd: Command) => {
      const config = configOf(cmd);
      const log = createLogger('warn');
      const kafka = kafkaClient(config, log);
      const groupId = `cdr-bridge-tail-${randomBytes(4).toString('hex')}`;
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
      // With a registry, Confluent-framed values are read with the writer schema their id names.
      const writers = config.schemaRegistryUrl !== undefined ? new WriterSchemas(new SchemaRegistry({ ...config, schemaRegistryUrl: config.schemaRegistryUrl })) : undefined;
      let printed = 0;
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => (resolveDone = r));
      const stop = (): void => resolveDone();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await consumer.connect();
      } catch (err) {
        await consumer.disconnect().catch(() => undefined);
        throw await kafkaUnreachable(config, err);
      }
      try {
        await consumer.subscribe({ topic: config.kafkaTopic, fromBeginning: Boolean(opts.fromBeginning) });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (opts.count !== undefined && printed >= opts.count) return;
            let line: unknown;
            try {
              const value = message.value ?? Buffer.alloc(0);
              await writers?.prefetch(value);
              const cdr = decodeMessage(value, writers?.lookup);
              line = opts.withMeta ? { partition, offset: message.offset, key: message.key?.toString() ?? null, cdr } : cdr;
            } catch (err) {
              line = { partition, offset: message.offset, error: (err as Error).message };
            }
            process.stdout.write(`${JSON.stringify(line)}\n`);
            printed++;
            if (opts.count !== undefined && printed >= opts.count) stop();
          },
        });
        await done;
      } finally {
        await consumer.disconnect().catch(() => undefined);
        const admin = kafka.admin();
        await admin.connect().then(() => admin.deleteGroups([groupId])).catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
      }
    });
}
