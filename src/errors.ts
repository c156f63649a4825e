// Typed errors: every failure the bridge reports on purpose carries a code and the exit code
// the CLI maps it to (1 runtime failure, 2 usage or configuration error).

export abstract class BridgeError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: 1 | 2;
  override get name(): string {
    return this.constructor.name;
  }
}

/** A setting is missing or malformed; the message names the setting. */
export class ConfigError extends BridgeError {
  readonly code = 'CONFIG';
  readonly exitCode = 2;
  constructor(readonly setting: string, problem: string) {
    super(`${setting}: ${problem}`);
  }
}

/** The command line itself is wrong (unknown argument, missing operand). */
export class UsageError extends BridgeError {
  readonly code = 'USAGE';
  readonly exitCode = 2;
}

/** A Redis key the bridge owns holds a value of the wrong type; nothing was touched. */
export class WrongKeyTypeError extends BridgeError {
  readonly code = 'WRONG_KEY_TYPE';
  readonly exitCode = 1;
  constructor(readonly key: string, readonly actual: string, expected = 'list') {
    super(`Redis key "${key}" holds a ${actual}, not a ${expected}; refusing to touch it`);
  }
}

/** This process lost (or never held) the lease: it must not move or ack anything. */
export class NotLeaderError extends BridgeError {
  readonly code: string = 'NOT_LEADER';
  readonly exitCode = 1;
}

/** A runtime operation failed in a way the operator must see (the CLI prints one line). */
export class OperationError extends BridgeError {
  readonly code: string;
  readonly exitCode = 1;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Redis reconnected between a take and its publish while replicas are required: behind
 * Sentinel the take may have been lost with the old master, so the batch is not published
 * from memory; the processing list on the current master says what is really in flight.
 */
export class TakeUncertainError extends BridgeError {
  readonly code = 'TAKE_UNCERTAIN';
  readonly exitCode = 1;
}

/** A send to Kafka failed; its outcome is unknown (the broker may have written it). */
export class PublishError extends BridgeError {
  readonly code = 'KAFKA_PUBLISH';
  readonly exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Kafka refused this producer: another one with the same transactional id initialised since
 * (a new leader, or `replay`). This process is no longer the leader; it stands by.
 */
export class FencedError extends NotLeaderError {
  override readonly code = 'FENCED';
}

/**
 * The encode thread (ENCODE_THREAD) died or threw while it held batches: they were taken and
 * never sent, so they are in the processing list and the bridge's road back settles them.
 */
export class EncodeThreadError extends BridgeError {
  readonly code = 'ENCODE_THREAD';
  readonly exitCode = 1;
}

/** A topic that was to be read does not exist; reading never creates one. */
export class UnknownTopicError extends BridgeError {
  readonly code = 'UNKNOWN_TOPIC';
  readonly exitCode = 1;
  constructor(readonly topic: string) {
    super(`topic "${topic}" does not exist`);
  }
}
