import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * A machine fact the cold path depends on: what writing into memory the process has never
 * touched costs, against writing the same bytes into memory it has touched before — with
 * glibc's default allocator settings and with the ones `npm start`, `npm run worker` and the
 * Dockerfile set (transparent huge pages for the heap, allocations up to 32 MiB from it). A
 * cold backtest batch copies every candle column it reads into new SharedArrayBuffers (one
 * per instrument, ≈ 1 MiB for 44,000 bars × 3 columns; the L1 cache keeps them), so its floor
 * on a machine is roughly bytes read × this fresh-memory rate.
 *   npx tsx bench/memory.bench.ts          (BENCH_MB: size, default 224 — the reference set's
 *                                           time, open and close columns)
 */
const TUNED = 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=67108864:glibc.malloc.trim_threshold=268435456';
const MB = 2 ** 20;
const size = Number(process.env.BENCH_MB ?? 224) * MB;
const chunk = new Uint8Array(64 * 1024).fill(1);

/** Allocates (zeroed, as V8 does) and fills `count` buffers of `bytes`; ms for both. */
function allocateAndFill(count: number, bytes: number): number {
  const kept: Uint8Array[] = [];
  const t = performance.now();
  for (let i = 0; i < count; i++) {
    const b = new Uint8Array(new SharedArrayBuffer(bytes));
    for (let at = 0; at < b.length; at += chunk.length) b.set(chunk.subarray(0, Math.min(chunk.length, b.length - at)), at);
    kept.push(b);
  }
  return performance.now() - t;
}

function measure(): { large: number; perInstrument: number; touched: number; hugePagesMiB: number } {
  const large = allocateAndFill(1, size);
  const perInstrument = allocateAndFill(size / MB, MB);
  const reused = new Uint8Array(new ArrayBuffer(size));
  reused.fill(2);
  const t = performance.now();
  for (let at = 0; at < reused.length; at += chunk.length) reused.set(chunk, at);
  const touched = performance.now() - t;
  const huge = /AnonHugePages:\s+(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1];
  return { large, perInstrument, touched, hugePagesMiB: huge ? Number(huge) / 1024 : 0 };
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(measure()));
} else {
  console.log(`memory bench: ${size / MB} MiB as one buffer and as ${size / MB} buffers of 1 MiB, allocated and written in 64 KiB copies; THP ${readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').trim()}`);
  const run = (tunables: string) => {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--child'], { env: { ...process.env, GLIBC_TUNABLES: tunables }, encoding: 'utf8' });
    if (child.status !== 0) throw new Error(child.stderr);
    return JSON.parse(child.stdout) as ReturnType<typeof measure>;
  };
  for (let pass = 1; pass <= 2; pass++) {
    const plain = run('');
    const tuned = run(TUNED);
    const perPage = (ms: number) => `${((ms * 1000) / (size / 4096)).toFixed(1)} µs/page`;
    console.log(`  pass ${pass}: memory touched before ${plain.touched.toFixed(0)} ms (the floor)`);
    console.log(`    glibc defaults: one buffer ${plain.large.toFixed(0)} ms (${perPage(plain.large)}, ${(plain.large / plain.touched).toFixed(0)}× the floor); 1 MiB buffers ${plain.perInstrument.toFixed(0)} ms (${(plain.perInstrument / plain.touched).toFixed(0)}×); huge pages ${plain.hugePagesMiB.toFixed(0)} MiB`);
    console.log(`    GLIBC_TUNABLES=${TUNED}: one buffer ${tuned.large.toFixed(0)} ms (${(tuned.large / plain.touched).toFixed(0)}×); 1 MiB buffers ${tuned.perInstrument.toFixed(0)} ms (${(tuned.perInstrument / plain.touched).toFixed(0)}×, ${(plain.perInstrument / tuned.perInstrument).toFixed(1)}× faster than defaults); huge pages ${tuned.hugePagesMiB.toFixed(0)} MiB`);
  }
}
