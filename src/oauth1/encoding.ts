import { AppError } from '../errors.js';

export type Param = [name: string, value: string];

/**
 * RFC 5849 3.6 / RFC 3986 2.1: everything but ALPHA, DIGIT, "-", ".", "_", "~" becomes
 * %XX of its UTF-8 bytes with uppercase hex. encodeURIComponent leaves five more
 * characters alone, which is exactly the classic OAuth signing bug, so they are added.
 */
export function percentEncode(value: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch (cause) {
    // Only a lone UTF-16 surrogate makes encodeURIComponent throw: text that has no UTF-8 form.
    throw new AppError(
      'oauth1_invalid_text',
      'A request parameter contains text that is not valid Unicode.',
      {
        hint: 'Remove the broken character (a lone surrogate) from the value.',
        cause,
      },
    );
  }
  return encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function percentDecode(value: string, where: string): string {
  try {
    return decodeURIComponent(value);
  } catch (cause) {
    throw new AppError('oauth1_invalid_encoding', `The ${where} contains a malformed percent-escape.`, {
      hint: 'Every "%" must be followed by two hex digits that encode UTF-8; write a literal "%" as %25.',
      cause,
    });
  }
}

/**
 * Decodes `application/x-www-form-urlencoded` text as HTML 4.01 17.13.4 says, which is
 * what RFC 5849 3.4.1.3.1 requires for the query and the form body: "+" is a space,
 * a name without "=" has an empty value, empty pieces between "&" are skipped, and
 * repeated names are all kept.
 */
export function formDecode(text: string, where = 'query'): Param[] {
  const params: Param[] = [];
  for (const piece of text.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const rawName = eq === -1 ? piece : piece.slice(0, eq);
    const rawValue = eq === -1 ? '' : piece.slice(eq + 1);
    params.push([
      percentDecode(rawName.replace(/\+/g, ' '), where),
      percentDecode(rawValue.replace(/\+/g, ' '), where),
    ]);
  }
  return params;
}

/** The inverse, with RFC 3986 encoding (a space is %20), which every form decoder accepts. */
export const formEncode = (params: readonly Param[]): string =>
  params.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join('&');
