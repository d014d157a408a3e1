/**
 * Cross-check against Debian's python3-stem 1.8.1 (and OnionBalance 0.2.2 for
 * the blinding factor and for signing with tor-format keys): for keys made and
 * written by our code, stem must compute the same onion address, blinded
 * public keys, subcredentials and blinded signatures for several periods.
 * Only public values cross the process boundary; a mismatch names the item,
 * never a secret.
 */

import assert from "node:assert/strict";
import { toHex } from "../../src/bytes/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import {
  blindingFactor,
  blindKeypair,
  blindPublicKey,
  encodeOnionAddress,
  HsIdKeypair,
  loadIdentityKey,
  subcredential,
  TOR_KEY_FILE_NAMES,
  writeIdentityKeyPem,
  writeTorKeyFiles,
} from "../../src/keys/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";
import { PYTHON_PERMISSIONS, runPythonScript } from "../_python.ts";

interface StemPeriod {
  "blinding_param": string;
  "blinded_pubkey": string;
  subcredential: string;
  "blinded_signature": string;
}

interface StemAnswer {
  keys: Record<string, {
    pubkey: string;
    address: string;
    stem_address: string;
    key_from_address: string;
    tor_format: boolean;
    periods: StemPeriod[];
  }>;
}

Deno.test({
  name: "stem computes the same addresses, blinded keys, subcredentials and signatures",
  permissions: PYTHON_PERMISSIONS,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "stem-interop-" });
    try {
      const files: Record<string, string> = {};
      for (const name of ["k1", "k2", "k3"]) {
        const key = HsIdKeypair.generate(seededRng(`stem-interop-${name}`));
        files[`${name}.pem`] = `${dir}/${name}.pem`;
        await writeIdentityKeyPem(files[`${name}.pem`]!, key);
      }
      const torKey = HsIdKeypair.generate(seededRng("stem-interop-tor"));
      await writeTorKeyFiles(dir, torKey);
      files["tor"] = `${dir}/${TOR_KEY_FILE_NAMES.secret}`;
      // Live-network periods (1440 min) and one of OnionBalance's testnet length (8 min).
      const periods = [
        new TimePeriod(1234),
        new TimePeriod(19397),
        new TimePeriod(21915),
        new TimePeriod(2 ** 31 + 7),
        new TimePeriod(4_000_000, 8, 240),
      ];
      const message = new TextEncoder().encode("descriptor-signing-key-cert body");
      const answer = await runPythonScript<StemAnswer>("stem_crosscheck.py", {
        keys: Object.entries(files).map(([name, path]) => ({ name, path })),
        periods: periods.map((p) => ({ number: p.number, length: p.lengthMinutes })),
        message_hex: toHex(message),
      });
      for (const [name, path] of Object.entries(files)) {
        const { keypair, format } = await loadIdentityKey(path);
        const stem = answer.keys[name]!;
        const ours = encodeOnionAddress(keypair.public);
        assert.equal(stem.tor_format, format === "tor", `${name}: format`);
        assert.equal(stem.pubkey, toHex(keypair.public.toBytes()), `${name}: public key`);
        assert.equal(stem.address, ours, `${name}: OnionBalance's address`);
        assert.equal(stem.stem_address, ours, `${name}: stem address_from_identity_key`);
        assert.equal(stem.key_from_address, stem.pubkey, `${name}: stem identity_key_from_address`);
        periods.forEach((period, i) => {
          const s = stem.periods[i]!;
          const what = `${name}, ${period}`;
          assert.equal(
            s.blinding_param,
            toHex(blindingFactor(keypair.public, period)),
            `${what}: h`,
          );
          const blinded = blindPublicKey(keypair.public, period);
          assert.equal(s.blinded_pubkey, toHex(blinded.toBytes()), `${what}: blinded key`);
          assert.equal(
            s.subcredential,
            toHex(subcredential(keypair.public, blinded).toBytes()),
            `${what}: subcredential`,
          );
          assert.equal(
            s.blinded_signature,
            toHex(blindKeypair(keypair, period).sign(message)),
            `${what}: blinded signature`,
          );
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
