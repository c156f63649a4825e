// ENCODE_THREAD: a batch's decode + encode on a worker thread, so the main thread — which also
// drives Redis, the producer and the acks — spends on each CDR only a copy in and three views
// out. One thread, as the bridge encodes one batch ahead of the one it sends; one message per
// batch each way, the payloads and the values each in one transferred buffer (no structured
// clone of 500 Buffers). A thread that dies or throws fails the batches it held with
// EncodeThreadError — they are in the processing list, so the bridge's road back settles them —
// and the next batch starts a new thread.

import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EncodeSettings, EncodedBatch, EncodedMessage } from './encode-batch';
import { EncodeThreadError } from '../errors';
import { EncodedCdr } from './cdr-encoder';
import type { Logger } from '../log';
import type { Framer } from './framing';

/** A batch for the thread: payload i is payloads[ends[i-1] ?? 0, ends[i]). */
export interface BatchIn {
  id: number;
  payloads: ArrayBuffer;
  ends: Uint32Array;
  takenAt: number;
  header: Uint8Array;
}

/** Per message: value start, value end, key start (-1: null key), key end, cdr-id start, cdr-id length. */
export const SLOTS = 6;

export interface BatchOut {
  id: number;
  values: ArrayBuffer;
  table: Int32Array;
  refused: { index: number; reason: string }[];
}

interface Waiting {
  raws: readonly Buffer[];
  takenAt: number;
  resolve: (batch: EncodedBatch) => void;
  reject: (err: Error) => void;
}

export class EncodeThread {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly settings: EncodeSettings,
    private readonly log?: Logger,
  ) {}

  /** Encodes as encodeBatch would (the same function runs in the thread): same messages, same refusals. */
  encode(raws: readonly Buffer[], takenAt: number, framer: Framer): Promise<EncodedBatch> {
    if (this.closed) return Promise.reject(new EncodeThreadError('the encode thread is closed'));
    let bytes = 0;
    for (const r of raws) bytes += r.length;
    const payloads = new ArrayBuffer(bytes);
    const into = Buffer.from(payloads);
    const ends = new Uint32Array(raws.length);
    let at = 0;
    for (let i = 0; i < raws.length; i++) {
      at += raws[i]!.copy(into, at);
      ends[i] = at;
    }
    const id = this.nextId++;
    const batch: BatchIn = { id, payloads, ends, takenAt, header: framer.header };
    return new Promise<EncodedBatch>((resolve, reject) => {
      this.waiting.set(id, { raws, takenAt, resolve, reject });
      this.thread().postMessage(batch, [payloads, ends.buffer]);
    });
  }

  /** Stops the thread; batches it still held fail with EncodeThreadError. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new EncodeThreadError('the encode thread was closed with batches in it'));
    await worker?.terminate();
  }

  /** The thread's id while one runs (for tests that kill it). */
  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(__dirname, 'encode-thread.js'), { workerData: this.settings });
    // The bridge's own sockets keep the process alive while it works; an idle thread must not.
    worker.unref();
    worker.on('message', (out: BatchOut) => this.settle(out));
    worker.on('error', (err) => this.lost(worker, new EncodeThreadError(`the encode thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => this.lost(worker, new EncodeThreadError(`the encode thread exited (code ${code})`)));
    this.worker = worker;
    this.log?.info({ threadId: worker.threadId }, 'encode thread started: batches are decoded and encoded there');
    return worker;
  }

  private lost(worker: Worker, err: EncodeThreadError): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.failAll(err);
    void worker.terminate();
  }

  private failAll(err: Error): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(err);
  }

  private settle({ id, values, table, refused }: BatchOut): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    const messages: EncodedMessage[] = [];
    for (let t = 0; t < table.length; t += SLOTS) {
      const keyAt = table[t + 2]!;
      messages.push(new EncodedCdr(
        Buffer.from(values, table[t]!, table[t + 1]! - table[t]!),
        keyAt < 0 ? null : Buffer.from(values, keyAt, table[t + 3]! - keyAt),
        Buffer.from(values, table[t + 4]!, table[t + 5]!),
      ));
    }
    w.resolve({ messages, refused: refused.map((r) => ({ raw: w.raws[r.index]!, reason: r.reason })), takenAt: w.takenAt, taken: w.raws.length });
  }
}
