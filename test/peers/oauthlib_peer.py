"""Independent OAuth 1.0a peer for Testbridge's tests: Debian's python3-oauthlib.

Reads {"cases": [...]} as JSON on stdin and writes {"results": [...]} on stdout, one
result per case, so a whole batch costs one python start-up.

  {"op": "sign", "method", "uri", "body"?, "signature_method", "client_key",
   "rsa_key"? | "client_secret"?, "resource_owner_key"?, "resource_owner_secret"?,
   "callback_uri"?, "verifier"?, "nonce", "timestamp", "realm"?}
      -> {"authorization": ..., "base_string": ...}
  {"op": "verify", "method", "uri", "authorization", "body"?, "signature_method",
   "rsa_public_key"? | "client_secret"?, "resource_owner_secret"?}
      -> {"ok": bool, "base_string": ...}
Errors are reported per case as {"error": "..."}.
"""
import json
import sys
from urllib.parse import urlparse

from oauthlib import oauth1
from oauthlib.common import Request
from oauthlib.oauth1.rfc5849 import signature

FORM = 'application/x-www-form-urlencoded'

# oauthlib parses the PEM key for every signature, and loading an RSA key checks it, which
# costs tens of milliseconds; remembering parsed keys keeps a batch of hundreds fast without
# touching how oauthlib signs.
if hasattr(signature, '_prepare_key_plus'):
    _prepare_key_plus = signature._prepare_key_plus
    _parsed_keys = {}

    def _cached_prepare_key_plus(alg, keystr):
        cache_key = (id(alg), keystr if isinstance(keystr, str) else bytes(keystr))
        if cache_key not in _parsed_keys:
            _parsed_keys[cache_key] = _prepare_key_plus(alg, keystr)
        return _parsed_keys[cache_key]

    signature._prepare_key_plus = _cached_prepare_key_plus


def base_string(method, uri, body, headers):
    params = signature.collect_parameters(
        uri_query=urlparse(uri).query, body=body, headers=headers)
    return signature.signature_base_string(
        method, signature.base_string_uri(uri), signature.normalize_parameters(params))


def sign(case):
    client = oauth1.Client(
        case['client_key'],
        client_secret=case.get('client_secret'),
        resource_owner_key=case.get('resource_owner_key'),
        resource_owner_secret=case.get('resource_owner_secret'),
        callback_uri=case.get('callback_uri'),
        signature_method=case['signature_method'],
        rsa_key=case.get('rsa_key'),
        verifier=case.get('verifier'),
        realm=case.get('realm'),
        nonce=case['nonce'],
        timestamp=case['timestamp'],
    )
    body = case.get('body')
    headers = {'Content-Type': FORM} if body is not None else {}
    _, signed_headers, _ = client.sign(case['uri'], http_method=case['method'], body=body, headers=headers)
    authorization = signed_headers['Authorization']
    return {
        'authorization': authorization,
        'base_string': base_string(case['method'], case['uri'], body, {'Authorization': authorization}),
    }


def verify(case):
    body = case.get('body')
    headers = {'Authorization': case['authorization']}
    if body is not None:
        headers['Content-Type'] = FORM
    request = Request(case['uri'], http_method=case['method'], body=body, headers=headers)
    request.params = signature.collect_parameters(
        uri_query=urlparse(case['uri']).query, body=body, headers=headers)
    # As oauthlib's own endpoints do: the signature comes out of collect_parameters, which
    # percent-decodes oauth_ values (parse_authorization_header alone does not).
    everything = signature.collect_parameters(
        uri_query=urlparse(case['uri']).query, body=body, headers=headers, exclude_oauth_signature=False)
    request.signature = dict(everything).get('oauth_signature', '')
    method = case['signature_method']
    if method == oauth1.SIGNATURE_RSA:
        ok = signature.verify_rsa_sha1(request, case['rsa_public_key'])
    elif method == oauth1.SIGNATURE_HMAC_SHA1:
        ok = signature.verify_hmac_sha1(request, case.get('client_secret'), case.get('resource_owner_secret'))
    elif method == oauth1.SIGNATURE_PLAINTEXT:
        ok = signature.verify_plaintext(request, case.get('client_secret'), case.get('resource_owner_secret'))
    else:
        raise ValueError('unknown signature method ' + method)
    return {'ok': bool(ok), 'base_string': base_string(case['method'], case['uri'], body, headers)}


def main():
    cases = json.load(sys.stdin)['cases']
    results = []
    for case in cases:
        try:
            results.append(sign(case) if case['op'] == 'sign' else verify(case))
        except Exception as exc:  # reported per case so one bad case does not hide the rest
            results.append({'error': '%s: %s' % (type(exc).__name__, exc)})
    json.dump({'results': results}, sys.stdout)


if __name__ == '__main__':
    main()
