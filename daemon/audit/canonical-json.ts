/** Canonical JSON (RFC 8785 style): the exact bytes the audit hash covers, stable across runs and versions. */

/**
 * Keys sorted by UTF-16 code units, no whitespace, JSON.stringify's number and string forms,
 * `undefined` members dropped. Owned here rather than taken from a package because the audit
 * chain's hashes depend on it byte for byte: a dependency upgrade must never change it.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode the number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      // Array.from visits holes too (map skips them and would emit `[,1]`).
      if (Array.isArray(value)) return `[${Array.from(value, (v: unknown) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}
