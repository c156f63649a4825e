// The writer schemas of Confluent-framed messages, fetched from the schema registry by the id
// in each message and kept: decodeMessage() is synchronous, so a reader awaits prefetch() for
// a message first and then hands decodeMessage() the synchronous lookup.

import * as avro from 'avsc';
import type { SchemaRegistry } from './schema-registry';
import { FramingError } from './framing';

const CONFLUENT_MAGIC = 0x00;
const CONFLUENT_HEADER_BYTES = 5;

export class WriterSchemas {
  /** null: the registry has no such id (remembered, so a bad message costs one request). */
  private readonly types = new Map<number, avro.Type | null>();
  private readonly pending = new Map<number, Promise<void>>();

  constructor(private readonly registry: SchemaRegistry) {}

  /** For decodeMessage(): the writer type of an id prefetch() has seen, else undefined. */
  readonly lookup = (id: number): avro.Type | undefined => this.types.get(id) ?? undefined;

  /**
   * Makes lookup() able to answer for this message value: fetches its writer schema unless
   * known. Values in another framing need nothing. A registry that cannot be reached rejects
   * (SchemaRegistryError) and is asked again for the next message.
   */
  async prefetch(value: Buffer): Promise<void> {
    if (value.length < CONFLUENT_HEADER_BYTES || value[0] !== CONFLUENT_MAGIC) return;
    const id = value.readUInt32BE(1);
    if (this.types.has(id)) return;
    let fetching = this.pending.get(id);
    if (fetching === undefined) {
      fetching = this.fetch(id).finally(() => this.pending.delete(id));
      this.pending.set(id, fetching);
    }
    await fetching;
  }

  private async fetch(id: number): Promise<void> {
    const text = await this.registry.schemaById(id);
    if (text === undefined) {
      this.types.set(id, null);
      return;
    }
    try {
      this.types.set(id, avro.Type.forSchema(JSON.parse(text)));
    } catch (err) {
      throw new FramingError(`schema id ${id} from the registry is not an Avro schema avsc can read: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
