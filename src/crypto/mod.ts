/**
 * Cryptographic primitives used by the project, like arti's tor-llcrypto:
 * SHA3-256 (`H`), SHAKE-256 (`KDF`), SHA-512, HMAC-SHA256, ed25519 with
 * expanded secret keys, X25519, AES-256-CTR, the revision-counter OPE,
 * encrypted PKCS#8 (PBES2, through `node:crypto`), and injectable randomness.
 *
 * Role: the only way into `npm:@noble/*` (through `_noble.ts`) and into Deno's native
 * primitives (`node:crypto`, through `_native.ts` and `pkcs8.ts`; WebCrypto AES-CTR and
 * randomness). Each function uses the faster of the two where both exist (`hash.ts`,
 * `ed25519.ts: verify`); noble stays for what the platform lacks (blinding, signing with expanded
 * keys, X25519 on raw keys) and as the tests' oracle. Pure functions on bytes; nominal key types
 * live in `src/keys/`.
 *
 * @example
 * ```ts
 * import { expandSeed, publicKeyFromExpanded, signExpanded, verify } from "./mod.ts";
 * const esk = expandSeed(new Uint8Array(32).fill(1));
 * const pub = publicKeyFromExpanded(esk);
 * const msg = new TextEncoder().encode("msg");
 * verify(pub, msg, signExpanded(esk, msg)); // true
 * ```
 *
 * @module
 */

export {
  type HashInput,
  hmacSha256,
  sha256,
  sha256Base64NoPad,
  sha3,
  sha3Into,
  sha512,
  shake,
} from "./hash.ts";
export {
  clampScalar,
  ED25519_L,
  ed25519FromCurve25519,
  expandSeed,
  isValidPublicKey,
  publicKeyFromExpanded,
  publicKeyFromSeed,
  publicPointOfScalar,
  scalarMulModL,
  scalarMultBase,
  scalarMultPoint,
  SeedSigningKey,
  signExpanded,
  ValidPublicPoint,
  validPublicPoint,
  verify,
} from "./ed25519.ts";
export { blindExpandedSecret, blindPublicKeyBytes } from "./blinding.ts";
export { x25519PublicKey, x25519SharedSecret } from "./x25519.ts";
export { aes256Ctr } from "./aes_ctr.ts";
export { OPE_INPUT_MAX, OPE_SAFETY_MAX, opeEncrypt } from "./ope.ts";
export { constantTimeEqual, randomUnit, type Rng, seededRng, systemRng } from "./random.ts";
export {
  decryptEd25519Pkcs8Pem,
  encryptEd25519Pkcs8Pem,
  PKCS8_READABLE_ENCRYPTION,
  Pkcs8Error,
  type Pkcs8ErrorKind,
  type Pkcs8ErrorOptions,
} from "./pkcs8.ts";
