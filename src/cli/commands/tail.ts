// `cdr-bridge tail`: reads the topic and prints each CDR decoded, one JSON object per line —
// the first tool a downstream team reaches for. Decodes both framings the bridge writes.

import { Command, Option } from 'commander';
import { decodeMessage } from '../../codec/framing';
import { SchemaRegistry } from '../../codec/schema-registry';
import { WriterSchemas } from '../../codec/writer-schemas';
import { BridgeError, ConfigError, OperationError, UnknownTopicError, UsageError } from '../../errors';
import { TopicReader } from '../../sink/topic-reader';
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
      // With a registry, Confluent-framed values are read with the writer schema their id names.
      const writers = config.schemaRegistryUrl !== undefined ? new WriterSchemas(new SchemaRegistry({ ...config, schemaRegistryUrl: config.schemaRegistryUrl })) : undefined;
      let printed = 0;
      const done = new AbortController();
      const stop = (): void => done.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let reader: TopicReader;
      let from: Map<number, bigint>;
      try {
        // A reader asks the brokers about the topic without ever having them create it: a
        // misspelled name is refused here, and no topic of that name appears.
        reader = await TopicReader.open(config, config.kafkaTopic);
      } catch (err) {
        if (err instanceof UnknownTopicError) {
          throw new ConfigError('KAFKA_TOPIC', `topic "${config.kafkaTopic}" does not exist on Kafka at ${config.kafkaBrokers.join(',')} (tail reads a topic, it never creates one: check the name)`);
        }
        throw await kafkaUnreachable(config, err);
      }
      try {
        try {
          from = new Map((await reader.offsets()).map((p) => [p.partition, opts.fromBeginning ? p.low : p.high]));
        } catch (err) {
          throw await kafkaUnreachable(config, err);
        }
        await reader.read({ from, signal: done.signal }, async (message) => {
          if (opts.count !== undefined && printed >= opts.count) return;
          let line: unknown;
          try {
            const value = message.value ?? Buffer.alloc(0);
            await writers?.prefetch(value);
            const cdr = decodeMessage(value, writers?.lookup);
            line = opts.withMeta ? { partition: message.partition, offset: message.offset, key: message.key?.toString() ?? null, cdr } : cdr;
          } catch (err) {
            line = { partition: message.partition, offset: message.offset, error: (err as Error).message };
          }
          process.stdout.write(`${JSON.stringify(line)}\n`);
          printed++;
          if (opts.count !== undefined && printed >= opts.count) stop();
        }).catch((err: unknown) => {
          throw err instanceof BridgeError ? err : new OperationError('KAFKA_READ', (err as Error).message);
        });
      } finally {
        await reader.close();
      }
    });
}
