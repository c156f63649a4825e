#!/usr/bin/env python3
"""The tests' reader of record: a topic read to its end by code the project did not write.

librdkafka (Debian's python3-confluent-kafka) reads every partition from its start to the end of
what is committed (isolation.level=read_committed, or read_uncommitted with --uncommitted), and
Apache Avro's Python library (python3-avro) decodes each value with schemas/cdr.avsc, through the
downstream consumer example's decoder (examples/consumers/python). Prints one JSON line per record:
partition, offset, key, the cdr-id header, the value (base64) and, unless --raw, the decoded CDR.

  oracle-reader.py --bootstrap-servers HOST:PORT --topic T [--schema F] [--raw] [--uncommitted]
"""

import argparse
import base64
import json
import os
import sys

from confluent_kafka import Consumer, KafkaError, TopicPartition

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "examples", "consumers", "python"))
from consume_cdrs import CdrDecoder, as_json  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap-servers", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--schema", default=os.path.join(ROOT, "schemas", "cdr.avsc"))
    p.add_argument("--raw", action="store_true", help="do not decode the values (not CDRs)")
    p.add_argument("--uncommitted", action="store_true", help="read_uncommitted: aborted records too")
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args()

    decoder = None if args.raw else CdrDecoder(args.schema)
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap_servers,
        "group.id": "cdr-bridge-oracle",
        "isolation.level": "read_uncommitted" if args.uncommitted else "read_committed",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    })
    try:
        meta = consumer.list_topics(args.topic, timeout=args.timeout)
        topic = meta.topics.get(args.topic)
        if topic is None or topic.error is not None:
            print(f"oracle-reader: topic {args.topic}: {topic.error if topic else 'unknown'}", file=sys.stderr)
            return 1
        partitions = sorted(topic.partitions)
        # The end is fixed at the start: the high-water mark of each partition now. A partition
        # is done at its end, or at EOF (read_committed stops early at an open transaction).
        ends = {}
        for n in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(args.topic, n), timeout=args.timeout)
            if high > low:
                ends[n] = high
        consumer.assign([TopicPartition(args.topic, n, 0 if n in ends else -1) for n in partitions])
        pending = set(ends)
        while pending:
            msg = consumer.poll(args.timeout)
            if msg is None:
                print(f"oracle-reader: nothing for {args.timeout} s; partitions {sorted(pending)} not read to their end", file=sys.stderr)
                return 1
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    pending.discard(msg.partition())
                    continue
                print(f"oracle-reader: {msg.error()}", file=sys.stderr)
                return 1
            if msg.partition() not in pending:
                continue
            headers = dict(msg.headers() or [])
            value = msg.value() or b""
            out = {
                "partition": msg.partition(),
                "offset": msg.offset(),
                "key": msg.key().decode("utf-8") if msg.key() is not None else None,
                "cdr_id_header": headers["cdr-id"].decode("ascii") if "cdr-id" in headers else None,
                "value": base64.b64encode(value).decode("ascii"),
            }
            if decoder is not None:
                out["cdr"] = decoder.decode(value)
            print(json.dumps(out, default=as_json))
            if msg.offset() + 1 >= ends[msg.partition()]:
                pending.discard(msg.partition())
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
