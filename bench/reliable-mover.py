#!/usr/bin/python3
# The benchmark's yardstick (issue 10): the same reliable-list pattern as cdr-bridge, written
# plainly on librdkafka — a Lua take of up to BATCH_SIZE items (RPOP n + LPUSH onto the
# processing list), each raw payload produced as it is (no decode, no Avro, no key) with
# acks=all on an idempotent producer, a flush that waits for the broker, then an LTRIM of the
# processing list. What moving a CDR reliably costs a C client; `npm run bench` drains the same
# backlog with it and with the bridge in turns and prints the ratio. Debian's python3-redis and
# python3-confluent-kafka (scripts/bench installs them). Environment: REDIS_URL, KAFKA_BROKERS,
# CDR_SOURCE_KEY, KAFKA_TOPIC, BATCH_SIZE (500), KAFKA_TOPIC_PARTITIONS (3). SIGTERM: finish
# the batch in hand, exit 0.
import os
import signal
import sys
import time

import redis
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

# KEYS[1] source list, KEYS[2] processing list; ARGV[1] most items to take. Returns them, oldest first.
TAKE_2 = """
local items = redis.call('RPOP', KEYS[1], ARGV[1])
if items then redis.call('LPUSH', KEYS[2], unpack(items)) end
return items
"""
IDLE_SLEEP_S = 0.002

stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


def ensure_topic(brokers, topic, partitions):
    admin = AdminClient({"bootstrap.servers": brokers})
    if topic in admin.list_topics(timeout=30).topics:
        return
    for future in admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=-1)]).values():
        try:
            future.result()
        except KafkaException as err:
            if "TOPIC_ALREADY_EXISTS" not in str(err):
                raise


def main():
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    brokers = os.environ["KAFKA_BROKERS"]
    topic = os.environ["KAFKA_TOPIC"]
    source = os.environ["CDR_SOURCE_KEY"]
    processing = source + ":processing"
    batch = int(os.environ.get("BATCH_SIZE", "500"))
    ensure_topic(brokers, topic, int(os.environ.get("KAFKA_TOPIC_PARTITIONS", "3")))

    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    take = r.register_script(TAKE_2)
    producer = Producer({
        "bootstrap.servers": brokers,
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": 1,
    })
    failed = []

    def delivered(err, _msg):
        if err is not None:
            failed.append(err)

    # Connect both now, so the first batch pays no connection set-up.
    r.ping()
    producer.list_topics(topic, timeout=30)
    print("mover ready", file=sys.stderr, flush=True)
    while not stopping:
        items = take(keys=[source, processing], args=[batch])
        if not items:
            time.sleep(IDLE_SLEEP_S)
            continue
        for item in items:
            producer.produce(topic, value=item, on_delivery=delivered)
        remaining = producer.flush(30)
        if remaining or failed:
            # The batch stays in the processing list: nothing is lost, the run is void.
            print(f"mover: {remaining} undelivered, {len(failed)} failed: {failed[:3]}", file=sys.stderr, flush=True)
            return 1
        # This batch is the head of the processing list (LPUSHed last): drop exactly it.
        r.ltrim(processing, len(items), -1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
