// Snappy and LZ4 for kafkajs, which ships gzip only and throws KafkaJSNotImplemented on any
// other batch it fetches. The producer (@platformatic/kafka) writes snappy and lz4 batches
// when KAFKA_COMPRESSION asks for them, and everything that reads the topic — the bridge's
// read-back after a crash, `cdr-bridge tail`, the tests — reads through kafkajs: these codecs
// are the producer's own, so what one library writes the other reads.
//
// Wire formats, as Kafka's record batches carry them (checked against Kafka's Java client in
// test/bridge/compression.test.ts):
//   * lz4: the LZ4 frame format, both ways.
//   * snappy: the library writes raw snappy, which the Java client reads. The Java client
//     writes xerial's framing (a magic header, then length-prefixed raw snappy chunks) — as
//     does a broker that recompresses a topic with compression.type=snappy — so reading
//     unwraps that framing when it is there.

import { CompressionCodecs, CompressionTypes, KafkaJSNonRetriableError } from 'kafkajs';
import { loadPlatformatic } from './platformatic';

type Transform = (data: Buffer) => Buffer;

interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** `\x82SNAPPY\0`, then a 4-byte version and a 4-byte compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

/** Raw snappy as is; xerial-framed snappy chunk by chunk. */
export function unframeSnappy(buffer: Buffer, decompressRaw: Transform): Buffer {
  if (buffer.length < XERIAL_HEADER_BYTES || !buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return decompressRaw(buffer);
  }
  const chunks: Buffer[] = [];
  let pos = XERIAL_HEADER_BYTES;
  while (pos < buffer.length) {
    if (pos + 4 > buffer.length) throw new Error('truncated xerial snappy chunk header');
    const size = buffer.readUInt32BE(pos);
    pos += 4;
    if (pos + size > buffer.length) throw new Error(`xerial snappy chunk of ${size} bytes runs past the end of the batch`);
    chunks.push(decompressRaw(buffer.subarray(pos, pos + size)));
    pos += size;
  }
  return Buffer.concat(chunks);
}

function codec(name: 'snappy' | 'lz4'): KafkajsCodec {
  const algorithm = async () => (await loadPlatformatic()).compressionsAlgorithms[name];
  return {
    async compress(encoder) {
      return (await algorithm()).compressSync(encoder.buffer);
    },
    async decompress(buffer) {
      const { decompressSync } = await algorithm();
      try {
        return name === 'snappy' ? unframeSnappy(buffer, decompressSync) : decompressSync(buffer);
      } catch (err) {
        // Not retriable: fetching the same bytes again cannot help, so the reader fails at
        // once with this reason instead of kafkajs retrying and restarting the consumer
        // until the read times out. (The WebAssembly says no more than "unreachable".)
        throw new KafkaJSNonRetriableError(`cannot decompress a ${name} record batch of ${buffer.length} bytes: ${(err as Error).message}`);
      }
    },
  };
}

let registered = false;

/** Makes kafkajs read and write snappy and lz4 batches. Process-wide; idempotent. */
export function registerKafkajsCodecs(): void {
  if (registered) return;
  registered = true;
  const snappy = codec('snappy');
  const lz4 = codec('lz4');
  CompressionCodecs[CompressionTypes.Snappy] = () => snappy;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4;
}
