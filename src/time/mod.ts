/**
 * Time in the onion-service protocol: time periods (and, as they are added,
 * their computation from a consensus, SRV selection and clocks).
 *
 * Spec: rend-spec-v3 §2.2.1 [TIME-PERIODS].
 *
 * @module
 */

export { DEFAULT_PERIOD_LENGTH_MINUTES, TimePeriod } from "./time_period.ts";
