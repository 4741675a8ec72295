import { decodeGlobalID } from '@pothos/plugin-relay';

/**
 * Accepts either a Relay global ID of `typename` (what `id` fields return) or the raw
 * database id, and returns the raw id; anything else (another type's global ID) yields a
 * value that matches nothing, so lookups answer "not found".
 */
export function rawId(id: string, typename: string): string {
  try {
    const decoded = decodeGlobalID(id);
    if (decoded.typename === typename) return decoded.id;
    if (/^[A-Za-z]+$/.test(decoded.typename) && decoded.id) return `${decoded.typename}:${decoded.id}`;
  } catch {
    // not base64 / not a global id: a raw id
  }
  return id;
}
