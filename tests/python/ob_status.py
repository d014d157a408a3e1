#!/usr/bin/python3
"""OnionBalance 0.2.2's status-socket JSON, from its own code, for cross-checks.

Run with Debian's interpreter (/usr/bin/python3, which has onionbalance and
stem). Reads a JSON job on stdin, one of:

    {"dumps": <any JSON value>}
        -> {"text": json.dumps(value, sort_keys=True)}  (what hs_v3/status.py calls)

    {"status": {"services": [
        {"address": "<56>.onion",              # OnionBalance keeps ".onion" here
         "first_attempt_ms": int|null, "second_attempt_ms": int|null,
         "instances": [{"address": "<56>",     # ... and not here
                        "received_ms": int|null, "intro_set_modified_ms": int|null,
                        "intro_points": int}, ...]}, ...]}}
        -> {"text": StatusSocketHandlerMixin._outputString()}

The status objects are minimal stand-ins with exactly the attributes
`_outputString` reads (`balance.services[].onion_address`, `.instances`,
`.first_descriptor.last_publish_attempt_ts`, ...; instance `.onion_address`,
`.descriptor.received_ts`, `.descriptor.intro_set`,
`.intro_set_modified_timestamp`); times are naive UTC datetimes, as
OnionBalance's `datetime.datetime.utcnow()` gives.
"""

import datetime
import json
import sys
import types

from onionbalance.hs_v3.status import StatusSocketHandlerMixin


def utc(ms):
    if ms is None:
        return None
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)


def instance(data):
    received = utc(data["received_ms"])
    descriptor = None
    if received is not None:
        descriptor = types.SimpleNamespace(
            received_ts=received, intro_set=[object()] * data["intro_points"])
    return types.SimpleNamespace(
        onion_address=data["address"],
        descriptor=descriptor,
        intro_set_modified_timestamp=utc(data["intro_set_modified_ms"]))


def attempt(ms):
    if ms is None:
        return None
    return types.SimpleNamespace(last_publish_attempt_ts=utc(ms))


def service(data):
    return types.SimpleNamespace(
        onion_address=data["address"],
        first_descriptor=attempt(data["first_attempt_ms"]),
        second_descriptor=attempt(data["second_attempt_ms"]),
        instances=[instance(i) for i in data["instances"]])


def main():
    job = json.load(sys.stdin)
    if "dumps" in job:
        text = json.dumps(job["dumps"], sort_keys=True)
    else:
        balance = types.SimpleNamespace(
            services=[service(s) for s in job["status"]["services"]])
        text = StatusSocketHandlerMixin(balance)._outputString()
    json.dump({"text": text}, sys.stdout)


if __name__ == "__main__":
    main()
