#!/usr/bin/env python3
"""Reads CDRs from the cdr-bridge topic and prints each as one JSON line.

A downstream team's consumer, kept short: confluent-kafka (librdkafka) with
isolation.level=read_committed, and Apache Avro's Python library to decode both framings
the bridge writes:
  - Avro single-object encoding: C3 01, the writer schema's CRC-64-AVRO fingerprint
    (8 bytes, little-endian), the Avro body. The writer schema is found by fingerprint
    among the schema files you hold (here: schemas/cdr.avsc).
  - Confluent wire format (when the bridge runs with SCHEMA_REGISTRY_URL): 00, the schema
    id (4 bytes, big-endian), the Avro body. The writer schema is fetched from the registry
    by id (GET /schemas/ids/<id>), once per id.
Either way the body is read with the writer schema resolved to our reader schema, so records
written with an older or newer compatible schema decode too.

Debian: apt-get install python3-confluent-kafka python3-avro; run with /usr/bin/python3.
  consume_cdrs.py --bootstrap-servers HOST:PORT --topic enigma.cdrs --group my-team \
      [--schema schemas/cdr.avsc] [--registry URL] [--count N] [--idle-timeout S]
"""

import argparse
import datetime
import io
import json
import sys
import urllib.request

import avro.io
import avro.schema
from confluent_kafka import Consumer, KafkaError


# --- Avro single-object encoding: the writer schema's fingerprint -------------------------

def crc64_avro(data: bytes) -> int:
    """CRC-64-AVRO (the Avro specification's Rabin fingerprint) of `data`."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for b in data:
        fp = (fp >> 8) ^ table[(fp ^ b) & 0xFF]
    return fp


PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def canonical_form(schema, namespace=""):
    """The Parsing Canonical Form of a schema (as parsed JSON), per the Avro specification.

    Written out because python3-avro 1.11's own canonical_form keeps {"type":"long"} for a
    logical type instead of "long", which gives a different fingerprint than every other
    Avro library.
    """
    if isinstance(schema, str):
        if schema in PRIMITIVES or "." in schema or not namespace:
            return json.dumps(schema)
        return json.dumps(f"{namespace}.{schema}")
    if isinstance(schema, list):
        return "[" + ",".join(canonical_form(s, namespace) for s in schema) + "]"
    kind = schema["type"]
    if kind in PRIMITIVES:
        return json.dumps(kind)
    if kind in ("record", "enum", "fixed"):
        name = schema["name"]
        if "." not in name and schema.get("namespace", namespace):
            name = f"{schema.get('namespace', namespace)}.{name}"
        inner = name.rsplit(".", 1)[0] if "." in name else ""
        parts = [f'"name":{json.dumps(name)}', f'"type":"{kind}"']
        if kind == "record":
            fields = ",".join(
                f'{{"name":{json.dumps(f["name"])},"type":{canonical_form(f["type"], inner)}}}' for f in schema["fields"]
            )
            parts.append(f'"fields":[{fields}]')
        elif kind == "enum":
            parts.append(f'"symbols":{json.dumps(schema["symbols"], separators=(",", ":"))}')
        else:
            parts.append(f'"size":{schema["size"]}')
        return "{" + ",".join(parts) + "}"
    if kind == "array":
        return f'{{"type":"array","items":{canonical_form(schema["items"], namespace)}}}'
    if kind == "map":
        return f'{{"type":"map","values":{canonical_form(schema["values"], namespace)}}}'
    raise ValueError(f"unknown schema type {kind!r}")


# --- Decoding a message value -------------------------------------------------------------

class CdrDecoder:
    def __init__(self, schema_file, registry_url=None):
        with open(schema_file, encoding="utf-8") as f:
            text = f.read()
        self.reader = avro.schema.parse(text)
        fingerprint = crc64_avro(canonical_form(json.loads(text)).encode("utf-8"))
        # Writer schemas known by fingerprint: add each older schema file you still read.
        self.by_fingerprint = {fingerprint.to_bytes(8, "little"): self.reader}
        self.registry_url = registry_url.rstrip("/") if registry_url else None
        self.by_id = {}

    def decode(self, value: bytes) -> dict:
        if value[:2] == b"\xc3\x01":
            writer = self.by_fingerprint.get(value[2:10])
            if writer is None:
                raise ValueError(f"unknown writer schema fingerprint {value[2:10][::-1].hex()}")
            body = value[10:]
        elif value[:1] == b"\x00":
            writer = self.writer_by_id(int.from_bytes(value[1:5], "big"))
            body = value[5:]
        else:
            raise ValueError(f"neither single-object (c301) nor Confluent (00) framing: {value[:2].hex()}")
        datum_reader = avro.io.DatumReader(writer, self.reader)
        return datum_reader.read(avro.io.BinaryDecoder(io.BytesIO(body)))

    def writer_by_id(self, schema_id: int):
        if schema_id not in self.by_id:
            if self.registry_url is None:
                raise ValueError(f"Confluent-framed message (schema id {schema_id}) but no --registry given")
            with urllib.request.urlopen(f"{self.registry_url}/schemas/ids/{schema_id}", timeout=10) as reply:
                self.by_id[schema_id] = avro.schema.parse(json.load(reply)["schema"])
        return self.by_id[schema_id]


def as_json(value):
    """timestamp-millis comes back as a datetime: print it as the epoch milliseconds it is."""
    if isinstance(value, datetime.datetime):
        return (value - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(milliseconds=1)
    raise TypeError(f"cannot print {type(value).__name__}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bootstrap-servers", required=True)
    p.add_argument("--topic", default="enigma.cdrs")
    p.add_argument("--group", required=True, help="your team's consumer group")
    p.add_argument("--schema", default="schemas/cdr.avsc", help="the Cdr schema file (the reader schema)")
    p.add_argument("--registry", help="schema registry URL, for Confluent-framed messages")
    p.add_argument("--count", type=int, help="stop after this many records")
    p.add_argument("--idle-timeout", type=float, default=30.0, help="stop after this many seconds without a record")
    args = p.parse_args()

    decoder = CdrDecoder(args.schema, args.registry)
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap_servers,
        "group.id": args.group,
        # Only records of committed transactions: never a copy the bridge aborted.
        "isolation.level": "read_committed",
        "auto.offset.reset": "earliest",
        # Offsets are committed after the records are handled: at least once, never lost.
        "enable.auto.commit": False,
    })
    consumer.subscribe([args.topic])
    read = 0
    try:
        while args.count is None or read < args.count:
            msg = consumer.poll(args.idle_timeout)
            if msg is None:
                break
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                print(f"consume_cdrs: {msg.error()}", file=sys.stderr)
                return 1
            headers = dict(msg.headers() or [])
            cdr = decoder.decode(msg.value())
            print(json.dumps({
                "partition": msg.partition(),
                "offset": msg.offset(),
                "key": msg.key().decode("utf-8") if msg.key() is not None else None,
                "cdr_id_header": headers["cdr-id"].decode("ascii") if "cdr-id" in headers else None,
                "cdr": cdr,
            }, default=as_json), flush=True)
            consumer.commit(message=msg, asynchronous=False)
            read += 1
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
