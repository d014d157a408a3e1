#!/usr/bin/python3
"""Loads a config.yaml with OnionBalance 0.2.x's own code, for cross-checks.

Run with Debian's interpreter (/usr/bin/python3, which has onionbalance and
stem). Reads a JSON job on stdin:

    {"config": "/tmp/x/config.yaml"}

and does what `onionbalance -c <config>` does before it talks to tor
(hs_v3/onionbalance.py: Onionbalance.init_subsystems): load_config_file()
(its validation, including every instance address), then one
OnionbalanceService per entry (service.py: _load_service_keys, PEM first,
then tor's format; _load_instances). The control connection is the only
stub: InstanceV3 stores `my_onionbalance.controller.controller` and never
uses it while loading.

Writes {"services": [{"address": ..., "tor_format": bool,
"instances": [...]}], "log": [[level, message], ...]} to stdout, where "log"
holds OnionBalance's own messages at WARNING and above. No key material is
printed.
"""

import json
import logging
import os
import sys
import types

from onionbalance.common import log
from onionbalance.hs_v3.onionbalance import my_onionbalance


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append([record.levelname, record.getMessage()])


def main():
    job = json.load(sys.stdin)
    logger = log.get_logger()
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    collect = Collect()
    logger.addHandler(collect)
    my_onionbalance.config_path = os.path.abspath(job["config"])
    my_onionbalance.config_data = my_onionbalance.load_config_file()
    my_onionbalance.controller = types.SimpleNamespace(controller=None)
    services = my_onionbalance.initialize_services_from_config_data()
    out = [
        {
            "address": service.onion_address,
            "tor_format": service.is_priv_key_in_tor_format,
            "instances": [instance.onion_address for instance in service.instances],
        }
        for service in services
    ]
    json.dump({"services": out, "log": collect.records}, sys.stdout)


if __name__ == "__main__":
    main()
