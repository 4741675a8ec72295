import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';

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

/**
 * The global id of a row, as its type's `id` field returns it. Every id the API hands out
 * is global — on objects, in subscription events and in mutation payloads — so a client
 * can pass any of them to node(id:) or compare them with `id` fields.
 */
export function globalId(typename: string, rawId: string): string {
  return encodeGlobalID(typename, rawId);
}
