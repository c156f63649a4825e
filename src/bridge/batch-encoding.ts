// A batch as the loop carries it: as taken (its number, its list, the Redis session it was taken
// in) and as encoded — on this thread, or on the encode thread (ENCODE_THREAD). A batch that
// only needs acking (Kafka already has it) is decoded for its refusals alone: no framing needed.

import type { EncodeThread } from '../codec/encode-pool';
import { encodeBatch, refusalsOf, type EncodedBatch, type EncodeSettings } from '../codec/encode-batch';
import type { Framer } from '../codec/framing';
import type { Batch } from '../source/reliable-list';

export type Taken = EncodedBatch & { seq: number; listId: string; session: number };

export class BatchEncoding {
  constructor(
    private readonly settings: EncodeSettings,
    /** Undefined where nothing is published (`replay --requeue`): only refusals are needed. */
    private readonly framer: Framer | undefined,
    private readonly encodeThread?: Pick<EncodeThread, 'encode'> | undefined,
    /** Every batch seen, encoded or only acked (what Redis's loss of the list would lose). */
    private readonly saw: (batch: { listId: string; seq: number; taken: number }) => void = () => undefined,
  ) {}

  async encode(batch: Batch, session: number): Promise<Taken> {
    const { encodeThread, framer } = this;
    if (!framer) throw new Error('BatchEncoding.encode without a framer: this caller only acks');
    const encoded = encodeThread ? await encodeThread.encode(batch.items, batch.takenAt, framer) : encodeBatch(batch.items, batch.takenAt, framer, this.settings);
    this.saw({ listId: batch.listId, seq: batch.seq, taken: batch.items.length });
    return { ...encoded, seq: batch.seq, listId: batch.listId, session };
  }

  /** A batch Kafka has: what its ack owes the dead-letter list, without encoding a message. */
  acked(batch: Batch, session: number): Taken {
    this.saw({ listId: batch.listId, seq: batch.seq, taken: batch.items.length });
    return { messages: [], refused: refusalsOf(batch.items, batch.takenAt, this.settings), takenAt: batch.takenAt, taken: batch.items.length, seq: batch.seq, listId: batch.listId, session };
  }
}
