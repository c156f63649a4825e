// @platformatic/kafka is an ES module: this CommonJS build loads it with import(), which
// TypeScript keeps as is under "module": "nodenext". Loaded once, on first use, so a command
// that never produces nor meets a snappy or lz4 batch does not pay for it.

export type Platformatic = typeof import('@platformatic/kafka');

let loaded: Promise<Platformatic> | undefined;

export function loadPlatformatic(): Promise<Platformatic> {
  loaded ??= import('@platformatic/kafka');
  return loaded;
}
