#!/usr/bin/python3
"""Onion addresses, blinded keys, subcredentials and blinded signatures from
Debian's python3-stem 1.8.1 (and OnionBalance 0.2.2 for the blinding factor
and for signing with tor-format keys), for cross-checks.

Run with /usr/bin/python3. Reads a JSON job on stdin:

    {"keys": [{"name": "a", "path": "/tmp/x/a.pem"}, ...],
     "periods": [{"number": 1234, "length": 1440}, ...],
     "message_hex": "..."}

Each key file (PEM or tor's hs_ed25519_secret_key) is loaded with
OnionBalance's loader. For each period: h = OnionBalance
consensus.get_blinding_param (its period length: 1440, or 8 in testnet mode),
A' = stem _blinded_pubkey(A, h), subcredential = stem
HiddenServiceDescriptorV3._subcredential(A, A'), and a signature of the
message by the blinded key (stem _blinded_sign for PEM keys, OnionBalance
_blinded_sign_with_tor_key for tor keys). Writes the public results as JSON to
stdout; no secret key material is printed.
"""

import json
import logging
import os
import sys

import stem.descriptor.hidden_service as hs
from cryptography.hazmat.primitives import serialization
from onionbalance.common import log
from onionbalance.hs_v3 import consensus as ob_consensus
from onionbalance.hs_v3 import service as ob_service
from onionbalance.hs_v3 import tor_ed25519
from onionbalance.hs_v3.onionbalance import my_onionbalance

log.get_logger().setLevel(logging.CRITICAL + 1)

TESTNET_LENGTH = 8  # OnionBalance's testnet period length: (24 * 20) // 60


def main():
    job = json.load(sys.stdin)
    message = bytes.fromhex(job["message_hex"])
    consensus = ob_consensus.Consensus(do_refresh_consensus=False)
    out = {}
    for key in job["keys"]:
        svc = object.__new__(ob_service.OnionbalanceService)
        svc.is_priv_key_in_tor_format = False
        priv, address = svc._load_service_keys({"key": os.path.abspath(key["path"])}, "/nonexistent/config.yaml")
        pub = priv.public_key().public_bytes(
            encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
        )
        periods = []
        for period in job["periods"]:
            if period["length"] not in (1440, TESTNET_LENGTH):
                raise SystemExit("OnionBalance supports period lengths 1440 and 8 only")
            my_onionbalance.is_testnet = period["length"] == TESTNET_LENGTH
            h = consensus.get_blinding_param(pub, period["number"])
            blinded = hs._blinded_pubkey(pub, h)
            if svc.is_priv_key_in_tor_format:
                sig = tor_ed25519._blinded_sign_with_tor_key(message, priv, blinded, h)
            else:
                sig = hs._blinded_sign(message, priv, blinded, h)
            periods.append({
                "blinding_param": h.hex(),
                "blinded_pubkey": blinded.hex(),
                "subcredential": hs.HiddenServiceDescriptorV3._subcredential(pub, blinded).hex(),
                "blinded_signature": sig.hex(),
            })
        out[key["name"]] = {
            "pubkey": pub.hex(),
            "address": address,
            "stem_address": hs.HiddenServiceDescriptorV3.address_from_identity_key(pub),
            "key_from_address": hs.HiddenServiceDescriptorV3.identity_key_from_address(address).hex(),
            "tor_format": svc.is_priv_key_in_tor_format,
            "periods": periods,
        }
    json.dump({"keys": out}, sys.stdout)


if __name__ == "__main__":
    main()
