/**
 * A status document as the daemon serves it, for the `formatStatus()` tests: one service, two
 * backends, both descriptors.
 *
 * @module
 */

export const FRONT = "s4x4svqdqi4vzpjz6lt3jqtyhmnmly4yqf2m72bqplfrnhaabnr2kiid.onion";
export const B1 = "yapmo4drptixjycmsjmotwfozj7paeli4navgzlybrpkkpr75bkzyiyd.onion";
export const B2 = "6wtuemjltlkgmkezx6z4cx3f2z2btf5mogsbkcuuihsxc6fixyczshyd.onion";
export const T = "2030-01-01 13:05:01";

/** A status document as this daemon writes it (2 HSDirs per descriptor to keep it short). */
export const SAMPLE = {
  consensus: {
    validAfter: "2030-01-01 13:00:00",
    timePeriod: 21915,
    periodLengthMinutes: 1440,
    hsDirs: 30,
  },
  services: [{
    onionAddress: FRONT,
    publishAttemptFirstDescriptor: T,
    publishAttemptSecondDescriptor: T,
    lastSuccessfulPublish: T,
    descriptors: {
      first: {
        timePeriod: 21914,
        revisionCounter: "4372567423",
        built: T,
        reason: "first publish",
        descriptors: 2,
        introPoints: [12, 12],
        hsDirs: [
          {
            fingerprint: "5E05CC7A7327EBEDC1D1F5F30540A88BC18D8DCE",
            nickname: "relay12",
            descriptor: 0,
            status: "failed",
            attempts: 2,
            lastAttempt: T,
            lastResult: T,
            reason: "UPLOAD_REJECTED",
          },
          {
            fingerprint: "59405A9CA0CA255313F560DA3555624285C9DDA4",
            nickname: "relay26",
            descriptor: 1,
            status: "uploaded",
            attempts: 1,
            lastAttempt: T,
            lastResult: T,
            reason: null,
          },
        ],
      },
      second: null,
    },
    instances: [
      {
        onionAddress: B1,
        name: "web-1",
        introSetModified: "2030-01-01 13:05:00",
        introPointsNum: 3,
        descriptorReceived: "2030-01-01 13:05:00",
        state: "usable",
        reason: null,
        lastFetch: "2030-01-01 13:05:00",
        fetchFailures: 0,
        revisionCounter: "1",
        published: {
          introPoints: 2,
          oldestSeen: "2030-01-01 13:04:00",
          ageSeconds: 61,
          inNewestDescriptor: 1,
        },
        health: { lastCheck: T, ok: false, consecutiveFailures: 1, error: "host unreachable" },
      },
      {
        onionAddress: B2,
        received: null,
        state: "unusable",
        reason: "no descriptor yet",
        lastFetch: null,
        fetchFailures: 1,
        revisionCounter: null,
        health: null,
      },
    ],
  }],
};
