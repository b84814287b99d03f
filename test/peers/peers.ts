import { spawnSync } from 'node:child_process';

/**
 * The peers are Debian packages (python3-oauthlib with python3-jwt and python3-cryptography,
 * openssl). In CI (TESTBRIDGE_REQUIRE_ALL=1) a missing peer must fail the suite, never skip it.
 */
export const REQUIRE_ALL = process.env.TESTBRIDGE_REQUIRE_ALL === '1';
/** Debian's python, not a pyenv one on PATH; overridable to check the missing-peer path. */
export const PYTHON = process.env.TESTBRIDGE_PYTHON ?? '/usr/bin/python3';

export interface PeerStatus {
  available: boolean;
  problem: string;
}

export function checkPython(): PeerStatus {
  const probe = spawnSync(PYTHON, ['-c', 'import oauthlib.oauth1, jwt, cryptography'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return {
      available: false,
      problem:
        `${PYTHON} cannot import oauthlib, jwt and cryptography (${probe.error?.message ?? probe.stderr.trim()}). ` +
        'Install them: apt-get install -y python3-oauthlib python3-jwt python3-cryptography',
    };
  }
  return { available: true, problem: '' };
}

export function checkOpenssl(): PeerStatus {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { available: false, problem: 'openssl is not installed: apt-get install -y openssl' };
  }
  return { available: true, problem: '' };
}

/** Run the suite when the peer is there; when it is not, skip locally but fail in CI. */
export const shouldSkip = (status: PeerStatus) => !status.available && !REQUIRE_ALL;
