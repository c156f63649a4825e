// The bridge's Prometheus metrics: a BridgeObserver that counts and times what the bridge
// reports, on a registry of its own (never prom-client's global one), plus the list lengths
// read at scrape time and the process defaults. It also keeps the state GET /readyz reports.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BridgeObserver, Role } from '../bridge/observer';
import type { StandDown } from '../bridge/progress-watchdog';
import { ReadinessState, type Readiness } from './readiness';

export interface ListLengths {
  source: number;
  processing: number;
  /** Length of the dead-letter list, when read. */
  deadLetter?: number;
  /** How long the oldest CDR has been in the processing list; null when it is empty. */
  oldestInFlightMs?: number | null;
}

export interface MetricsOptions {
  /** Reads the lists' lengths (e.g. `() => list.lengths()`); once per scrape. */
  listLengths?: () => Promise<ListLengths>;
  /** Reads Redis's used memory as a share of maxmemory (0: no limit); once per scrape. */
  redisMemoryRatio?: () => Promise<number>;
  /** A scrape waits at most this long for the lengths, then reports the last values it has. */
  lengthsTimeoutMs?: number;
  /** Process metrics (CPU, memory, event loop lag, GC); on unless false. */
  defaultMetrics?: boolean;
  /** The Redis conditions the bridge names (source/redis-condition.ts): their series start at 0. */
  redisConditions?: readonly string[];
}

type Operation = Parameters<BridgeObserver['retried']>[0];

const PREFIX = 'cdr_bridge_';
const ROLES: readonly Role[] = ['starting', 'standby', 'leader', 'stopping', 'stopped'];
const OPERATIONS: readonly Operation[] = ['publish', 'ack', 'take', 'connect'];
/** 0.5 ms (a small batch on loopback) to 30 s (a batch held through a broker restart). */
const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class BridgeMetrics implements BridgeObserver {
  readonly registry = new Registry();
  private readonly state = new ReadinessState();
  private readonly publishedTotal: Counter;
  private readonly deadLetteredTotal: Counter;
  private readonly recoveredTotal: Counter;
  private readonly recoveredKnownTotal: Counter;
  private readonly transactionsTotal: Counter;
  private readonly fencedTotal: Counter;
  private readonly stoodDownTotal: Counter;
  private readonly retries: Counter<'operation'>;
  private readonly redisConditionGauge: Gauge<'condition'>;
  private readonly redisErrors: Counter<'condition'>;
  private readonly redisDataLostTotal: Counter;
  private readonly redisLostBatchesTotal: Counter;
  private readonly roleGauge: Gauge<'role'>;
  private readonly sourceBacklog: Gauge;
  private readonly inFlight: Gauge;
  private readonly deadLetterBacklog: Gauge;
  private readonly oldestInFlight: Gauge;
  private readonly batchSeconds: Histogram;
  private readonly ageSeconds: Histogram;
  private readonly listLengths: (() => Promise<ListLengths>) | undefined;
  private readonly lengthsTimeoutMs: number;
  /** The lengths call under way, shared by every list gauge of a scrape and never more than one. */
  private lengthsCall: Promise<void> | undefined;
  private readonly memoryRatio: (() => Promise<number>) | undefined;
  private memoryCall: Promise<void> | undefined;

  constructor(options: MetricsOptions = {}) {
    this.listLengths = options.listLengths;
    this.memoryRatio = options.redisMemoryRatio;
    this.lengthsTimeoutMs = options.lengthsTimeoutMs ?? 1000;
    const registers = [this.registry];
    const state = this.state;

    this.publishedTotal = new Counter({ name: `${PREFIX}published_total`, help: 'CDRs the broker confirmed', registers });
    this.deadLetteredTotal = new Counter({ name: `${PREFIX}dead_lettered_total`, help: 'undecodable CDRs moved to the dead-letter list', registers });
    this.recoveredTotal = new Counter({ name: `${PREFIX}recovered_total`, help: 'CDRs found in the processing list by a new leader and delivered', registers });
    this.recoveredKnownTotal = new Counter({ name: `${PREFIX}recovered_already_in_kafka_total`, help: 'recovered CDRs the topic already held (acked without a second copy)', registers });
    this.transactionsTotal = new Counter({ name: `${PREFIX}transactions_committed_total`, help: 'Kafka transactions committed (each holds one or more batches and the source position)', registers });
    this.fencedTotal = new Counter({ name: `${PREFIX}fenced_total`, help: 'times Kafka fenced this bridge\'s producer (another leader initialised the transactional id)', registers });
    this.stoodDownTotal = new Counter({ name: `${PREFIX}stood_down_total`, help: 'times this bridge stood down as leader because CDRs were waiting and nothing moved for PROGRESS_TIMEOUT_MS', registers });
    this.retries = new Counter({ name: `${PREFIX}retries_total`, help: 'retried operations, by operation', labelNames: ['operation'], registers });
    for (const operation of OPERATIONS) this.retries.inc({ operation }, 0);

    new Gauge({ name: `${PREFIX}is_leader`, help: '1 while this process holds the lease', registers, collect() { this.set(state.role === 'leader' ? 1 : 0); } });
    this.roleGauge = new Gauge({ name: `${PREFIX}role`, help: '1 for the current role of this process, 0 for the others', labelNames: ['role'], registers });
    this.role('starting');
    new Gauge({ name: `${PREFIX}redis_up`, help: '1 while the Redis connection is ready and no condition (cdr_bridge_redis_condition) refuses the bridge\'s commands', registers, collect() { this.set(state.redisUp ? 1 : 0); } });
    this.redisConditionGauge = new Gauge({ name: `${PREFIX}redis_condition`, help: '1 while Redis answers the bridge with this condition (OOM, MISCONF, READONLY, LOADING, NOSCRIPT, BUSY, NOAUTH, WRONGPASS, unreachable)', labelNames: ['condition'], registers });
    this.redisErrors = new Counter({ name: `${PREFIX}redis_errors_total`, help: 'commands and connection attempts Redis refused, by condition', labelNames: ['condition'], registers });
    for (const condition of options.redisConditions ?? []) {
      this.redisConditionGauge.set({ condition }, 0);
      this.redisErrors.inc({ condition }, 0);
    }
    this.redisDataLostTotal = new Counter({ name: `${PREFIX}redis_data_lost_total`, help: 'times Redis was found to have lost the processing list (FLUSHALL, a restart without persistence) since Kafka\'s committed position', registers });
    this.redisLostBatchesTotal = new Counter({ name: `${PREFIX}redis_lost_batches_total`, help: 'batches that were in flight in a processing list Redis lost, not in Kafka: lost with it', registers });
    new Gauge({ name: `${PREFIX}kafka_up`, help: '1 while the broker answers and publishing is not failing', registers, collect() { this.set(state.kafka ? 1 : 0); } });
    this.sourceBacklog = new Gauge({ name: `${PREFIX}source_backlog`, help: 'CDRs waiting in the source list (LLEN at scrape time)', registers, collect: () => this.refreshLengths() });
    this.inFlight = new Gauge({ name: `${PREFIX}in_flight`, help: 'CDRs in the processing list (LLEN at scrape time)', registers, collect: () => this.refreshLengths() });
    this.deadLetterBacklog = new Gauge({ name: `${PREFIX}dead_letter_backlog`, help: 'entries in the dead-letter list, waiting for an operator (LLEN at scrape time)', registers, collect: () => this.refreshLengths() });
    // From Redis, not from this process: a standby shows what a dead leader left in flight.
    this.oldestInFlight = new Gauge({ name: `${PREFIX}oldest_in_flight_seconds`, help: 'how long the oldest CDR in the processing list has been there, by Redis\'s clock (0 when it is empty)', registers, collect: () => this.refreshLengths() });

    // At 1 Redis refuses the dialler's pushes (noeviction): the CDRs it cannot write are lost.
    const memoryGauge: Gauge = new Gauge({ name: `${PREFIX}redis_memory_used_ratio`, help: 'Redis used memory as a share of maxmemory (INFO memory at scrape time; 0 when there is no maxmemory); at 1 Redis refuses the dialler\'s pushes', registers, collect: () => this.refreshMemory(memoryGauge) });

    this.batchSeconds = new Histogram({ name: `${PREFIX}batch_publish_seconds`, help: 'time from sending a batch to the broker confirming it', buckets: SECONDS_BUCKETS, registers });
    this.ageSeconds = new Histogram({ name: `${PREFIX}cdr_age_at_publish_seconds`, help: 'time from taking a CDR off the source list to the broker confirming it', buckets: SECONDS_BUCKETS, registers });

    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  readiness(): Readiness {
    return this.state.current();
  }

  role(role: Role): void {
    this.state.setRole(role);
    for (const r of ROLES) this.roleGauge.set({ role: r }, r === role ? 1 : 0);
  }

  redisUp(up: boolean): void {
    this.state.setRedis(up);
  }

  kafkaUp(up: boolean): void {
    this.state.setKafkaSeen(up);
  }

  /** The periodic Kafka probe's verdict (see kafka-probe.ts); not part of BridgeObserver. */
  kafkaProbed(up: boolean): void {
    this.state.setKafkaProbed(up);
  }

  /** Hot path: once per batch; every CDR of a batch was taken at once, so they share one age. */
  published(count: number, publishMs: number, ageMs: number): void {
    this.state.setKafkaSeen(true);
    // A batch of dead letters only: nothing was sent, nothing to time.
    if (count === 0) return;
    this.publishedTotal.inc(count);
    this.batchSeconds.observe(publishMs / 1000);
    for (let i = 0; i < count; i++) this.ageSeconds.observe(ageMs / 1000);
  }

  committed(): void {
    this.transactionsTotal.inc();
  }

  fenced(): void {
    this.fencedTotal.inc();
  }

  stoodDown(standDown: StandDown): void {
    this.stoodDownTotal.inc();
    this.state.setStoodDown(standDown);
  }

  deadLettered(count: number): void {
    this.deadLetteredTotal.inc(count);
  }

  recovered(count: number, alreadyInKafka: number): void {
    this.recoveredTotal.inc(count);
    this.recoveredKnownTotal.inc(alreadyInKafka);
  }

  retried(operation: Operation): void {
    this.retries.inc({ operation });
  }

  redisDataLost(lostBatches: number): void {
    this.redisDataLostTotal.inc();
    this.redisLostBatchesTotal.inc(lostBatches);
  }

  /** A Redis condition started or ended (source/redis-condition-watch.ts); not part of BridgeObserver. */
  redisCondition(condition: string, active: boolean, action: string): void {
    this.redisConditionGauge.set({ condition }, active ? 1 : 0);
    this.state.setRedisCondition(condition, active, action);
  }

  /** Redis refused one command or connection attempt with a condition. */
  redisRefused(condition: string): void {
    this.redisErrors.inc({ condition });
  }

  /**
   * Sets the list gauges from one round trip. A failure or a slow Redis never fails the
   * scrape: the gauges keep their last values. A call still pending (Redis down: commands wait
   * for the reconnect) is reused rather than queueing another behind it.
   */
  private refreshLengths(): Promise<void> {
    const read = this.listLengths;
    if (!read) return Promise.resolve();
    this.lengthsCall ??= Promise.resolve()
      .then(read)
      .then(
        (l) => {
          this.sourceBacklog.set(l.source);
          this.inFlight.set(l.processing);
          if (l.deadLetter !== undefined) this.deadLetterBacklog.set(l.deadLetter);
          if (l.oldestInFlightMs !== undefined) this.oldestInFlight.set((l.oldestInFlightMs ?? 0) / 1000);
        },
        () => undefined,
      )
      .finally(() => {
        this.lengthsCall = undefined;
      });
    return settledWithin(this.lengthsCall, this.lengthsTimeoutMs);
  }

  /** As refreshLengths: one INFO at a time, the last value kept when Redis is slow or down. */
  private refreshMemory(gauge: Gauge): Promise<void> {
    const read = this.memoryRatio;
    if (!read) return Promise.resolve();
    this.memoryCall ??= Promise.resolve()
      .then(read)
      .then((ratio) => gauge.set(ratio), () => undefined)
      .finally(() => {
        this.memoryCall = undefined;
      });
    return settledWithin(this.memoryCall, this.lengthsTimeoutMs);
  }
}

/** Resolves when `work` settles or after `ms`, whichever comes first. */
function settledWithin(work: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void work.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
