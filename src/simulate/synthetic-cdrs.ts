// Realistic synthetic dialler CDRs for the simulator, the demo, tests and benchmarks: each
// callee has 1–3 numbers tried in order until one connects; ext is null when the callee hung
// up in the queue; dispositions and SIP codes go together as a real dialler reports them.

export interface SyntheticOptions {
  /** Campaign references to spread callees over. */
  campaigns?: readonly string[];
  /** First sequence number (kept in the payload's `seq` key, so tests can check order). */
  startSeq?: number;
  /** Deterministic output for tests. */
  seed?: number;
  /** Omit the `seq` key (payload exactly like the dialler's). */
  withoutSeq?: boolean;
}

interface Outcome {
  disposition: string;
  sip: number;
  connected: boolean;
  queueHangup?: boolean;
  weight: number;
}

const OUTCOMES: readonly Outcome[] = [
  { disposition: 'ANSWERED', sip: 200, connected: true, weight: 38 },
  { disposition: 'NO_ANSWER', sip: 487, connected: false, weight: 22 },
  { disposition: 'BUSY', sip: 486, connected: false, weight: 10 },
  { disposition: 'ABANDONED', sip: 200, connected: true, queueHangup: true, weight: 8 },
  { disposition: 'VOICEMAIL', sip: 200, connected: false, weight: 8 },
  { disposition: 'FAILED', sip: 404, connected: false, weight: 5 },
  { disposition: 'CONGESTION', sip: 503, connected: false, weight: 4 },
  { disposition: 'UNAVAILABLE', sip: 480, connected: false, weight: 5 },
];
const TOTAL_WEIGHT = OUTCOMES.reduce((a, o) => a + o.weight, 0);

/** mulberry32: a tiny seeded PRNG, so a seed gives the same CDRs every run (the tests' random payloads use it too). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An endless stream of CDR payloads (JSON text), in the order a dialler would push them. */
export function* syntheticCdrs(options: SyntheticOptions = {}): Generator<string> {
  const random = prng(options.seed ?? Date.now());
  const campaigns = options.campaigns ?? ['CAMP-SALES-01', 'CAMP-RENEWALS', 'CAMP-SURVEY-Q4'];
  let seq = options.startSeq ?? 0;
  let callee = Math.floor(random() * 1e6);
  const dialNumber = '27105550100';
  for (;;) {
    callee++;
    const campaign = campaigns[Math.floor(random() * campaigns.length)] as string;
    const numbers = 1 + Math.floor(random() * 3);
    const customRef = `CRM-${callee.toString().padStart(8, '0')}`;
    for (let n = 0; n < numbers; n++) {
      const outcome = pick(random());
      const client = `27${(820000000 + Math.floor(random() * 9999999)).toString()}`;
      const payload: Record<string, unknown> = {
        ext: outcome.connected && !outcome.queueHangup ? String(1000 + Math.floor(random() * 250)) : null,
        internal_call_ref: `${Date.now().toString(36)}-${seq.toString(36)}-${Math.floor(random() * 1e9).toString(36)}`,
        custom_call_ref: customRef,
        disposition: outcome.disposition,
        SIP_termination_code: outcome.sip,
        campaign_ref: campaign,
        client_number: client,
        dial_number: dialNumber,
      };
      if (!options.withoutSeq) payload.seq = seq;
      seq++;
      yield JSON.stringify(payload);
      if (outcome.connected) break;
    }
  }
}

function pick(r: number): Outcome {
  let x = r * TOTAL_WEIGHT;
  for (const o of OUTCOMES) {
    x -= o.weight;
    if (x < 0) return o;
  }
  return OUTCOMES[0] as Outcome;
}

/** The first `count` CDRs of a stream. */
export function takeSynthetic(count: number, options: SyntheticOptions = {}): string[] {
  const out: string[] = [];
  for (const cdr of syntheticCdrs(options)) {
    if (out.length >= count) break;
    out.push(cdr);
  }
  return out;
}
