#!/usr/bin/python3
"""A client-authorization v3 descriptor through Debian's python3-stem 1.8.1.

Run with /usr/bin/python3. Reads a JSON job on stdin:

    {"address": "<56 chars>.onion", "descriptor": "<text>"}

Parses the outer document with validation (stem checks the signing-key
certificate and the descriptor signature), decrypts the first layer with
stem's OuterLayer._decrypt and writes what stem found as JSON: the size, the
revision counter, the lifetime, the first layer's desc-auth-type, its
auth-client entries (stem's dict, keyed by client id) and auth-client lines,
and what stem says when it tries the second layer with no descriptor cookie
(stem 1.8.1's decrypt() takes no client key, so it cannot open a
client-authorization descriptor's second layer).

Writes public values only: counts and stem's error text, never a key or a
cookie.
"""

import json
import sys

import stem.descriptor.hidden_service as hs


def main():
    job = json.load(sys.stdin)
    text = job["descriptor"]
    desc = hs.HiddenServiceDescriptorV3(text.encode(), validate=True)
    blinded_key = desc.signing_cert.signing_key()
    identity = hs.HiddenServiceDescriptorV3.identity_key_from_address(job["address"])
    subcredential = hs.HiddenServiceDescriptorV3._subcredential(identity, blinded_key)
    outer = hs.OuterLayer._decrypt(desc.superencrypted, desc.revision_counter,
                                   subcredential, blinded_key)
    lines = [line for line in outer.get_bytes().split(b"\n") if line.startswith(b"auth-client ")]
    try:
        hs.InnerLayer._decrypt(outer, desc.revision_counter, subcredential, blinded_key)
        second_layer = "opened"
    except ValueError as error:
        second_layer = str(error).split(" (")[0]
    json.dump({
        "size": len(text.encode()),
        "revisionCounter": desc.revision_counter,
        "lifetime": desc.lifetime,
        "authType": outer.auth_type,
        "authClients": len(outer.clients),
        "authClientLines": len(lines),
        "secondLayer": second_layer,
    }, sys.stdout)


if __name__ == "__main__":
    main()
