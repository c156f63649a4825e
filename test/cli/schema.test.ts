// `cdr-bridge schema print` shows the schema the bridge writes with: the file as it is, its
// Parsing Canonical Form, and the fingerprint every single-object message carries.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { crc64Avro, singleObjectFramer } from '../../src/codec/framing';
import { expectedCdr } from '../support/scenario';
import { ROOT, runCli } from '../support/bridge-process';

const schemaFile = readFileSync(path.join(ROOT, 'schemas/cdr.avsc'), 'utf8');

describe('cdr-bridge schema print', () => {
  it('prints schemas/cdr.avsc exactly as it is on disk', async () => {
    const { code, stdout } = await runCli(['schema', 'print']);
    assert.equal(code, 0);
    assert.equal(stdout, schemaFile.endsWith('\n') ? schemaFile : `${schemaFile}\n`);
  });

  it('--canonical prints the Parsing Canonical Form: one line, full name, no docs, defaults or aliases', async () => {
    const { code, stdout } = await runCli(['schema', 'print', '--canonical']);
    assert.equal(code, 0);
    assert.ok(stdout.endsWith('\n') && !stdout.slice(0, -1).includes('\n'), 'a single line');
    assert.doesNotMatch(stdout.trimEnd(), /\s(?=(?:[^"]*"[^"]*")*[^"]*$)/, 'no whitespace outside strings');
    const canonical = JSON.parse(stdout) as { name: string; fields: Record<string, unknown>[] };
    const file = JSON.parse(schemaFile) as { namespace: string; name: string; fields: { name: string }[] };
    assert.equal(canonical.name, `${file.namespace}.${file.name}`);
    assert.deepEqual(canonical.fields.map((f) => f.name), file.fields.map((f) => f.name));
    for (const key of ['doc', 'default', 'aliases', 'namespace', 'logicalType']) {
      assert.ok(!stdout.includes(`"${key}"`), `no "${key}" in the canonical form`);
    }
  });

  it('--fingerprint prints, as 16 hex digits, the CRC-64-AVRO of the canonical form that every single-object message carries', async () => {
    const { code, stdout } = await runCli(['schema', 'print', '--fingerprint']);
    assert.equal(code, 0);
    assert.match(stdout, /^[0-9a-f]{16}\n$/);
    const canonical = (await runCli(['schema', 'print', '--canonical'])).stdout.trimEnd();
    assert.equal(stdout.trimEnd(), crc64Avro(canonical).toString(16).padStart(16, '0'));
    const message = singleObjectFramer().encode({ ...expectedCdr('{"internal_call_ref":"fp-1"}'), received_at: 0 });
    assert.equal(stdout.trimEnd(), message.readBigUInt64LE(2).toString(16).padStart(16, '0'), 'the header of a message the bridge writes');
  });

  it('--canonical with --fingerprint is a usage error (exit 2)', async () => {
    const { code, stdout, stderr } = await runCli(['schema', 'print', '--canonical', '--fingerprint']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /cannot be used with option '--canonical'/);
  });

  it('schema --help lists print; schema with no subcommand is a usage error', async () => {
    const help = await runCli(['schema', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^\s+print \[options\]\s+print schemas\/cdr\.avsc/m);
    const bare = await runCli(['schema']);
    assert.equal(bare.code, 2);
  });
});
