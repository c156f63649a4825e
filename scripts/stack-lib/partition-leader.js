// `scripts/stack leader TOPIC [PARTITION]`: prints the node id of the partition's leader, from
// the cluster's metadata (the repo's @platformatic/kafka admin; it never creates the topic).
// Exit 1 with one line when there is none.
// Usage: node partition-leader.js BROKERS TOPIC PARTITION
'use strict';

async function main() {
  const [brokers, topic, partition] = process.argv.slice(2);
  // An ES module: import() resolves it from this file's place in the repo (node_modules above).
  const { Admin } = await import('@platformatic/kafka');
  const admin = new Admin({ clientId: 'cdr-bridge-stack', bootstrapBrokers: brokers.split(','), connectTimeout: 2000, timeout: 5000, retries: 3, retryDelay: 200, autocreateTopics: false });
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const p = metadata.topics.get(topic)?.partitions[Number(partition)];
    if (!p) throw new Error(`topic ${topic} has no partition ${partition}`);
    if (p.leader < 0) throw new Error(`partition ${topic}/${partition} has no leader`);
    process.stdout.write(`${p.leader}\n`);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

main().catch((err) => {
  process.stderr.write(`stack: error: ${err.message}\n`);
  process.exit(1);
});
