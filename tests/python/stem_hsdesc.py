#!/usr/bin/python3
"""v3 descriptors through Debian's python3-stem 1.8.1, for interop tests.

Run with /usr/bin/python3. Reads a JSON job on stdin, one of:

    {"op": "decrypt", "address": "<56 chars>.onion", "descriptor": "<text>"}

        Parses the descriptor with validation (stem checks the descriptor
        signature), decrypts both layers with stem's HiddenServiceDescriptorV3
        .decrypt(address), and writes what stem found as JSON: lifetime,
        revision counter, the signing-key cert, the middle layer's
        auth-client count, and each intro point (link specifiers as
        [type, hex], onion-key, auth-key cert, enc-key, enc-key-cert).

    {"op": "build", "identitySeed": hex, "blindingNonce": hex,
     "signingSeed": hex, "revisionCounter": int,
     "introPoints": [{"linkSpecifiers": [[type, hex], ...],
                       "onionSecret": hex, "authSeed": hex,
                       "encSecret": hex, "expirationHours": int}, ...]}

        Builds a descriptor with HiddenServiceDescriptorV3.content(...)
        (stem's inner layer without a final newline, stem's padding) and
        writes {"descriptor": text}. The intro points are made like stem's
        IntroductionPointV3.create_for_link_specifiers, except that the
        enc-key-cert certifies the ed25519 form of enc-key (sign bit 0) as tor
        does; stem itself puts the auth key there.

The seeds are throwaway test values passed in by the test; nothing secret is
written to stdout.
"""

import base64
import datetime
import json
import sys

import stem.descriptor.hidden_service as hs
from stem.client.datatype import CertType, LinkSpecifier
from stem.descriptor.certificate import Ed25519CertificateV1, Ed25519Extension, ExtensionType
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

P = 2 ** 255 - 19


def hours(dt):
    return int((dt - datetime.datetime(1970, 1, 1)).total_seconds() // 3600)


def cert_json(cert):
    return {"type": cert.type_int, "expirationHours": hours(cert.expiration),
            "key": cert.key.hex(), "signingKey": (cert.signing_key() or b"").hex()}


def raw_public(key):
    return key.public_key().public_bytes(encoding=serialization.Encoding.Raw,
                                         format=serialization.PublicFormat.Raw)


def ed25519_from_curve25519(u):
    """tor keyconv.c with sign bit 0: y = (u - 1) / (u + 1) mod p."""
    x = int.from_bytes(u, "little") & ((1 << 255) - 1)
    y = (x - 1) * pow(x + 1, P - 2, P) % P
    return y.to_bytes(32, "little")


def decrypt(job):
    desc = hs.HiddenServiceDescriptorV3(job["descriptor"].encode(), validate=True)
    inner = desc.decrypt(job["address"])
    outer = hs.OuterLayer._decrypt(desc.superencrypted, desc.revision_counter,
                                   hs.HiddenServiceDescriptorV3._subcredential(
                                       hs.HiddenServiceDescriptorV3.identity_key_from_address(
                                           job["address"]), desc.signing_cert.signing_key()),
                                   desc.signing_cert.signing_key())
    points = []
    for ip in inner.introduction_points:
        points.append({
            "linkSpecifiers": [[ls.type, ls.value.hex()] for ls in ip.link_specifiers],
            "onionKey": ip.onion_key_raw,
            "authKeyCert": cert_json(ip.auth_key_cert),
            "encKey": ip.enc_key_raw,
            "encKeyCert": cert_json(ip.enc_key_cert),
        })
    return {
        "lifetime": desc.lifetime,
        "revisionCounter": desc.revision_counter,
        "signingCert": cert_json(desc.signing_cert),
        "authClients": len(outer.clients),
        "formats": inner.formats,
        "introductionPoints": points,
    }


def build(job):
    identity = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(job["identitySeed"]))
    signing = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(job["signingSeed"]))
    extensions = [Ed25519Extension(ExtensionType.HAS_SIGNING_KEY, None, raw_public(signing))]
    points = []
    for spec in job["introPoints"]:
        expiration = datetime.datetime.utcfromtimestamp(spec["expirationHours"] * 3600)
        onion = X25519PrivateKey.from_private_bytes(bytes.fromhex(spec["onionSecret"]))
        enc = X25519PrivateKey.from_private_bytes(bytes.fromhex(spec["encSecret"]))
        auth = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(spec["authSeed"]))
        auth_cert = Ed25519CertificateV1(CertType.HS_V3_INTRO_AUTH, expiration, 1, raw_public(auth),
                                         extensions, signing_key=signing)
        enc_cert = Ed25519CertificateV1(CertType.HS_V3_NTOR_ENC, expiration, 1,
                                        ed25519_from_curve25519(raw_public(enc)), extensions,
                                        signing_key=signing)
        links = [LinkSpecifier(t, bytes.fromhex(v)) for t, v in spec["linkSpecifiers"]]
        points.append(hs.IntroductionPointV3(
            links, base64.b64encode(raw_public(onion)).decode(), auth_cert,
            base64.b64encode(raw_public(enc)).decode(), enc_cert, None, None))
    inner = hs.InnerLayer.create(introduction_points=points)
    text = hs.HiddenServiceDescriptorV3.content(
        inner_layer=inner, identity_key=identity, signing_key=signing,
        revision_counter=job["revisionCounter"],
        blinding_nonce=bytes.fromhex(job["blindingNonce"]))
    return {"descriptor": text.decode()}


def main():
    job = json.load(sys.stdin)
    result = decrypt(job) if job["op"] == "decrypt" else build(job)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
