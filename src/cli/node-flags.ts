// The V8 settings `cdr-bridge` runs with, given on node's command line by bin/cdr-bridge (a test
// holds the two together) and by the benchmark, which starts node itself.
//
// --max-semi-space-size=8 (MiB; V8's default here is 16): the young generation is where nearly
// every per-CDR object lives and dies. Half the size means scavenges twice as often and Buffers
// freed sooner: peak RSS ~20 MiB lower during a drain (163-169 against 163-188 MiB in four
// interleaved pairs), which keeps a 2,000,000-CDR backlog under 200 MB, for 0.935x the drain
// throughput (bench/compare.js --node-args).
//
// --use-system-ca: trust the host's CA store (/etc/ssl/certs, SSL_CERT_FILE, SSL_CERT_DIR on Linux)
// as well as Node's bundled Mozilla list, for Redis, Kafka and the schema registry alike. Without
// it a corporate CA installed on the host is not trusted, whatever the host's tools do.
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--use-system-ca'];
