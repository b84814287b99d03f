/**
 * Just enough DER (X.690) for two jobs: building the TBSCertificate of a self-signed
 * certificate (node:crypto signs but has no certificate builder), and looking at the
 * outer shape of pasted key bytes so a wrong paste gets a precise error instead of
 * OpenSSL's "wrong tag".
 */

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(TAG.sequence, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(TAG.set, Buffer.concat(items));
export const nullValue = (): Buffer => tlv(TAG.null, Buffer.alloc(0));
export const octetString = (content: Uint8Array): Buffer => tlv(TAG.octetString, content);
export const utf8String = (text: string): Buffer => tlv(TAG.utf8String, Buffer.from(text, 'utf8'));
export const boolean = (value: boolean): Buffer => tlv(TAG.boolean, Buffer.from([value ? 0xff : 0x00]));

/** Context-specific constructed tag, e.g. `[0] EXPLICIT` for the certificate version. */
export const explicit = (tagNumber: number, content: Uint8Array): Buffer => tlv(0xa0 | tagNumber, content);

/** A BIT STRING whose content is whole bytes (no unused bits), as signatures and keys are. */
export const bitString = (content: Uint8Array): Buffer =>
  tlv(TAG.bitString, Buffer.concat([Buffer.from([0]), content]));

/** INTEGER from unsigned big-endian bytes: minimal form, with a 0x00 pad when the top bit is set. */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = Buffer.from(bytes.subarray(start));
  const content = trimmed.length === 0 ? Buffer.from([0]) : trimmed;
  return tlv(TAG.integer, (content[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), content]) : content);
}

export const smallInteger = (value: number): Buffer => {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new RangeError('small integer only');
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return unsignedInteger(Uint8Array.from(bytes));
};

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => Number(arc));
  if (arcs.length < 2 || arcs.some((arc) => !Number.isSafeInteger(arc) || arc < 0)) {
    throw new RangeError(`not an object identifier: ${dotted}`);
  }
  const out: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const base128: number[] = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) {
      base128.unshift((rest & 0x7f) | 0x80);
    }
    out.push(...base128);
  }
  return tlv(TAG.oid, Uint8Array.from(out));
}

/**
 * RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always in UTC with
 * seconds and a `Z`.
 */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError('certificate dates must be between 1950 and 9999');
  return year < 2050
    ? tlv(TAG.utcTime, Buffer.from(digits.slice(2), 'ascii'))
    : tlv(TAG.generalizedTime, Buffer.from(digits, 'ascii'));
}

// ---- reading ----------------------------------------------------------------------

export interface DerNode {
  tag: number;
  /** Offset of the first content byte in the buffer that was read. */
  start: number;
  /** Offset just after the last content byte. */
  end: number;
  /** Offset just after the node (header + content), i.e. where a sibling would start. */
  next: number;
}

export type HeaderResult = { ok: true; node: DerNode } | { ok: false; reason: 'truncated' | 'malformed' };

/** Reads one TLV header at `offset` without trusting the declared length. */
export function readHeader(der: Uint8Array, offset: number, limit = der.length): HeaderResult {
  if (offset + 2 > limit) return { ok: false, reason: 'truncated' };
  const tag = der[offset]!;
  // Multi-byte tags never occur in the structures we look at.
  if ((tag & 0x1f) === 0x1f) return { ok: false, reason: 'malformed' };
  const first = der[offset + 1]!;
  let length = first;
  let cursor = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) return { ok: false, reason: 'malformed' };
    if (cursor + count > limit) return { ok: false, reason: 'truncated' };
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[cursor + i]!;
    cursor += count;
  }
  const end = cursor + length;
  if (end > limit) return { ok: false, reason: 'truncated' };
  return { ok: true, node: { tag, start: cursor, end, next: end } };
}

/** The direct children of a constructed node, or undefined when they do not parse exactly. */
export function children(der: Uint8Array, parent: DerNode): DerNode[] | undefined {
  const out: DerNode[] = [];
  let offset = parent.start;
  while (offset < parent.end) {
    const header = readHeader(der, offset, parent.end);
    if (!header.ok) return undefined;
    out.push(header.node);
    offset = header.node.next;
  }
  return out;
}
