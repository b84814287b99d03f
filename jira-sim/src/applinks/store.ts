import { randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { PublicKeyError, parseRsaPublicKey } from './public-key.js';

/** An incoming application link: how Jira knows an OAuth 1.0a consumer. */
export type ApplicationLink = {
  id: string;
  name: string;
  applicationUrl: string;
  consumerKey: string;
  consumerName: string;
  publicKey: KeyObject;
  publicKeyBody: string;
  callbackUrl: string | undefined;
  createdAt: number;
};

export type ApplicationLinkInput = {
  name?: unknown;
  applicationUrl?: unknown;
  consumerKey?: unknown;
  consumerName?: unknown;
  publicKey?: unknown;
  callbackUrl?: unknown;
};

/** Field errors keyed like Jira's `errors` object. */
export class LinkValidationError extends Error {
  constructor(readonly errors: Record<string, string>) {
    super('The application link is not valid.');
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function createApplicationLinkStore() {
  const links = new Map<string, ApplicationLink>();

  function create(input: ApplicationLinkInput, now: number): ApplicationLink {
    const errors: Record<string, string> = {};
    const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
    const applicationUrl = text(input.applicationUrl);
    const name = text(input.name) || applicationUrl;
    const consumerKey = text(input.consumerKey);
    const consumerName = text(input.consumerName) || name;
    const callbackUrl = text(input.callbackUrl) || undefined;
    if (!isHttpUrl(applicationUrl))
      errors.applicationUrl = 'Enter the application URL (http:// or https://).';
    if (!name) errors.name = 'Enter an application name.';
    if (!consumerKey) errors.consumerKey = 'Enter a consumer key.';
    else if (consumerKey.length > 255) errors.consumerKey = 'The consumer key is longer than 255 characters.';
    else if (byConsumerKey(consumerKey))
      errors.consumerKey = 'An application link with this consumer key already exists.';
    if (callbackUrl !== undefined && !isHttpUrl(callbackUrl))
      errors.callbackUrl = 'The callback URL must be an http(s) URL.';
    let parsed: ReturnType<typeof parseRsaPublicKey> | undefined;
    if (typeof input.publicKey !== 'string') errors.publicKey = 'Enter the public key.';
    else {
      try {
        parsed = parseRsaPublicKey(input.publicKey);
      } catch (error) {
        errors.publicKey =
          error instanceof PublicKeyError ? error.message : 'The public key could not be read.';
      }
    }
    if (Object.keys(errors).length > 0 || !parsed) throw new LinkValidationError(errors);
    const link: ApplicationLink = {
      id: randomUUID(),
      name,
      applicationUrl,
      consumerKey,
      consumerName,
      publicKey: parsed.key,
      publicKeyBody: parsed.body,
      callbackUrl,
      createdAt: now,
    };
    links.set(link.id, link);
    return link;
  }

  function byConsumerKey(consumerKey: string): ApplicationLink | undefined {
    for (const link of links.values()) if (link.consumerKey === consumerKey) return link;
    return undefined;
  }

  return {
    create,
    byConsumerKey,
    get: (id: string) => links.get(id),
    list: () => [...links.values()],
    delete: (id: string) => links.delete(id),
    clear: () => links.clear(),
  };
}

export type ApplicationLinkStore = ReturnType<typeof createApplicationLinkStore>;

export function applicationLinkJson(link: ApplicationLink) {
  return {
    id: link.id,
    name: link.name,
    applicationUrl: link.applicationUrl,
    type: 'generic',
    incoming: {
      consumerKey: link.consumerKey,
      consumerName: link.consumerName,
      publicKey: link.publicKeyBody,
    },
    consumerKey: link.consumerKey,
    consumerName: link.consumerName,
    publicKey: link.publicKeyBody,
    callbackUrl: link.callbackUrl ?? null,
    createdAt: new Date(link.createdAt).toISOString(),
  };
}
