// The schema registry client against a real Confluent-compatible registry (Apicurio's ccompat
// API, on a stack of this test's own): register, look up, fetch by id, the registry's refusals
// and an unreachable or hung registry as typed errors without credentials; and the writer
// schemas a reader prefetches so the synchronous decodeMessage() can use them.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as avro from 'avsc';
import { cdrSchemaText, cdrType, type Cdr } from '../../src/codec/cdr';
import { confluentFramer, decodeMessage, FramingError } from '../../src/codec/framing';
import { SchemaRegistry, SchemaRegistryError, valueSubject } from '../../src/codec/schema-registry';
import { WriterSchemas } from '../../src/codec/writer-schemas';
import { closedPort } from '../support/closed-port';
import { OwnStack } from '../support/own-stack';
import { uniqueName } from '../support/services';

let stack: OwnStack;
let registryUrl: string;

before(async () => {
  stack = await OwnStack.up({ registry: true });
  registryUrl = stack.env.SCHEMA_REGISTRY_URL ?? assert.fail('the stack wrote no SCHEMA_REGISTRY_URL');
}, { timeout: 400_000 });
after(async () => stack?.down(), { timeout: 120_000 });

function client(extra: { user?: string; password?: string; timeoutMs?: number } = {}): SchemaRegistry {
  return new SchemaRegistry({ schemaRegistryUrl: registryUrl, schemaRegistryUser: extra.user, schemaRegistryPassword: extra.password }, extra.timeoutMs);
}

async function refusal(promise: Promise<unknown>): Promise<SchemaRegistryError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SchemaRegistryError, `expected a SchemaRegistryError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a SchemaRegistryError');
}

const sample: Cdr = {
  cdr_id: 'a'.repeat(64),
  received_at: 1_700_000_000_000,
  internal_call_ref: 'call-1',
  ext: '1001',
  custom_call_ref: null,
  disposition: 'ANSWERED',
  sip_termination_code: 200,
  campaign_ref: 'camp',
  client_number: null,
  dial_number: '447700900123',
  extra: { note: '"x"' },
};

describe('SchemaRegistry (Confluent API) against a real registry', () => {
  it('uses the topic\'s value subject, <topic>-value', () => {
    assert.equal(valueSubject('enigma.cdrs'), 'enigma.cdrs-value');
  });

  it('registers the Cdr schema and returns its id; registering it again returns the same id', async () => {
    const registry = client();
    const subject = valueSubject(uniqueName('test.reg'));
    const id = await registry.register(subject, cdrSchemaText);
    assert.ok(Number.isInteger(id) && id >= 0, `id ${id}`);
    assert.equal(await registry.register(subject, cdrSchemaText), id);
    assert.equal(await registry.lookup(subject, cdrSchemaText), id);
  });

  it('looks up nothing under a subject that does not have the schema', async () => {
    assert.equal(await client().lookup(valueSubject(uniqueName('test.none')), cdrSchemaText), undefined);
  });

  it('fetches by id a schema with the Cdr schema\'s canonical form', async () => {
    const registry = client();
    const id = await registry.register(valueSubject(uniqueName('test.byid')), cdrSchemaText);
    const text = await registry.schemaById(id);
    assert.ok(text !== undefined);
    assert.deepEqual(avro.Type.forSchema(JSON.parse(text)).schema(), cdrType.schema());
    assert.equal(await registry.schemaById(987_654), undefined);
  });

  it('reports a refusal with the registry\'s message: an incompatible schema under the same subject', async () => {
    const registry = client();
    const subject = valueSubject(uniqueName('test.incompat'));
    await registry.register(subject, cdrSchemaText);
    const err = await refusal(registry.register(subject, '{"type":"string"}'));
    assert.equal(err.code, 'REGISTRY_REFUSED');
    assert.equal(err.retriable, false);
    assert.equal(err.status, 409);
    assert.match(err.message, new RegExp(`^schema registry at ${escape(registryUrl)} refused registering the schema under subject "${escape(subject)}": .*ncompatible.* \\(HTTP 409`));
    assert.equal(err.message.includes('\n'), false);
  });

  it('reports an unreachable registry as retriable, naming it without the credentials', async () => {
    const port = await closedPort();
    const registry = new SchemaRegistry({ schemaRegistryUrl: `http://reg-user:url-secret-1@127.0.0.1:${port}/apis/ccompat/v7`, schemaRegistryUser: undefined, schemaRegistryPassword: undefined });
    const err = await refusal(registry.register('s-value', cdrSchemaText));
    assert.equal(err.code, 'REGISTRY_UNREACHABLE');
    assert.equal(err.retriable, true);
    assert.match(err.message, new RegExp(`^cannot reach the schema registry at http://127\\.0\\.0\\.1:${port}/apis/ccompat/v7 \\(registering the schema under subject "s-value"\\): .*ECONNREFUSED`));
    assert.equal(err.message.includes('url-secret-1'), false);
    assert.equal(err.message.includes('reg-user'), false);
    assert.equal(registry.address.includes('url-secret-1'), false);
  });

  it('gives up on a registry that does not answer within the timeout (a stopped process), as retriable', async () => {
    const pid = Number(readFileSync(path.join(stack.dir, 'registry.pid'), 'utf8').split(' ')[0]);
    process.kill(pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const err = await refusal(client({ timeoutMs: 700 }).lookup('s-value', cdrSchemaText));
      assert.equal(err.code, 'REGISTRY_UNREACHABLE');
      assert.match(err.message, /no reply within 700 ms$/);
      assert.ok(Date.now() - started < 5000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // And it answers again once it runs.
    assert.ok((await client().register(valueSubject(uniqueName('test.after')), cdrSchemaText)) >= 0);
  });

  it('sends basic-auth credentials without breaking requests to a registry that does not demand them', async () => {
    const registry = client({ user: 'bridge', password: 'basic-secret-2' });
    const subject = valueSubject(uniqueName('test.auth'));
    assert.equal(await registry.register(subject, cdrSchemaText), await client().lookup(subject, cdrSchemaText));
  });
});

describe('WriterSchemas: writer schemas by id for decodeMessage()', () => {
  it('decodes a Confluent-framed value after prefetching its id from the registry', async () => {
    const id = await client().register(valueSubject(uniqueName('test.writer')), cdrSchemaText);
    const value = confluentFramer(id).encode(sample);
    const writers = new WriterSchemas(client());
    assert.equal(writers.lookup(id), undefined, 'nothing known before the prefetch');
    await writers.prefetch(value);
    assert.ok(writers.lookup(id) !== undefined);
    assert.deepEqual(decodeMessage(value, writers.lookup), sample);
  });

  it('names an id the registry does not have, and needs no registry for single-object values', async () => {
    const writers = new WriterSchemas(client());
    const value = confluentFramer(876_543).encode(sample);
    await writers.prefetch(value);
    assert.throws(() => decodeMessage(value, writers.lookup), (err: unknown) => err instanceof FramingError && err.message === 'schema id 876543 is unknown');
    const unreachable = new WriterSchemas(new SchemaRegistry({ schemaRegistryUrl: `http://127.0.0.1:${await closedPort()}`, schemaRegistryUser: undefined, schemaRegistryPassword: undefined }));
    await unreachable.prefetch(Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  });

  it('rejects a prefetch while the registry is unreachable, and asks again next time', async () => {
    const writers = new WriterSchemas(new SchemaRegistry({ schemaRegistryUrl: `http://127.0.0.1:${await closedPort()}`, schemaRegistryUser: undefined, schemaRegistryPassword: undefined }));
    const value = confluentFramer(1).encode(sample);
    for (let i = 0; i < 2; i++) {
      const err = await refusal(writers.prefetch(value));
      assert.equal(err.code, 'REGISTRY_UNREACHABLE');
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
