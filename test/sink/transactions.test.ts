// The transactional sink against a real Kafka: a second producer with the same transactional id
// initialises and fences the first — on send and on commit — so a read_committed reader sees one
// copy; and the committed position read back is exactly the last committed transaction's.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FencedError } from '../../src/errors';
import { createLogger } from '../../src/log';
import { KafkaSink, type OutMessage, type SinkSettings } from '../../src/sink/kafka-sink';
import { createProducer } from '../../src/sink/producer';
import { oracleRawValues } from '../support/oracle-topic';
import { kafkaSettings, services, uniqueName, waitFor } from '../support/services';
import { readToEnd } from '../../src/sink/topic-reader';

const log = createLogger('silent');
const sinks: KafkaSink[] = [];
after(async () => {
  for (const s of sinks) await s.disconnect().catch(() => undefined);
});

function settings(topic: string, transactionalId: string, progressTopic: string): SinkSettings {
  return {
    kafkaBrokers: services.kafkaBrokers.split(','),
    kafkaTopic: topic,
    kafkaClientId: 'cdr-bridge-test',
    kafkaCompression: 'none',
    kafkaCreateTopic: true,
    kafkaTopicPartitions: 1,
    kafkaTopicReplicationFactor: undefined,
    kafkaMaxRequestBytes: 900_000,
    kafkaTransactionalId: transactionalId,
    kafkaProgressTopic: progressTopic,
    sourceKey: 'test:source',
    kafkaSaslMechanism: undefined,
    kafkaSaslUsername: undefined,
    kafkaSaslPassword: undefined,
    kafkaSsl: false,
    kafkaSslCaFile: undefined,
  } as SinkSettings;
}

function sink(s: SinkSettings): KafkaSink {
  const k = new KafkaSink(s, log);
  sinks.push(k);
  return k;
}

/** A sink connected and initialised, as a new leader's: it has fenced every earlier producer with the id. */
async function initialised(s: SinkSettings): Promise<KafkaSink> {
  const k = sink(s);
  await k.connect();
  await k.init();
  return k;
}

const message = (id: string): OutMessage => ({ key: `k-${id}`, value: Buffer.from(`value-${id}`), cdrId: id, keyBytes: Buffer.from(`k-${id}`), cdrIdBytes: Buffer.from(id) });

describe('transactional sink', () => {
  it('a second producer with the same transactional id initialises and fences the first on send and on commit; read_committed sees one copy', async () => {
    const s = settings(uniqueName('test.txn'), uniqueName('tx'), uniqueName('test.progress'));
    const first = await initialised(s);
    await first.begin();
    await first.send([message('a')]);
    await first.commit({ listId: 'L', seq: 1 });

    // The first (now a zombie) opens a transaction and sends; the second initialises meanwhile.
    await first.begin();
    await first.send([message('zombie-1')]);
    const second = await initialised(s);
    await assert.rejects(first.send([message('zombie-2')]), FencedError, 'the zombie is fenced on send');
    await assert.rejects(first.commit({ listId: 'L', seq: 2 }), FencedError, 'and on commit');

    assert.deepEqual(await second.committedProgress(), { listId: 'L', seq: 1 }, 'the zombie\'s transaction did not commit its position');
    await second.begin();
    await second.send([message('b')]);
    await second.commit({ listId: 'L', seq: 2 });

    const ids: string[] = [];
    await readToEnd(kafkaSettings(), s.kafkaTopic, {}, (m) => ids.push(String(m.headers['cdr-id'])));
    assert.deepEqual(ids, ['a', 'b'], 'read_committed: the zombie\'s records are not there');
    // A third process (a restart) initialises too: the fresh-producer id/epoch fix holds.
    const third = await initialised(s);
    assert.deepEqual(await third.committedProgress(), { listId: 'L', seq: 2 });
  });

  it('reads the last committed position, skipping an aborted transaction\'s position, while another producer holds a transaction open on the progress topic', async () => {
    const progressTopic = uniqueName('test.progress');
    const mine = settings(uniqueName('test.txn'), uniqueName('tx-mine'), progressTopic);
    const a = sink(mine);
    await a.connect();
    assert.equal(await (async () => { await a.init(); return a.committedProgress(); })(), undefined, 'nothing committed yet');
    for (let seq = 1; seq <= 3; seq++) {
      await a.begin();
      await a.send([message(`m${seq}`)]);
      await a.commit({ listId: 'L', seq });
    }
    // Another source's producer opens a transaction on the same progress partition and leaves it open.
    const other = await createProducer(settings(mine.kafkaTopic, uniqueName('tx-other'), progressTopic), log, uniqueName('tx-other'));
    const open = await other.beginTransaction();
    await open.send({ messages: [{ topic: progressTopic, partition: 0, key: Buffer.from('tx-other'), value: Buffer.from('{"list":"O","seq":9}') }] });
    try {
      // Mine commits seq 4 after the other's open transaction began: read_committed would not see it yet.
      await a.begin();
      await a.send([message('m4')]);
      await a.commit({ listId: 'L', seq: 4 });
      // A transaction of mine that carried its position (its last send did) and failed before
      // its commit: the next init aborts it, position record and all.
      await a.begin();
      await a.send([message('m5')], { listId: 'L', seq: 5 });
      const b = await initialised(mine);
      // Read by the oracle (librdkafka, read_uncommitted): the aborted position is in the log.
      const written = (await oracleRawValues(services.kafkaBrokers, progressTopic, true)).map(String);
      assert.ok(written.some((v) => /"seq":5[,}]/.test(v)), `the aborted transaction wrote its position L/5: ${written.join(' | ')}`);
      assert.deepEqual(await b.committedProgress(), { listId: 'L', seq: 4 }, 'the reader skipped the aborted position L/5');
    } finally {
      await open.abort().catch(() => undefined);
      await other.close(true);
    }
  });

  it('the last send can carry the position: one position record per transaction either way, and a commit at another position is refused', async () => {
    const s = settings(uniqueName('test.txn'), uniqueName('tx'), uniqueName('test.progress'));
    const a = await initialised(s);
    // Two batches, the second carrying the position; then one whose commit writes it.
    await a.begin();
    await a.send([message('p1'), message('p2')]);
    await a.send([message('p3')], { listId: 'L', seq: 2 });
    await assert.rejects(a.send([message('late')]), /after the transaction's position was sent/);
    await assert.rejects(a.commit({ listId: 'L', seq: 3 }), /commit at L\/3 after the position L\/2 was sent/);
    await a.commit({ listId: 'L', seq: 2 });
    await a.begin();
    await a.send([message('p4')]);
    await a.commit({ listId: 'L', seq: 3 });

    // EndTxn answers once the commit is decided; its markers reach the partitions a moment later,
    // so a read_committed reader sees the last transaction once they have.
    let ids: string[] = [];
    await waitFor('the four records committed', async () => {
      ids = [];
      await readToEnd(kafkaSettings(), s.kafkaTopic, {}, (m) => ids.push(String(m.headers['cdr-id'])));
      return ids.length >= 4;
    }, 30_000, 200);
    assert.deepEqual(ids, ['p1', 'p2', 'p3', 'p4']);
    const positions: string[] = [];
    await readToEnd(kafkaSettings(), s.kafkaProgressTopic, {}, (m) => positions.push(String(m.value)));
    assert.equal(positions.length, 2, `one position record per transaction: ${positions.join(' | ')}`);
    assert.match(positions[0]!, /"seq":2/);
    assert.match(positions[1]!, /"seq":3/);
    const b = await initialised(s);
    assert.deepEqual(await b.committedProgress(), { listId: 'L', seq: 3 });
  });
});
