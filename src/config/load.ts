import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { PulsebotError } from '../errors.js';
import { configSchema, type PulsebotConfig } from './schema.js';

const DEFAULT_CONFIG_PATH = 'config/pulsebot.yaml';

export interface LoadedConfig {
  config: PulsebotConfig;
  /** The file that was read, or null when the built-in defaults apply. */
  source: string | null;
}

export interface LoadConfigOptions {
  /** --config flag; wins over PULSEBOT_CONFIG. */
  path?: string | undefined;
  env: NodeJS.ProcessEnv;
}

/**
 * Flags override the environment, which overrides the default location. A path somebody named
 * explicitly must exist; the default location may be absent (built-in defaults then).
 */
export function loadConfig({ path, env }: LoadConfigOptions): LoadedConfig {
  const explicit = path ?? (env.PULSEBOT_CONFIG || undefined);
  const file = explicit ?? DEFAULT_CONFIG_PATH;
  if (!existsSync(file)) {
    if (explicit !== undefined) {
      throw new PulsebotError('CONFIG_NOT_FOUND', `config file ${file} does not exist`, {
        hint:
          path !== undefined
            ? 'check the --config path (copy config/pulsebot.example.yaml there to start)'
            : 'copy config/pulsebot.example.yaml and edit it, or unset PULSEBOT_CONFIG to use the defaults',
      });
    }
    return { config: parseConfig({}, '(defaults)', env), source: null };
  }
  const text = readFileSync(file, 'utf8');
  return { config: parseConfigText(text, file, env), source: file };
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv): PulsebotConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const where = first.linePos?.[0] ? ` (line ${first.linePos[0].line}, column ${first.linePos[0].col})` : '';
    throw new PulsebotError(
      'CONFIG_INVALID',
      `${file}: not valid YAML${where}: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      {
        cause: first,
      },
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PulsebotError('CONFIG_INVALID', `${file}: expected a mapping of keys at the top level`);
  }
  return parseConfig(raw, file, env);
}

export function parseConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv): PulsebotConfig {
  const substituted = substituteEnv(raw, [], file, env);
  const result = configSchema.safeParse(substituted);
  if (result.success) return result.data;
  const lines = result.error.issues.flatMap((issue) => describeIssue(issue));
  const [head, ...rest] = lines;
  throw new PulsebotError('CONFIG_INVALID', `${file}: ${head}`, {
    cause: result.error,
    hint: rest.length > 0 ? rest.map((l) => `also ${file}: ${l}`).join('\n') : undefined,
  });
}

const SECRET_LIKE = /(token|password|passwd|secret|api[_-]?key|credentials?|database_url|smtp_url|dsn)$/i;

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const full = at ? `${at}.${key}` : key;
      if (SECRET_LIKE.test(key)) {
        return `${full}: secrets are not read from the config file; set them in the environment (DATABASE_URL, SLACK_BOT_TOKEN, SMTP_URL)`;
      }
      return `${full}: unknown key (check the spelling against config/pulsebot.example.yaml)`;
    });
  }
  return [`${at || '(top level)'}: ${issue.message}`];
}

const ENV_REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * `${NAME}` and `${NAME:-fallback}` inside string values; `$${` is a literal `${`. Substitution
 * happens on parsed values, never on the YAML text, so an environment value cannot inject keys.
 */
export function substituteEnv(value: unknown, path: string[], file: string, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const found = env[name!];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw new PulsebotError('CONFIG_INVALID', `${file}: ${path.join('.')}: environment variable ${name} is not set`, {
        hint: `set ${name}, or write \${${name}:-default} to give a fallback`,
      });
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, [...path, String(i)], file, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, [...path, k], file, env)]));
  }
  return value;
}
