// What the bridge reports as it works. The ops module turns it into Prometheus metrics and
// readiness; the bridge itself knows nothing of HTTP or prom-client.

import type { StandDown } from './progress-watchdog';

export type Role = 'starting' | 'standby' | 'leader' | 'stopping' | 'stopped';

export interface BridgeObserver {
  role(role: Role): void;
  redisUp(up: boolean): void;
  kafkaUp(up: boolean): void;
  /** Once per batch committed: its CDRs, the commit's duration, and the batch's age at commit. */
  published(count: number, publishMs: number, ageMs: number): void;
  /** A transaction committed. */
  committed(): void;
  /** Kafka fenced this leader's producer: another one took over. */
  fenced(): void;
  /** The progress watchdog made this leader stand down. */
  stoodDown(standDown: StandDown): void;
  deadLettered(count: number): void;
  recovered(count: number, alreadyInKafka: number): void;
  retried(operation: 'publish' | 'ack' | 'take' | 'connect'): void;
  /** Redis lost the processing list Kafka's position names, with this many batches in flight. */
  redisDataLost(lostBatches: number): void;
}

export const silentObserver: BridgeObserver = {
  role: () => undefined,
  redisUp: () => undefined,
  kafkaUp: () => undefined,
  published: () => undefined,
  committed: () => undefined,
  fenced: () => undefined,
  stoodDown: () => undefined,
  deadLettered: () => undefined,
  recovered: () => undefined,
  retried: () => undefined,
  redisDataLost: () => undefined,
};
