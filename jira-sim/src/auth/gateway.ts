/**
 * Requests that came through the Cloud API gateway (`/ex/jira/{cloudId}/rest/...`). The
 * server rewrites them onto the site's own routes and remembers the fact here, keyed by the
 * rewritten Request, so authentication can insist on OAuth 2.0 there and nowhere else.
 */
const gatewayRequests = new WeakMap<Request, { cloudId: string }>();

export function markGateway(request: Request, cloudId: string): void {
  gatewayRequests.set(request, { cloudId });
}

export function viaGateway(request: Request): boolean {
  return gatewayRequests.has(request);
}
