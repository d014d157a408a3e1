/**
 * The balancer's configuration file, `config.yaml`: OnionBalance 0.2.x's
 * format unchanged, plus optional tuning keys (documented in
 * `config/config.example.yaml`).
 *
 * @example
 * ```ts
 * import { parseConfig } from "./mod.ts";
 * const { config } = parseConfig(
 *   "services:\n- key: frontend.key\n  instances:\n  - address: 25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion\n",
 *   { path: "config.yaml", baseDir: "/etc/onionbalance" },
 * );
 * config.services[0]?.keyPath; // "/etc/onionbalance/frontend.key"
 * ```
 *
 * @module
 */

export { ConfigError, type ConfigLocation, type ConfigWarning, formatLocation } from "./errors.ts";
export {
  type BalancerConfig,
  DEFAULT_FRONTEND_PROBE,
  DEFAULT_HEALTH_CHECK,
  DEFAULT_TUNING,
  type FrontendProbeConfig,
  type HealthCheckConfig,
  type InstanceConfig,
  type MetricsConfig,
  type ServiceConfig,
  type TuningConfig,
} from "./schema.ts";
export { loadConfig, type LoadedConfig, parseConfig, type ParseConfigOptions } from "./load.ts";
