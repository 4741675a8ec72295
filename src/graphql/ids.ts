import { decodeGlobalID } from '@pothos/plugin-relay';

/**
 * The one reader of ids clients send: a Relay global ID of `typename` (what `id` fields
 * return) or the raw database id. Returns the raw id; another type's global ID yields a value
 * that matches nothing, so lookups answer "not found" (services treat ids that are not UUIDs
 * the same way, without asking the database).
 */
export function parseGlobalId(id: string | number, typename: string): string {
  const value = String(id);
  try {
    const decoded = decodeGlobalID(value);
    if (decoded.typename === typename) return decoded.id;
    if (/^[A-Za-z]+$/.test(decoded.typename) && decoded.id) return `${decoded.typename}:${decoded.id}`;
  } catch {
    // not base64 / not a global id: a raw id
  }
  return value;
}
