#!/usr/bin/python3
"""OnionBalance 0.2.2's own code paths, timed on a bench input folder.

Run with Debian's interpreter (/usr/bin/python3: onionbalance 0.2.2, stem
1.8.1). `scripts/bench.ts` runs it; it reads a JSON job on stdin:

    {"dir": "/tmp/onionbalance-bench/input", "sets": [1, 10, 60],
     "reps": {"fast": 5, "slow": 3}, "sharedServices": 10}

and writes one JSON object to stdout: per stage the list of wall-clock
seconds of each repetition, a few facts about what OnionBalance did (how
many relays it placed on its ring, descriptors it posted, sizes), versions,
and its peak RSS.

Only the control port and the clock are replaced:

* The stem controller is a `stem.control.Controller` whose `get_info()`
  answers `dir/status-vote/current/consensus-microdesc` and `md/all` from
  the folder's files, `get_version()` says 0.4.9.11, and `msg()` answers
  every `+HSPOST` with `250 OK` (and counts it). Everything above that is
  OnionBalance's and stem's own code: `StemController.get_md_consensus`,
  `Controller.get_microdescriptors`, `Consensus.refresh`, `hashring`,
  `InstanceV3.register_descriptor` (`ReceivedDescriptor`: stem parse and
  decrypt), `OnionbalanceService.publish_descriptors` (`OBDescriptor`: stem
  build, pure-Python blinding, OPE revision counter, `upload_descriptor`).
* `datetime` in OnionBalance's modules and in stem's certificate module is
  a stand-in whose `utcnow()` is the folder's fixed clock.

Stages (the names match scripts/bench/ours.ts):

* consensus   Consensus.refresh(): parse the consensus, md/all, node list
* rings       the hash rings of both descriptors (_get_hash_ring_for_descriptor
              + sort, as get_responsible_hsdirs does), right after a refresh
* blind       get_blinding_param + stem's _blinded_pubkey for one period
* decode:K    InstanceV3.register_descriptor for K backends (parse + decrypt)
* build:K     both descriptors: intro choice, blinding param, OBDescriptor
* responsible get_responsible_hsdirs for one blinded key (OnionBalance
              rebuilds the ring on every call)
* republish:K after a first publish, one backend's new descriptor (intro points
              rotated, clock one second later): register_descriptor +
              publish_all_descriptors() (both descriptors republished; each
              rebuilds its ring twice, in _hsdir_set_changed and for the upload)
* next:K      after a first publish, the next hour: the next consensus
              (Consensus.refresh(), as OnionBalance does on NEWCONSENSUS), K
              descriptors registered again (backend 00's rotated, the others
              the same text; OnionBalance parses and decrypts each one it
              receives), publish_all_descriptors(); clock one hour later
* cycle:K     refresh + register K descriptors + publish_all_descriptors()
* shared:N    N frontends x 3 backends: refresh + register + publish all

Nothing secret is printed; the keys are throwaway bench keys.
"""

import datetime
import gc
import json
import logging
import os
import resource
import sys
import time
import types

import stem
import stem.control
import stem.descriptor.certificate
import stem.descriptor.hidden_service
import stem.response
import stem.version

import onionbalance
from onionbalance.common import log
from onionbalance.hs_v3 import consensus as ob_consensus
from onionbalance.hs_v3 import descriptor as ob_descriptor
from onionbalance.hs_v3 import hashring
from onionbalance.hs_v3 import instance as ob_instance
from onionbalance.hs_v3 import service as ob_service
from onionbalance.hs_v3 import stem_controller
from onionbalance.hs_v3.onionbalance import my_onionbalance

log.get_logger().setLevel(logging.CRITICAL + 1)

CONSENSUS_KEY = "dir/status-vote/current/consensus-microdesc"
OK_REPLY = stem.response.ControlMessage.from_str("250 OK\r\n")


class FileController(stem.control.Controller):
    """A stem Controller whose control-port answers come from the input folder."""

    def __init__(self, folder):  # pylint: disable=super-init-not-called
        # No socket: stem's Controller.__init__ would connect.
        self.folder = folder
        self.posts = []
        self.use("consensus-microdesc.txt", "md-all.txt")

    def use(self, consensus_path, md_path):
        """Answers from these files from now on (the next hour's consensus arrives)."""
        self.consensus_text = read(self.folder, consensus_path).decode()
        self.md_all = read(self.folder, md_path)

    def get_info(self, params, default=stem.control.UNDEFINED, get_bytes=False):
        if params == CONSENSUS_KEY:
            return self.consensus_text.encode() if get_bytes else self.consensus_text
        if params == "md/all":
            return self.md_all if get_bytes else self.md_all.decode()
        raise stem.InvalidArguments("552", "Unrecognized key \"%s\"" % params, [params])

    def get_version(self, default=stem.control.UNDEFINED):
        return stem.version.Version("0.4.9.11")

    def msg(self, message):
        # Only upload_descriptor's "+HSPOST SERVER=... HSADDRESS=...\n<descriptor>" arrives here.
        first_line, _, body = message.partition("\n")
        self.posts.append((first_line.count("SERVER="), len(body)))
        return OK_REPLY


def read(folder, name):
    with open(os.path.join(folder, name), "rb") as handle:
        return handle.read()


def fixed_datetime_module(now_unix):
    """A stand-in for the datetime module whose utcnow() is the bench clock."""
    fixed = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=now_unix)

    class FixedDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

    return types.SimpleNamespace(datetime=FixedDatetime, timedelta=datetime.timedelta)


def install_clock(now_unix):
    fake = fixed_datetime_module(now_unix)
    for module in (ob_consensus, ob_descriptor, ob_service, ob_instance,
                   stem.descriptor.certificate):
        module.datetime = fake


def timed(fn):
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


class Bench:
    def __init__(self, job):
        self.folder = job["dir"]
        self.manifest = json.loads(read(self.folder, "manifest.json"))
        clock = json.loads(read(self.folder, "clock.json"))
        self.now = clock["now"]
        install_clock(self.now)
        my_onionbalance.is_testnet = False
        self.controller = FileController(self.folder)
        stem_ctl = object.__new__(stem_controller.StemController)
        stem_ctl.controller = self.controller
        my_onionbalance.controller = stem_ctl
        self.descriptors = {b["address"]: read(self.folder, b["descriptor"]).decode()
                            for b in self.manifest["backends"]}
        self.results = {}
        self.facts = {}

    def record(self, name, seconds, rep):
        """Keeps the time of repetition `rep`; repetition 0 is a warm-up run, as on our side."""
        if rep > 0:
            self.results.setdefault(name, []).append(seconds)

    def fresh_consensus(self):
        consensus = ob_consensus.Consensus(do_refresh_consensus=False)
        my_onionbalance.consensus = consensus
        consensus.refresh()
        return consensus

    def service(self, key, addresses):
        """An OnionbalanceService as OnionBalance builds it from config.yaml."""
        config = {"key": key, "instances": [{"address": a} for a in addresses]}
        service = ob_service.OnionbalanceService(config, os.path.join(self.folder, "config.yaml"))
        my_onionbalance.services = [service]
        return service

    def register(self, service):
        for instance in service.instances:
            instance.register_descriptor(self.descriptors[instance.onion_address],
                                         instance.onion_address)

    def stage_consensus_rings(self, reps):
        for rep in range(reps + 1):
            seconds, consensus = timed(self.fresh_consensus)
            self.record("consensus", seconds, rep)

            def rings():
                out = []
                for first in (True, False):
                    ring = hashring._get_hash_ring_for_descriptor(first)
                    out.append(sorted(ring.keys()))
                return out

            seconds, built = timed(rings)
            self.record("rings", seconds, rep)
        self.facts["nodes"] = len(consensus.nodes)
        self.facts["ringSize"] = [len(r) for r in built]

    def stage_blind(self, reps):
        service = self.service(self.manifest["frontend"]["key"], [])
        pubkey = service._get_identity_pubkey_bytes()
        _, period = hashring.get_srv_and_time_period(True)
        for rep in range(reps + 1):
            def blind():
                param = my_onionbalance.consensus.get_blinding_param(pubkey, period)
                return stem.descriptor.hidden_service._blinded_pubkey(pubkey, param)

            seconds, blinded = timed(blind)
            self.record("blind", seconds, rep)
        return blinded

    def stage_responsible(self, reps, blinded):
        for rep in range(reps + 1):
            seconds, hsdirs = timed(lambda: hashring.get_responsible_hsdirs(blinded, True))
            self.record("responsible", seconds, rep)
        self.facts["responsibleFirst"] = hsdirs

    def stage_decode(self, k, reps):
        addresses = self.manifest["sets"][str(k)]
        for rep in range(reps + 1):
            service = self.service(self.manifest["frontend"]["key"], addresses)
            seconds, _ = timed(lambda: self.register(service))
            self.record("decode:%d" % k, seconds, rep)
        self.facts["decodedIntroPoints:%d" % k] = sum(
            len(i.descriptor.get_intro_points()) for i in service.instances if i.descriptor)

    def stage_build(self, k, reps):
        addresses = self.manifest["sets"][str(k)]
        service = self.service(self.manifest["frontend"]["key"], addresses)
        self.register(service)
        pubkey = service._get_identity_pubkey_bytes()
        for rep in range(reps + 1):
            def build():
                built = []
                for first in (True, False):
                    intro_points = service._get_intros_for_desc()
                    _, period = hashring.get_srv_and_time_period(first)
                    param = my_onionbalance.consensus.get_blinding_param(pubkey, period)
                    try:
                        built.append(ob_descriptor.OBDescriptor(
                            service.onion_address, service.identity_priv_key, param,
                            intro_points, first))
                    except ob_descriptor.BadDescriptor:
                        built.append(None)
                return built

            seconds, built = timed(build)
            self.record("build:%d" % k, seconds, rep)
        self.facts["built:%d" % k] = [
            None if d is None else {"introPoints": len(d.intro_set), "bytes": d.get_size()}
            for d in built]

    def stage_cycle(self, k, reps):
        addresses = self.manifest["sets"][str(k)]
        for rep in range(reps + 1):
            service = self.service(self.manifest["frontend"]["key"], addresses)
            del self.controller.posts[:]

            def cycle():
                self.fresh_consensus()
                self.register(service)
                my_onionbalance.publish_all_descriptors()

            seconds, _ = timed(cycle)
            self.record("cycle:%d" % k, seconds, rep)
        self.facts["posts:%d" % k] = list(self.controller.posts)

    def stage_republish(self, k, reps):
        """After a first publish, one backend rotates its intro points (a second later):
        OnionBalance registers the new descriptor and runs publish_all_descriptors()."""
        addresses = self.manifest["sets"][str(k)]
        rotated = self.manifest["rotated"]
        text = read(self.folder, rotated["descriptor"]).decode()
        for rep in range(reps + 1):
            install_clock(self.now)
            service = self.service(self.manifest["frontend"]["key"], addresses)
            self.fresh_consensus()
            self.register(service)
            my_onionbalance.publish_all_descriptors()
            install_clock(self.now + 1)
            del self.controller.posts[:]
            instance = next(i for i in service.instances if i.onion_address == rotated["address"])

            def republish():
                instance.register_descriptor(text, instance.onion_address)
                my_onionbalance.publish_all_descriptors()

            seconds, _ = timed(republish)
            self.record("republish:%d" % k, seconds, rep)
        install_clock(self.now)
        self.facts["republishPosts:%d" % k] = list(self.controller.posts)

    def stage_next(self, k, reps):
        """After a first publish, the next hour: the next consensus arrives, every backend's
        descriptor is fetched again (backend 00 rotated its intro points, the others are the
        same text) and OnionBalance runs publish_all_descriptors()."""
        addresses = self.manifest["sets"][str(k)]
        nxt = self.manifest["next"]
        rotated = self.manifest["rotated"]
        texts = dict(self.descriptors)
        texts[rotated["address"]] = read(self.folder, rotated["descriptor"]).decode()
        for rep in range(reps + 1):
            install_clock(self.now)
            self.controller.use("consensus-microdesc.txt", "md-all.txt")
            service = self.service(self.manifest["frontend"]["key"], addresses)
            self.fresh_consensus()
            self.register(service)
            my_onionbalance.publish_all_descriptors()
            install_clock(nxt["now"])
            self.controller.use(nxt["consensus"], nxt["microdescs"])
            del self.controller.posts[:]

            def next_hour():
                my_onionbalance.consensus.refresh()
                for instance in service.instances:
                    instance.register_descriptor(texts[instance.onion_address],
                                                 instance.onion_address)
                my_onionbalance.publish_all_descriptors()

            seconds, _ = timed(next_hour)
            self.record("next:%d" % k, seconds, rep)
        self.facts["nextPosts:%d" % k] = list(self.controller.posts)
        self.facts["nextNodes"] = len(my_onionbalance.consensus.nodes)
        install_clock(self.now)
        self.controller.use("consensus-microdesc.txt", "md-all.txt")

    def stage_shared(self, n):
        """N frontends x n backends, as N services of one OnionBalance (one cycle)."""
        shared = self.manifest["shared"]
        backends = [b["address"] for b in self.manifest["backends"]]
        per = shared["backendsPerFrontend"]
        services = []
        for i, frontend in enumerate(shared["frontends"][:n]):
            addresses = [backends[(per * i + j) % len(backends)] for j in range(per)]
            config = {"key": frontend["key"], "instances": [{"address": a} for a in addresses]}
            services.append(ob_service.OnionbalanceService(
                config, os.path.join(self.folder, "config.yaml")))
        my_onionbalance.services = services
        del self.controller.posts[:]
        cpu_start = time.process_time()
        seconds_consensus, _ = timed(self.fresh_consensus)

        def rest():
            for service in services:
                self.register(service)
            my_onionbalance.publish_all_descriptors()

        seconds_rest, _ = timed(rest)
        self.facts["shared"] = {
            "services": n,
            "consensusSeconds": seconds_consensus,
            "perServiceSeconds": seconds_rest / n,
            "cpuSeconds": time.process_time() - cpu_start,
            "posts": len(self.controller.posts),
        }
        self.record("shared:%d" % n, seconds_consensus + seconds_rest, 1)


def main():
    job = json.load(sys.stdin)
    bench = Bench(job)
    fast = job["reps"]["fast"]
    slow = job["reps"]["slow"]
    cpu_start = time.process_time()
    bench.stage_consensus_rings(fast)
    blinded = bench.stage_blind(fast)
    bench.stage_responsible(fast, blinded)
    for k in job["sets"]:
        bench.stage_decode(k, fast)
    for k in job["sets"]:
        bench.stage_build(k, slow)
    for k in job["sets"]:
        bench.stage_republish(k, slow)
    for k in job["sets"]:
        bench.stage_next(k, slow)
    for k in job["sets"]:
        bench.stage_cycle(k, slow)
    if job.get("sharedServices", 0) > 0:
        bench.stage_shared(job["sharedServices"])
    json.dump({
        "stages": bench.results,
        "facts": bench.facts,
        "cpuSeconds": time.process_time() - cpu_start,
        "peakRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "versions": {
            "onionbalance": onionbalance.__version__,
            "stem": stem.__version__,
            "python": sys.version.split()[0],
        },
    }, sys.stdout)


if __name__ == "__main__":
    main()
