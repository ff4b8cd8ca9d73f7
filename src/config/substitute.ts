import { PulsebotError } from '../errors.js';

/**
 * `${NAME}` substitution in config values, remembering which values came from the environment so
 * that no error message ever echoes one: an environment value may be a token or a password put in
 * the wrong key (`timezone: ${SLACK_BOT_TOKEN}`). Errors name the variable instead.
 */

export type ConfigPath = readonly (string | number)[];

export interface EnvOrigins {
  /** Variables whose values went into the string at a path (keyed by formatPath). */
  byPath: Map<string, string[]>;
  /** Each value taken from the environment, with the variable it came from. */
  byValue: Map<string, string>;
}

export function newEnvOrigins(): EnvOrigins {
  return { byPath: new Map(), byValue: new Map() };
}

/** `reports.daily.routes.slack[0]`: keys joined by dots, list positions in brackets. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? keyName(part) : `.${keyName(part)}`;
  }
  return out;
}

/** A key as an error shows it: an odd one (a line break, a mapping used as a key) quoted and cut short. */
function keyName(key: PropertyKey): string {
  const text = String(key);
  if (/^[\w$-]{1,80}$/.test(text)) return text;
  const quoted = JSON.stringify(text);
  return quoted.length > 80 ? `${quoted.slice(0, 77)}…"` : quoted;
}

/** How an error refers to a value from the environment. */
export function originNote(variables: readonly string[]): string {
  const refs = variables.map((v) => `\${${v}}`);
  return refs.length === 1 ? `the value of ${refs[0]}` : `built from ${refs.join(' and ')}`;
}

// Shorter values are left alone: they cannot hold a credential, and replacing them would garble
// words of the message itself ("UTC", "30").
const MIN_REDACTED_LENGTH = 6;

/** Replaces every environment value that appears in `text` with its variable's name. */
export function redactEnvValues(text: string, origins: EnvOrigins): string {
  let out = text;
  for (const [value, variable] of origins.byValue) {
    if (value.length < MIN_REDACTED_LENGTH) continue;
    for (const form of new Set([value, JSON.stringify(value).slice(1, -1)])) {
      out = out.split(form).join(`\${${variable}}`);
    }
  }
  return out;
}

const ENV_REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * `${NAME}` and `${NAME:-fallback}` inside string values; `$${` is a literal `${`. Substitution
 * happens on parsed values, never on the YAML text, so an environment value cannot inject keys.
 * A fallback is text from the file, so only values actually read from `env` are recorded.
 */
export function substituteEnv(
  value: unknown,
  path: ConfigPath,
  file: string,
  env: NodeJS.ProcessEnv,
  origins: EnvOrigins = newEnvOrigins(),
): unknown {
  if (typeof value === 'string') {
    const used: string[] = [];
    const out = value.replace(ENV_REF, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const found = env[name!];
      if (found !== undefined && found !== '') {
        used.push(name!);
        origins.byValue.set(found, name!);
        return found;
      }
      if (fallback !== undefined) return fallback;
      throw new PulsebotError(
        'CONFIG_INVALID',
        `${file}: ${formatPath(path)}: environment variable ${name} is not set`,
        {
          hint: `set ${name}, or write \${${name}:-default} to give a fallback`,
        },
      );
    });
    if (used.length > 0) origins.byPath.set(formatPath(path), [...new Set(used)]);
    return out;
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, [...path, i], file, env, origins));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, [...path, k], file, env, origins)]),
    );
  }
  return value;
}
