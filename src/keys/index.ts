export { selfSignedCertificate, toPem } from './certificate.js';
export { KEY_ERROR, type KeyErrorCode } from './errors.js';
export { type Fingerprint, fingerprint } from './fingerprint.js';
export {
  ALLOWED_BITS,
  checkBits,
  DEFAULT_BITS,
  type GeneratedKeyPair,
  type GenerateOptions,
  generateKeyPair,
} from './generate.js';
export {
  assertKeysMatch,
  keysMatch,
  MIN_RSA_BITS,
  type PrivateKeyInfo,
  type PublicKeyInfo,
  publicKeyBody,
  readPrivateKey,
  readPublicKey,
  toPkcs8Pem,
  toSpkiPem,
} from './read.js';
