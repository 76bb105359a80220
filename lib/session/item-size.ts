/**
 * DynamoDB's item size, as it bills and limits items: the UTF-8 bytes of every attribute name plus its
 * value. Strings count their UTF-8 bytes, binary values their bytes; numbers 1 byte plus 1 per two significant digits (at most 21);
 * booleans and null 1 byte; a map or list 3 bytes plus 1 byte per element, plus its elements (a map
 * element also counts its key). An estimate that never undercounts for the values the service stores.
 */

const NUMBER_MAX_BYTES = 21;

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Significant decimal digits of a finite number, as DynamoDB stores it (no sign, exponent or padding). */
function significantDigits(value: number): number {
  const [mantissa = ''] = Math.abs(value).toExponential().split('e');
  return Math.max(1, mantissa.replace('.', '').replace(/0+$/, '').length);
}

/** The size of one value, without any attribute name. */
export function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'number') {
    return Math.min(NUMBER_MAX_BYTES, 1 + Math.ceil(significantDigits(value) / 2));
  }
  if (Array.isArray(value)) {
    return 3 + value.reduce((sum: number, element) => sum + 1 + valueSize(element), 0);
  }
  if (typeof value === 'object') {
    return (
      3 +
      Object.entries(value as Record<string, unknown>).reduce(
        (sum, [key, element]) => sum + 1 + utf8Bytes(key) + valueSize(element),
        0,
      )
    );
  }
  throw new TypeError(`no DynamoDB size for a ${typeof value}`);
}

/** The size of one top-level attribute: its name plus its value. */
export function attributeSize(name: string, value: unknown): number {
  return utf8Bytes(name) + valueSize(value);
}

/** The size of a whole item, as DynamoDB counts it against its 400 KB limit and for capacity. */
export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => (value === undefined ? sum : sum + attributeSize(name, value)),
    0,
  );
}
