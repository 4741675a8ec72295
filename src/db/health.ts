import type pg from 'pg';

/** Does the database answer a trivial query? Never throws: /ready reports the reason instead. */
export async function pingDatabase(pool: pg.Pool): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await pool.query('/* pingDatabase */ SELECT 1');
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `database unreachable: ${(error as Error).message || (error as Error).name}` };
  }
}
