// The worker side of ENCODE_THREAD (./encode-pool.ts): decodes and encodes each batch it is sent
// with the very encodeBatch the main thread uses, then hands every value back in one transferred
// buffer with a table of where each value, key and cdr-id lies in it, and the refusals by index.

import { parentPort, workerData } from 'node:worker_threads';
import { encodeBatch, type EncodeSettings } from './encode-batch';
import { framerWithHeader, type Framer } from './framing';
import type { BatchIn, BatchOut } from './encode-pool';
import { SLOTS } from './encode-pool';

const settings = workerData as EncodeSettings;
const port = parentPort;
if (!port) throw new Error('encode-thread.js runs as a worker thread only');

/** The framer for the last header seen: the header is fixed once the schema id is known. */
let framer: Framer | undefined;

function framerFor(header: Uint8Array): Framer {
  if (!framer || !framer.header.equals(header)) framer = framerWithHeader('encode thread', Buffer.from(header));
  return framer;
}

port.on('message', (batch: BatchIn) => {
  const raws: Buffer[] = [];
  for (let i = 0, start = 0; i < batch.ends.length; start = batch.ends[i]!, i++) raws.push(Buffer.from(batch.payloads, start, batch.ends[i]! - start));
  const encoded = encodeBatch(raws, batch.takenAt, framerFor(batch.header), settings);
  // key and cdr-id are views into the value where the encoder made them so; any other bytes
  // (a key field decodePayload rendered) are written right after their value.
  const own = (part: Buffer | null, value: Buffer): number => (part === null || within(part, value) ? 0 : part.length);
  let bytes = 0;
  for (const m of encoded.messages) bytes += m.value.length + own(m.keyBytes, m.value) + own(m.cdrIdBytes, m.value);
  const values = new ArrayBuffer(bytes);
  const out = Buffer.from(values);
  const table = new Int32Array(SLOTS * encoded.messages.length);
  let at = 0;
  let t = 0;
  for (const m of encoded.messages) {
    const start = at;
    at += m.value.copy(out, at);
    const place = (part: Buffer): number => {
      if (within(part, m.value)) return start + part.byteOffset - m.value.byteOffset;
      const from = at;
      at += part.copy(out, at);
      return from;
    };
    table[t] = start;
    table[t + 1] = start + m.value.length;
    table[t + 4] = place(m.cdrIdBytes);
    table[t + 5] = m.cdrIdBytes.length;
    if (m.keyBytes === null) {
      table[t + 2] = table[t + 3] = -1;
    } else {
      table[t + 2] = place(m.keyBytes);
      table[t + 3] = table[t + 2]! + m.keyBytes.length;
    }
    t += SLOTS;
  }
  // Refusals go back by position in the batch (the main thread holds the raw items); the
  // lookup is built only for a batch that has any.
  const refusedAt = encoded.refused.length > 0 ? new Map(raws.map((r, i) => [r, i])) : undefined;
  const reply: BatchOut = { id: batch.id, values, table, refused: encoded.refused.map((r) => ({ index: refusedAt!.get(r.raw)!, reason: r.reason })) };
  port.postMessage(reply, [values, table.buffer]);
});

/** `part` is a view into `whole`'s bytes. */
function within(part: Buffer, whole: Buffer): boolean {
  return part.buffer === whole.buffer && part.byteOffset >= whole.byteOffset && part.byteOffset + part.length <= whole.byteOffset + whole.length;
}
