// Reads CDRs from the cdr-bridge topic and prints each as one JSON line: a downstream team's
// consumer, kept short. Kafka's Java client with isolation.level=read_committed (Java's default
// is read_uncommitted, which would also show copies of aborted transactions), and Apache Avro
// to decode both framings the bridge writes:
//   - Avro single-object encoding (C3 01, the writer schema's CRC-64-AVRO fingerprint, the body):
//     Avro's BinaryMessageDecoder finds the writer schema by fingerprint among those it was given.
//   - Confluent wire format (00, the schema id as 4 bytes big-endian, the body), when the bridge
//     runs with SCHEMA_REGISTRY_URL: the writer schema is fetched from the registry by id, once.
// Either way the writer schema is resolved to the reader schema (our schemas/cdr.avsc), so
// records written with an older or newer compatible schema decode too.
//
//   ConsumeCdrs --bootstrap-servers HOST:PORT --topic enigma.cdrs --group my-team
//               [--schema schemas/cdr.avsc] [--registry URL] [--count N] [--idle-timeout SECONDS]
package example;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class ConsumeCdrs {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Decodes a message value in either framing into a record of the reader schema. */
  static final class CdrDecoder {
    private final Schema reader;
    private final BinaryMessageDecoder<GenericRecord> singleObject;
    private final String registry;
    private final Map<Integer, GenericDatumReader<GenericRecord>> byId = new HashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();

    CdrDecoder(Schema reader, String registry) {
      this.reader = reader;
      // Knows the reader schema's fingerprint; addSchema(older) for each older schema you still read.
      this.singleObject = new BinaryMessageDecoder<>(GenericData.get(), reader);
      this.registry = registry == null ? null : registry.replaceAll("/+$", "");
    }

    GenericRecord decode(byte[] value) throws Exception {
      if (value.length >= 2 && (value[0] & 0xff) == 0xc3 && value[1] == 0x01) {
        return singleObject.decode(value);
      }
      if (value.length >= 5 && value[0] == 0) {
        int id = ByteBuffer.wrap(value, 1, 4).getInt();
        return writerById(id).read(null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
      }
      throw new IllegalArgumentException("neither single-object (c301) nor Confluent (00) framing");
    }

    private GenericDatumReader<GenericRecord> writerById(int id) throws Exception {
      GenericDatumReader<GenericRecord> known = byId.get(id);
      if (known != null) return known;
      if (registry == null) throw new IllegalArgumentException("Confluent-framed message (schema id " + id + ") but no --registry given");
      HttpResponse<String> reply = http.send(HttpRequest.newBuilder(URI.create(registry + "/schemas/ids/" + id)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      if (reply.statusCode() != 200) throw new IllegalStateException("registry answered " + reply.statusCode() + " for schema id " + id);
      Schema writer = new Schema.Parser().parse(JSON.readTree(reply.body()).get("schema").asText());
      GenericDatumReader<GenericRecord> datumReader = new GenericDatumReader<>(writer, reader);
      byId.put(id, datumReader);
      return datumReader;
    }
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>(Map.of("--topic", "enigma.cdrs", "--schema", "schemas/cdr.avsc", "--idle-timeout", "30"));
    for (int i = 0; i + 1 < argv.length; i += 2) args.put(argv[i], argv[i + 1]);
    for (String required : List.of("--bootstrap-servers", "--group")) {
      if (!args.containsKey(required)) {
        System.err.println("ConsumeCdrs: " + required + " is required");
        System.exit(2);
      }
    }
    long count = args.containsKey("--count") ? Long.parseLong(args.get("--count")) : Long.MAX_VALUE;
    Duration idle = Duration.ofMillis((long) (Double.parseDouble(args.get("--idle-timeout")) * 1000));
    CdrDecoder decoder = new CdrDecoder(new Schema.Parser().parse(new File(args.get("--schema"))), args.get("--registry"));

    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args.get("--bootstrap-servers"));
    props.put(ConsumerConfig.GROUP_ID_CONFIG, args.get("--group"));
    // Only records of committed transactions: never a copy the bridge aborted.
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Offsets are committed after the records are handled: at least once, never lost.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");

    long read = 0;
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(args.get("--topic")));
      Instant lastRecord = Instant.now();
      while (read < count && Duration.between(lastRecord, Instant.now()).compareTo(idle) < 0) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
        for (ConsumerRecord<String, byte[]> record : records) {
          if (read >= count) break;
          Header cdrId = record.headers().lastHeader("cdr-id");
          ObjectNode line = JSON.createObjectNode();
          line.put("partition", record.partition());
          line.put("offset", record.offset());
          line.put("key", record.key());
          line.put("cdr_id_header", cdrId == null ? null : new String(cdrId.value(), StandardCharsets.US_ASCII));
          line.set("cdr", toJson(decoder.decode(record.value())));
          System.out.println(JSON.writeValueAsString(line));
          read++;
          lastRecord = Instant.now();
        }
        if (!records.isEmpty()) consumer.commitSync();
      }
    }
  }

  /** A generic record as JSON: strings, numbers (received_at: epoch milliseconds), null, maps. */
  private static com.fasterxml.jackson.databind.JsonNode toJson(Object value) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (value == null) return f.nullNode();
    if (value instanceof GenericRecord record) {
      ObjectNode node = f.objectNode();
      for (Schema.Field field : record.getSchema().getFields()) node.set(field.name(), toJson(record.get(field.pos())));
      return node;
    }
    if (value instanceof Map<?, ?> map) {
      ObjectNode node = f.objectNode();
      for (Map.Entry<?, ?> e : map.entrySet()) node.set(e.getKey().toString(), toJson(e.getValue()));
      return node;
    }
    if (value instanceof Long l) return f.numberNode(l);
    if (value instanceof Integer i) return f.numberNode(i);
    return f.textNode(value.toString());
  }
}
