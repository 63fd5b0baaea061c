/**
 * Client addresses and CIDR ranges (`10.0.0.0/8`, `::1`, `2001:db8::/32`),
 * IPv4 and IPv6 alike. An IPv4 address also matches in its IPv6-mapped form
 * (`::ffff:10.0.0.1`), as dual-stack listeners report it.
 */

/** A parsed range: 16 bytes (IPv4 mapped into `::ffff:0:0/96`) and a prefix length in bits of those 16 bytes. */
export interface Cidr {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

function ipv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

/** The 16 bytes of an IPv4 or IPv6 address (brackets and a zone id allowed), or undefined when it is none. */
export function parseIp(text: string): Uint8Array | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  const v4 = ipv4(t);
  if (v4) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]);
  if (!t.includes(':')) return undefined;
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) is the last two groups.
  const lastColon = t.lastIndexOf(':');
  const dotted = t.slice(lastColon + 1);
  if (dotted.includes('.')) {
    const v = ipv4(dotted);
    if (!v) return undefined;
    t = `${t.slice(0, lastColon + 1)}${((v[0] << 8) | v[1]).toString(16)}:${((v[2] << 8) | v[3]).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const words = [...head, ...Array<string>(8 - total).fill('0'), ...rest].map((g) => parseInt(g, 16));
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** A range (`ADDRESS/BITS`, or an address alone: that one address), or undefined when `text` is none. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const bytes = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!bytes) return undefined;
  if (slash < 0) return { bytes, bits: 128 };
  const v4 = ipv4(text.slice(0, slash).trim()) !== undefined;
  const bitsText = text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > (v4 ? 32 : 128)) return undefined;
  return { bytes, bits: v4 ? bits + 96 : bits };
}

/** Whether `ip` (16 bytes from `parseIp`) is in `range`. */
export function cidrContains(range: Cidr, ip: Uint8Array): boolean {
  let bits = range.bits;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((range.bytes[i] & mask) !== (ip[i] & mask)) return false;
  }
  return true;
}

/** A test for "is this client address in any of `ranges`" (all already valid); an address that does not parse is in none. */
export function inAnyRange(ranges: readonly string[]): (ip: string) => boolean {
  const parsed = ranges.map((r) => parseCidr(r)).filter((r): r is Cidr => r !== undefined);
  if (!parsed.length) return () => false;
  return (ip) => {
    const bytes = parseIp(ip);
    return bytes !== undefined && parsed.some((r) => cidrContains(r, bytes));
  };
}
