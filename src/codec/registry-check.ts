// The schema registry as the bridge will meet it at start: reachable, and schemas/cdr.avsc
// either already under <topic>-value or registrable there by the subject's compatibility rule.
// Only reads: the schema is registered by `run`, not by a check.

import { fail, ok, warn, type CheckResult } from '../check';
import { cdrSchemaText } from './cdr';
import { SchemaRegistry, SchemaRegistryError, valueSubject, type RegistrySettings } from './schema-registry';

export async function checkRegistry(settings: Omit<RegistrySettings, 'schemaRegistryUrl'> & { schemaRegistryUrl: string | undefined; kafkaTopic: string }): Promise<CheckResult> {
  const name = 'registry';
  if (settings.schemaRegistryUrl === undefined) return ok(name, 'no SCHEMA_REGISTRY_URL: messages carry the Avro single-object encoding');
  const registry = new SchemaRegistry({ ...settings, schemaRegistryUrl: settings.schemaRegistryUrl });
  const subject = valueSubject(settings.kafkaTopic);
  try {
    const id = await registry.lookup(subject, cdrSchemaText);
    if (id !== undefined) return ok(name, `${registry.address}: schemas/cdr.avsc is registered under "${subject}" (id ${id})`);
    const verdict = await registry.compatibleWithLatest(subject, cdrSchemaText);
    if (verdict === undefined) return ok(name, `${registry.address}: subject "${subject}" is new; the bridge registers schemas/cdr.avsc at start`);
    if (!verdict.compatible) {
      const why = verdict.messages[0] !== undefined ? `: ${verdict.messages[0].split('\n')[0]}` : '';
      return fail(name, `${registry.address}: schemas/cdr.avsc is incompatible with the latest version of "${subject}"${why}`, 'the bridge cannot register its schema: align the subject (or its compatibility level) with schemas/cdr.avsc, or publish to another topic');
    }
    return ok(name, `${registry.address}: schemas/cdr.avsc is compatible with the latest version of "${subject}"; the bridge registers it at start`);
  } catch (err) {
    if (err instanceof SchemaRegistryError && err.retriable) return { ...fail(name, err.message, 'check SCHEMA_REGISTRY_URL and the registry\'s health'), unreachable: true };
    if (err instanceof SchemaRegistryError) return fail(name, err.message, 'check SCHEMA_REGISTRY_USER / SCHEMA_REGISTRY_PASSWORD and the registry\'s rights');
    return warn(name, `cannot check the registry: ${(err as Error).message}`, 'check SCHEMA_REGISTRY_URL');
  }
}
