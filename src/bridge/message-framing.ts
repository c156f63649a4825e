// The framing the bridge writes with: Avro single-object, or — with a schema registry — the
// Confluent wire format with the id of schemas/cdr.avsc under <topic>-value, settled once at
// start (looked up, else registered; an unreachable registry is waited for, a refusal is fatal).

import { cdrSchemaText, type Cdr } from '../codec/cdr';
import { confluentFramer, singleObjectFramer, type Framer } from '../codec/framing';
import { SchemaRegistry, SchemaRegistryError, valueSubject, type RegistrySettings } from '../codec/schema-registry';
import type { Logger } from '../log';
import { backoffMs, pause } from './backoff';

export interface FramingSettings extends Omit<RegistrySettings, 'schemaRegistryUrl'> {
  schemaRegistryUrl: string | undefined;
  kafkaTopic: string;
}

export class MessageFraming implements Framer {
  private framer: Framer | undefined;
  private client: SchemaRegistry | undefined;

  constructor(
    private readonly settings: FramingSettings,
    private readonly log: Logger,
  ) {
    if (settings.schemaRegistryUrl === undefined) this.framer = singleObjectFramer();
  }

  get name(): string {
    return this.framer?.name ?? 'confluent (schema id not yet known)';
  }

  encode(cdr: Cdr): Buffer {
    if (this.framer === undefined) throw new Error('MessageFraming.encode before prepare(): the schema id is not known yet');
    return this.framer.encode(cdr);
  }

  get header(): Buffer {
    if (this.framer === undefined) throw new Error('MessageFraming.header before prepare(): the schema id is not known yet');
    return this.framer.header;
  }

  /**
   * Settles the schema id (nothing to do without a registry). Retries while the registry
   * cannot be reached, until `stopped()`; throws SchemaRegistryError when it refuses.
   */
  async prepare(stopped: () => boolean): Promise<void> {
    for (let attempt = 0; this.framer === undefined && !stopped(); attempt++) {
      try {
        await this.prepareOnce();
        if (attempt > 0) this.log.info({ registry: this.registry().address }, 'schema registry reachable');
      } catch (err) {
        if (!(err instanceof SchemaRegistryError) || !err.retriable) throw err;
        if (attempt === 0) this.log.warn({ registry: this.registry().address, err: err.message }, 'schema registry unreachable at start; retrying');
        await pause(backoffMs(attempt, 200, 5000));
      }
    }
  }

  /** One attempt, for one-shot commands (e.g. a replay that publishes): any failure throws. */
  async prepareOnce(): Promise<void> {
    if (this.framer !== undefined) return;
    const registry = this.registry();
    const subject = valueSubject(this.settings.kafkaTopic);
    const found = await registry.lookup(subject, cdrSchemaText);
    const id = found ?? (await registry.register(subject, cdrSchemaText));
    this.framer = confluentFramer(id);
    this.log.info({ subject, id, registered: found === undefined }, found === undefined ? 'registered the Cdr schema' : 'found the Cdr schema in the registry');
  }

  private registry(): SchemaRegistry {
    const url = this.settings.schemaRegistryUrl;
    if (url === undefined) throw new Error('MessageFraming: no schema registry configured');
    this.client ??= new SchemaRegistry({ ...this.settings, schemaRegistryUrl: url });
    return this.client;
  }
}
