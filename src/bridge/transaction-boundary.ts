// The one object that decides when a transaction closes (Kafka Connect's
// TransactionBoundaryManager): the writer asks it after each batch, the loop never works it out
// inline. A transaction stays open for the next batch only while one is ready now (idle closes
// it: at low load every batch commits at once), it holds fewer than the most records and bytes,
// and it is younger than the most age.

export interface BoundarySettings {
  /** A transaction takes in further batches of a backlog up to this many CDRs... */
  transactionMaxRecords: number;
  /** ...and for at most this long. */
  transactionMaxMs: number;
  /** ...and up to this many bytes of values (no limit unless given). */
  transactionMaxBytes?: number | undefined;
}

/** What the policy needs of a batch: how many items it took, and its messages' values. */
export interface BatchSize {
  taken: number;
  messages: readonly { value: Buffer }[];
}

export class TransactionBoundary {
  private openedAt = 0;
  private records = 0;
  private bytes = 0;
  private readonly maxBytes: number;

  constructor(private readonly settings: BoundarySettings) {
    this.maxBytes = settings.transactionMaxBytes ?? Number.POSITIVE_INFINITY;
  }

  /** A transaction begins: its age counts from now. */
  open(now = Date.now()): void {
    this.openedAt = now;
    this.records = 0;
    this.bytes = 0;
  }

  /**
   * `batch` joins the open transaction, before it is sent (the last send carries the position,
   * so this is known first). True when the next batch may join too (`nextReady`: one is at hand
   * now), false when the transaction closes with this one.
   */
  takesMoreAfter(batch: BatchSize, nextReady: boolean, now = Date.now()): boolean {
    this.records += batch.taken;
    if (this.maxBytes !== Number.POSITIVE_INFINITY) for (const m of batch.messages) this.bytes += m.value.length;
    return nextReady && this.records < this.settings.transactionMaxRecords && this.bytes < this.maxBytes && now - this.openedAt < this.settings.transactionMaxMs;
  }
}
