// The CDR as cdr-bridge carries it: the TypeScript shape of schemas/cdr.avsc and the
// Avro type compiled from that file, once, at load time.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as avro from 'avsc';

/** One call detail record; field for field the record in schemas/cdr.avsc. */
export interface Cdr {
  cdr_id: string;
  received_at: number;
  internal_call_ref: string;
  ext: string | null;
  custom_call_ref: string | null;
  disposition: string | null;
  sip_termination_code: number | null;
  campaign_ref: string | null;
  client_number: string | null;
  dial_number: string | null;
  extra: Record<string, string>;
}

// Compiled to dist/src/codec/, so the repository (or installed package) root is three up;
// the schema ships beside dist/ in both layouts (package.json "files").
const schemaPath = path.resolve(__dirname, '../../..', 'schemas', 'cdr.avsc');

/** schemas/cdr.avsc exactly as read from disk (what a schema registry is given). */
export const cdrSchemaText: string = readFileSync(schemaPath, 'utf8');

// No logicalTypes option: avsc then treats timestamp-millis as the plain long it is on
// the wire, so received_at stays a number of milliseconds rather than becoming a Date.
/** The compiled Avro type of schemas/cdr.avsc. */
export const cdrType: avro.Type = avro.Type.forSchema(JSON.parse(cdrSchemaText));
