const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Is `value` a UUID? Rows keyed by UUID are looked up only then (anything else matches nothing). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
