/**
 * A machine fact the cold path depends on: what writing into memory the process has never
 * touched costs, against writing the same bytes into memory it has touched before. A cold
 * backtest batch copies every candle column it reads into new SharedArrayBuffers (the L1
 * cache keeps them), so its floor on a machine is roughly bytes read × this fresh-memory rate.
 *   npx tsx bench/memory.bench.ts          (BENCH_MB: size, default 224 — the reference set's
 *                                           time, open and close columns)
 */
const MB = 2 ** 20;
const size = Number(process.env.BENCH_MB ?? 224) * MB;
const chunk = new Uint8Array(64 * 1024).fill(1);

function fill(bytes: Uint8Array): number {
  const t = performance.now();
  for (let at = 0; at < bytes.length; at += chunk.length) bytes.set(chunk, at);
  return performance.now() - t;
}

console.log(`memory bench: writing ${size / MB} MiB in 64 KiB copies`);
for (let pass = 1; pass <= 2; pass++) {
  const fresh = fill(new Uint8Array(new SharedArrayBuffer(size)));
  const freshPerInstrument = Array.from({ length: size / MB }, () => fill(new Uint8Array(new SharedArrayBuffer(MB)))).reduce((a, b) => a + b, 0);
  const reused = new Uint8Array(new ArrayBuffer(size));
  fill(reused);
  const again = fill(reused);
  const perPage = (ms: number) => `${((ms * 1000) / (size / 4096)).toFixed(1)} µs per 4 KiB page`;
  console.log(`  pass ${pass}: fresh SharedArrayBuffer ${fresh.toFixed(0)} ms (${perPage(fresh)}); fresh 1 MiB buffers ${freshPerInstrument.toFixed(0)} ms; memory touched before ${again.toFixed(0)} ms (${(fresh / again).toFixed(0)}× faster)`);
}
