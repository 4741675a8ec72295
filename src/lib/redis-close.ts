import type { Redis } from 'ioredis';

/**
 * Closes an ioredis client we own: `quit()` (pending replies first), then `disconnect()`
 * either way — a `quit()` that fails while Redis is unreachable leaves ioredis reconnecting,
 * a timer that holds the process open.
 */
export async function closeRedis(client: Redis | null | undefined): Promise<void> {
  if (!client) return;
  await client.quit().catch(() => undefined);
  client.disconnect();
}
