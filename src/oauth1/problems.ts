import { AppError } from '../errors.js';
import { formDecode, type Param, percentDecode } from './encoding.js';
import { parseAuthorizationHeader } from './signature.js';

/**
 * What Jira says when it refuses an OAuth request (the OAuth Problem Reporting extension):
 * a 401/400 whose form-encoded body, or whose `WWW-Authenticate: OAuth ...` header, carries
 * oauth_problem and sometimes the base string Jira computed.
 */
export interface OAuthProblemReport {
  problem: string;
  status: number;
  advice?: string;
  /** Jira's own signature base string, echoed with signature_invalid. */
  signatureBaseString?: string;
  /** `oauth_acceptable_timestamps=FROM-TO`, echoed with timestamp_refused. */
  acceptableTimestamps?: [number, number];
  parametersAbsent?: string[];
  parametersRejected?: string[];
}

const lastValue = (params: readonly Param[], name: string) => params.findLast(([key]) => key === name)?.[1];

function safeFormDecode(text: string): Param[] {
  try {
    return formDecode(text.trim(), 'response');
  } catch {
    return [];
  }
}

function fromParams(params: readonly Param[], status: number): OAuthProblemReport | undefined {
  const problem = lastValue(params, 'oauth_problem');
  if (!problem) return undefined;
  const report: OAuthProblemReport = { problem: problem.trim(), status };
  const advice = lastValue(params, 'oauth_problem_advice');
  if (advice) report.advice = advice;
  const base = lastValue(params, 'oauth_signature_base_string');
  if (base) report.signatureBaseString = base;
  const window = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(lastValue(params, 'oauth_acceptable_timestamps') ?? '');
  if (window) report.acceptableTimestamps = [Number(window[1]), Number(window[2])];
  const absent = lastValue(params, 'oauth_parameters_absent');
  if (absent) report.parametersAbsent = absent.split('&').filter(Boolean);
  const rejected = lastValue(params, 'oauth_parameters_rejected');
  if (rejected) report.parametersRejected = rejected.split('&').filter(Boolean);
  return report;
}

/** Reads an OAuth problem from a response body and/or WWW-Authenticate header, if there is one. */
export function parseOAuthProblem(response: {
  status: number;
  body: string;
  wwwAuthenticate?: string | null;
}): OAuthProblemReport | undefined {
  // Jira answers text/plain or application/x-www-form-urlencoded; an HTML error page is no report.
  const fromBody = /(^|&)\s*oauth_problem=/.test(response.body.trim())
    ? fromParams(safeFormDecode(response.body), response.status)
    : undefined;
  let fromHeader: OAuthProblemReport | undefined;
  const header = response.wwwAuthenticate;
  if (header && /^\s*OAuth\b/i.test(header)) {
    try {
      fromHeader = fromParams(parseAuthorizationHeader(header).params, response.status);
    } catch {
      fromHeader = undefined;
    }
  }
  if (fromBody && fromHeader) return { ...fromHeader, ...fromBody };
  return fromBody ?? fromHeader;
}

// ---- comparing base strings ---------------------------------------------------------

export interface BaseStringParts {
  method: string;
  uri: string;
  params: Param[];
}

export function splitBaseString(baseString: string): BaseStringParts | undefined {
  const parts = baseString.split('&');
  if (parts.length !== 3) return undefined;
  try {
    const normalized = percentDecode(parts[2]!, 'base string');
    const params =
      normalized === ''
        ? []
        : normalized.split('&').map((pair): Param => {
            const eq = pair.indexOf('=');
            const name = eq === -1 ? pair : pair.slice(0, eq);
            const value = eq === -1 ? '' : pair.slice(eq + 1);
            return [percentDecode(name, 'base string'), percentDecode(value, 'base string')];
          });
    return {
      method: percentDecode(parts[0]!, 'base string'),
      uri: percentDecode(parts[1]!, 'base string'),
      params,
    };
  } catch {
    return undefined;
  }
}

export interface BaseStringDiff {
  identical: boolean;
  /** Human-readable differences; parameter names only, never values (they may be tokens). */
  differences: string[];
  ourUri?: string;
  theirUri?: string;
  /** Which part differs first, for the hint. */
  kind?: 'method' | 'scheme' | 'host' | 'port' | 'path' | 'parameters' | 'unreadable';
}

const effectivePort = (url: URL) => url.port || (url.protocol === 'https:' ? '443' : '80');

export function compareBaseStrings(ours: string, theirs: string): BaseStringDiff {
  if (ours === theirs) return { identical: true, differences: [] };
  const a = splitBaseString(ours);
  const b = splitBaseString(theirs);
  if (!a || !b)
    return {
      identical: false,
      differences: ['Jira echoed a base string Testbridge cannot read.'],
      kind: 'unreadable',
    };
  const differences: string[] = [];
  let kind: BaseStringDiff['kind'];
  const note = (what: NonNullable<BaseStringDiff['kind']>, text: string) => {
    kind ??= what;
    differences.push(text);
  };
  if (a.method !== b.method) note('method', `HTTP method: we signed ${a.method}, Jira saw ${b.method}.`);
  let ourUrl: URL | undefined;
  let theirUrl: URL | undefined;
  try {
    ourUrl = new URL(a.uri);
    theirUrl = new URL(b.uri);
  } catch {
    note('unreadable', `URL: we signed ${a.uri}, Jira saw ${b.uri}.`);
  }
  if (ourUrl && theirUrl) {
    if (ourUrl.protocol !== theirUrl.protocol) {
      note(
        'scheme',
        `scheme: we signed ${ourUrl.protocol.slice(0, -1)}, Jira saw ${theirUrl.protocol.slice(0, -1)}.`,
      );
    }
    if (ourUrl.hostname !== theirUrl.hostname)
      note('host', `host: we signed ${ourUrl.hostname}, Jira saw ${theirUrl.hostname}.`);
    if (effectivePort(ourUrl) !== effectivePort(theirUrl)) {
      note('port', `port: we signed ${effectivePort(ourUrl)}, Jira saw ${effectivePort(theirUrl)}.`);
    }
    if (ourUrl.pathname !== theirUrl.pathname)
      note('path', `path: we signed ${ourUrl.pathname}, Jira saw ${theirUrl.pathname}.`);
  }
  const count = (params: Param[]) => {
    const byName = new Map<string, string[]>();
    for (const [name, value] of params) byName.set(name, [...(byName.get(name) ?? []), value]);
    return byName;
  };
  const ourParams = count(a.params.filter(([name]) => name !== 'oauth_signature'));
  const theirParams = count(b.params.filter(([name]) => name !== 'oauth_signature'));
  const missing = [...ourParams.keys()].filter((name) => !theirParams.has(name));
  const extra = [...theirParams.keys()].filter((name) => !ourParams.has(name));
  const changed = [...ourParams.keys()].filter(
    (name) =>
      theirParams.has(name) && ourParams.get(name)!.join('\u0000') !== theirParams.get(name)!.join('\u0000'),
  );
  if (missing.length) note('parameters', `parameters Jira did not see: ${missing.join(', ')}.`);
  if (extra.length) note('parameters', `parameters Jira saw that we did not sign: ${extra.join(', ')}.`);
  if (changed.length) note('parameters', `parameters with different values: ${changed.join(', ')}.`);
  if (differences.length === 0) note('parameters', 'the parameters are encoded differently.');
  return { identical: false, differences, ourUri: a.uri, theirUri: b.uri, kind };
}

// ---- typed errors -------------------------------------------------------------------

export interface ProblemContext {
  consumerKey: string;
  /** The URL we sent the request to. */
  requestUrl: string;
  /** The URL we signed (equals requestUrl unless a Jira base URL was configured). */
  signingUrl: string;
  ourBaseString?: string;
  ourTimestamp?: number;
  /** Fingerprint of our public key, to compare with the key in the application link. */
  keyFingerprint?: string;
  /** Path of the request below the Jira base URL, to suggest the right base URL. */
  endpointPath?: string;
}

export class OAuthProblemError extends AppError {
  readonly problem: string;
  /** Jira's report without the echoed base string. */
  readonly report: Omit<OAuthProblemReport, 'signatureBaseString'>;
  readonly skewSeconds: number | undefined;
  readonly baseStringDiff: BaseStringDiff | undefined;

  constructor(
    report: OAuthProblemReport,
    message: string,
    hint: string,
    extra: { skewSeconds?: number; baseStringDiff?: BaseStringDiff } = {},
  ) {
    const problem = /^[a-z][a-z0-9_]*$/.test(report.problem) ? report.problem : 'unknown';
    super(`oauth1_${problem}`, message, { hint, status: 400 });
    this.name = 'OAuthProblemError';
    this.problem = report.problem;
    // Jira's echoed base string contains the access token: a logger serialising this error
    // must not find it, so only the comparison (names and URLs, no values) is kept.
    const { signatureBaseString: _secretBearing, ...safeReport } = report;
    this.report = safeReport;
    this.skewSeconds = extra.skewSeconds;
    this.baseStringDiff = extra.baseStringDiff;
  }
}

const LINK_PATH = 'Jira administration > Applications > Application links';

function signatureInvalid(report: OAuthProblemReport, context: ProblemContext): OAuthProblemError {
  const keyNote = context.keyFingerprint ? ` (our key's fingerprint: ${context.keyFingerprint})` : '';
  if (!report.signatureBaseString || !context.ourBaseString) {
    return new OAuthProblemError(
      report,
      `Jira rejected the signature of the request to ${context.requestUrl} (signature_invalid).`,
      `Either Jira reconstructs a different URL than ${context.signingUrl} (behind a proxy, set the Jira base URL ` +
        `to the base URL configured in Jira), or the public key in the application link for consumer key ` +
        `"${context.consumerKey}" does not belong to the private key${keyNote}.`,
    );
  }
  const diff = compareBaseStrings(context.ourBaseString, report.signatureBaseString);
  if (diff.identical) {
    return new OAuthProblemError(
      report,
      `Jira rejected the signature although it signed the same request as Testbridge: the private key does not ` +
        `match the public key of the application link for consumer key "${context.consumerKey}".`,
      `In ${LINK_PATH}, edit the incoming link of "${context.consumerKey}" and paste the public key that belongs ` +
        `to Testbridge's private key${keyNote}, or paste the matching private key into Testbridge.`,
      { baseStringDiff: diff },
    );
  }
  const urlKinds = new Set(['scheme', 'host', 'port', 'path']);
  let hint: string;
  if (diff.kind && urlKinds.has(diff.kind) && diff.theirUri && diff.ourUri) {
    const suggestion = suggestBaseUrl(diff.theirUri, context.endpointPath);
    hint =
      `Jira reconstructs request URLs from its own base URL (usually because it sits behind a proxy): Jira saw ` +
      `${diff.theirUri}, Testbridge signed ${diff.ourUri}. ` +
      (suggestion
        ? `Set the Jira base URL in Testbridge to ${suggestion}`
        : 'Set the Jira base URL in Testbridge to the base URL configured in Jira') +
      ' (or fix the proxy so Jira sees the public URL).';
  } else if (diff.kind === 'method') {
    hint = 'A proxy between Testbridge and Jira changes the HTTP method; send the request to Jira directly.';
  } else {
    hint =
      'Something between Testbridge and Jira (a proxy or gateway) changes the request parameters; send the ' +
      'request to Jira directly or make the proxy pass query and body unchanged.';
  }
  return new OAuthProblemError(
    report,
    `Jira rejected the signature of the request to ${context.requestUrl}: it verified a different request. ` +
      `Differences: ${diff.differences.join(' ')}`,
    hint,
    { baseStringDiff: diff },
  );
}

function suggestBaseUrl(theirUri: string, endpointPath: string | undefined): string | undefined {
  if (!endpointPath) return undefined;
  const path = endpointPath.startsWith('/') ? endpointPath : `/${endpointPath}`;
  return theirUri.endsWith(path) ? theirUri.slice(0, -path.length) || undefined : undefined;
}

/** Turns Jira's oauth_problem into an error that tells the admin what to fix. */
export function oauthProblemError(report: OAuthProblemReport, context: ProblemContext): OAuthProblemError {
  const key = context.consumerKey;
  const advice = report.advice ? ` Jira says: ${report.advice}` : '';
  switch (report.problem) {
    case 'consumer_key_unknown':
      return new OAuthProblemError(
        report,
        `Jira has no application link with consumer key "${key}".`,
        `Create the incoming link in ${LINK_PATH} (Create incoming link, consumer key "${key}", Testbridge's ` +
          `public key), or fix the consumer key in Testbridge to the one of the existing link.`,
      );
    case 'consumer_key_rejected':
    case 'consumer_key_refused':
      return new OAuthProblemError(
        report,
        `Jira refused consumer key "${key}".${advice}`,
        `Check the incoming application link for "${key}" in ${LINK_PATH}: it must be enabled and allow OAuth.`,
      );
    case 'signature_invalid':
      return signatureInvalid(report, context);
    case 'signature_method_rejected':
      return new OAuthProblemError(
        report,
        'Jira does not accept the signature method of the request.',
        `Application links accept RSA-SHA1 only: configure the incoming link of "${key}" with a public key ` +
          '(not a shared secret) and sign with the matching private key.',
      );
    case 'timestamp_refused': {
      let skewSeconds: number | undefined;
      let clock = '';
      if (report.acceptableTimestamps && context.ourTimestamp !== undefined) {
        const [from, to] = report.acceptableTimestamps;
        skewSeconds = Math.round(context.ourTimestamp - (from + to) / 2);
        clock = ` Testbridge's clock is ${Math.abs(skewSeconds)} seconds ${skewSeconds >= 0 ? 'ahead of' : 'behind'} Jira's (Jira accepts ${from} to ${to}, we sent ${context.ourTimestamp}).`;
      }
      return new OAuthProblemError(
        report,
        `Jira refused the request timestamp.${clock}`,
        'Synchronise the clocks of the Testbridge and Jira servers (NTP); Jira accepts a few minutes of difference.',
        skewSeconds === undefined ? {} : { skewSeconds },
      );
    }
    case 'nonce_used':
      return new OAuthProblemError(
        report,
        'Jira has already seen this request nonce.',
        'Retry the request. If it keeps happening, a proxy is replaying requests or two Testbridge instances share a fixed nonce source.',
      );
    case 'token_rejected':
      return new OAuthProblemError(
        report,
        'Jira does not know the OAuth token (it was revoked, or the application link was recreated).',
        'Authorize Testbridge again: start the Jira authorization from the connection page.',
      );
    case 'token_expired':
      return new OAuthProblemError(
        report,
        'The OAuth token has expired.',
        'Authorize Testbridge again: start the Jira authorization from the connection page.',
      );
    case 'token_revoked':
      return new OAuthProblemError(
        report,
        'The OAuth token was revoked in Jira.',
        'Authorize Testbridge again: start the Jira authorization from the connection page.',
      );
    case 'permission_denied':
      return new OAuthProblemError(
        report,
        'The Jira user denied Testbridge access (or the authorization was not completed).',
        'Open the authorization URL again, log in as the integration user and click Allow.',
      );
    case 'permission_unknown':
      return new OAuthProblemError(
        report,
        'The request token has not been authorized in Jira yet.',
        'Open the authorization URL, click Allow, then enter the verification code Jira shows.',
      );
    case 'parameter_absent': {
      const absent = report.parametersAbsent?.length ? `: ${report.parametersAbsent.join(', ')}` : '';
      return new OAuthProblemError(
        report,
        `Jira says OAuth parameters are missing${absent}.`,
        'A proxy may strip the Authorization header; make sure it reaches Jira unchanged.',
      );
    }
    case 'version_rejected':
      return new OAuthProblemError(
        report,
        'Jira rejected the OAuth version.',
        'Jira supports OAuth 1.0a; check for a proxy rewriting the Authorization header.',
      );
    default:
      return new OAuthProblemError(
        report,
        `Jira rejected the OAuth request: ${report.problem}.${advice}`,
        `Check the application link for consumer key "${key}" in ${LINK_PATH}, then try again.`,
      );
  }
}
