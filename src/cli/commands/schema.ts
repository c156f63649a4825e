// `cdr-bridge schema`: the Cdr Avro schema the bridge writes with. `print` shows it (as the
// file, its Parsing Canonical Form, or its CRC-64-AVRO fingerprint); registering it with a
// schema registry is a sibling subcommand of the same group.

import { Command, Option } from 'commander';
import { cdrSchemaText, cdrType } from '../../codec/cdr';
import { schemaFingerprint } from '../../codec/framing';
import { SchemaRegistry, valueSubject } from '../../codec/schema-registry';
import { ConfigError } from '../../errors';
import { configOf, REGISTRY_SETTINGS, withSettings } from '../options';

export function schemaCommand(): Command {
  const schema = new Command('schema').description('the Cdr Avro schema (schemas/cdr.avsc) the bridge writes with');
  for (const sub of [schemaPrintCommand(), schemaRegisterCommand()]) schema.addCommand(sub.exitOverride().showHelpAfterError());
  return schema;
}

function schemaPrintCommand(): Command {
  return new Command('print')
    .description('print schemas/cdr.avsc as the bridge loaded it')
    .addOption(new Option('--canonical', 'print its Parsing Canonical Form instead (what the fingerprint is computed over)'))
    .addOption(new Option('--fingerprint', 'print its CRC-64-AVRO fingerprint instead, as 16 hex digits (the value in single-object message headers, there little-endian)').conflicts('canonical'))
    .action((opts: { canonical?: boolean; fingerprint?: boolean }) => {
      if (opts.fingerprint) {
        process.stdout.write(`${schemaFingerprint(cdrType).readBigUInt64LE(0).toString(16).padStart(16, '0')}\n`);
      } else if (opts.canonical) {
        // avsc's schema() without options is the Parsing Canonical Form (see codec/fingerprint.ts).
        process.stdout.write(`${JSON.stringify(cdrType.schema())}\n`);
      } else {
        process.stdout.write(cdrSchemaText.endsWith('\n') ? cdrSchemaText : `${cdrSchemaText}\n`);
      }
    });
}

// What `cdr-bridge run` does at start, as a step a deploy pipeline can run (and check) first.
function schemaRegisterCommand(): Command {
  return withSettings(new Command('register'), [...REGISTRY_SETTINGS, 'kafkaTopic'])
    .description('register schemas/cdr.avsc with the schema registry (SCHEMA_REGISTRY_URL) under <topic>-value; print the subject and id (the same id again when it is already registered)')
    .addOption(new Option('--subject <name>', 'register under this subject instead of <KAFKA_TOPIC>-value'))
    .option('--json', 'print {"subject":...,"id":...} for scripts')
    .action(async (opts: { subject?: string; json?: boolean }, cmd: Command) => {
      const config = configOf(cmd);
      if (config.schemaRegistryUrl === undefined) throw new ConfigError('SCHEMA_REGISTRY_URL', 'is required to register the schema');
      const registry = new SchemaRegistry({ ...config, schemaRegistryUrl: config.schemaRegistryUrl });
      const subject = opts.subject ?? valueSubject(config.kafkaTopic);
      const id = await registry.register(subject, cdrSchemaText);
      process.stdout.write(opts.json ? `${JSON.stringify({ subject, id })}\n` : `registered schemas/cdr.avsc under subject "${subject}" at ${registry.address}: id ${id}\n`);
    });
}
