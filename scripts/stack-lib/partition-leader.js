// `scripts/stack leader TOPIC [PARTITION]`: prints the node id of the partition's leader, from
// the cluster's metadata (kafkajs admin). Exit 1 with one line when there is none.
// Usage: node partition-leader.js BROKERS TOPIC PARTITION
'use strict';
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [brokers, topic, partition] = process.argv.slice(2);
  const kafka = new Kafka({ clientId: 'cdr-bridge-stack', brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 2000, requestTimeout: 5000, retry: { retries: 3 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = topics[0]?.partitions.find((x) => x.partitionId === Number(partition));
    if (!p) throw new Error(`topic ${topic} has no partition ${partition}`);
    if (p.leader < 0) throw new Error(`partition ${topic}/${partition} has no leader`);
    process.stdout.write(`${p.leader}\n`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((err) => {
  process.stderr.write(`stack: error: ${err.message}\n`);
  process.exit(1);
});
