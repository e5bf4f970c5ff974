// The daemon's configuration: types, defaults, schema, loading with positions,
// environment overrides, and the start-up notes. docs/configuration.md is the
// reference for users.

export type * from './types.js';
export { DEFAULT_CONFIG } from './defaults.js';
export { CONFIG_SCHEMA, ADDRESS_PATTERN, type JsonSchema } from './schema.js';
export { loadConfig, parseConfig, filePathKeys, type ConfigResult, type LoadConfigOptions } from './load.js';
export { ENV_VARIABLES, ENV_PREFIX, readEnvironment, type EnvVariable, type Environment } from './env.js';
export { inactiveSettings, cautions } from './notes.js';
export { CONFIG_PROBLEM_CODES, formatConfigProblem, formatConfigNote, hasConfigErrors, type ConfigProblem, type ConfigProblemCode, type ConfigNote } from './problems.js';
export { splitAddress, withPort, isAddress } from './address.js';
export { Secret } from './secret.js';
