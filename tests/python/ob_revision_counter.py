#!/usr/bin/python3
"""Revision counters from OnionBalance 0.2.x's own code, for cross-checks.

Run with Debian's interpreter (/usr/bin/python3, which has onionbalance and
stem). Reads a JSON job on stdin:

    {"keys": [{"name": "pem", "path": "/tmp/x/key.pem"}, ...],
     "cases": [{"valid_after": 1893502800, "now": 1893503000.5, "first": true}, ...]}

Each key file is loaded with OnionBalance's own loader
(OnionbalanceService._load_service_keys: PEM first, then tor's format). For
each case, OnionBalance's consensus object gets a consensus with that
valid-after (live network: 1-hour voting interval), `datetime.utcnow()` inside
hs_v3/descriptor.py is pinned to `now`, and
OBDescriptor._get_revision_counter(key, first) is called.

Writes {"keys": {name: {"address": ..., "tor_format": bool,
"counters": [int, ...]}}} to stdout. No key material is printed.
"""

import datetime
import json
import logging
import os
import sys
import types

from onionbalance.common import log
from onionbalance.hs_v3 import consensus as ob_consensus
from onionbalance.hs_v3 import descriptor as ob_descriptor
from onionbalance.hs_v3 import service as ob_service
from onionbalance.hs_v3.onionbalance import my_onionbalance

log.get_logger().setLevel(logging.CRITICAL + 1)


def fake_datetime_module(now_unix):
    """A stand-in for the `datetime` module whose datetime.utcnow() is fixed."""
    fixed = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=now_unix)

    class FixedDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

    return types.SimpleNamespace(datetime=FixedDatetime, timedelta=datetime.timedelta)


def main():
    job = json.load(sys.stdin)
    my_onionbalance.is_testnet = False
    consensus = ob_consensus.Consensus(do_refresh_consensus=False)
    consensus.is_live = lambda: True
    my_onionbalance.consensus = consensus
    real_datetime = ob_descriptor.datetime
    out = {}
    for key in job["keys"]:
        svc = object.__new__(ob_service.OnionbalanceService)
        svc.is_priv_key_in_tor_format = False
        priv, address = svc._load_service_keys({"key": os.path.abspath(key["path"])}, "/nonexistent/config.yaml")
        desc = object.__new__(ob_descriptor.OBDescriptor)
        counters = []
        for case in job["cases"]:
            valid_after = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=case["valid_after"])
            consensus.consensus = types.SimpleNamespace(valid_after=valid_after)
            ob_descriptor.datetime = fake_datetime_module(case["now"])
            try:
                counters.append(int(desc._get_revision_counter(priv, case["first"])))
            finally:
                ob_descriptor.datetime = real_datetime
        out[key["name"]] = {
            "address": address,
            "tor_format": svc.is_priv_key_in_tor_format,
            "counters": counters,
        }
    json.dump({"keys": out}, sys.stdout)


if __name__ == "__main__":
    main()
