import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { PulsebotError, messageOf } from '../errors.js';
import { got } from './fields.js';
import { checkRouteEnvironment } from './route-env.js';
import { configSchema, type PulsebotConfig } from './schema.js';
import {
  formatPath,
  newEnvOrigins,
  originNote,
  redactEnvValues,
  substituteEnv,
  type EnvOrigins,
} from './substitute.js';

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
  return { config: parseConfigText(readConfigFile(file), file, env), source: file };
}

/** The file's text; a path that is a directory or cannot be read is a configuration error naming it. */
function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EISDIR'
        ? 'is a directory, expected a YAML file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read: permission denied'
          : `cannot be read (${code ?? messageOf(error)})`;
    throw new PulsebotError('CONFIG_INVALID', `${file}: ${why}`, { cause: error });
  }
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv): PulsebotConfig {
  // logLevel error: a mapping used as a key is stringified (then an unknown key) without a Node warning on stderr.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
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
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (error) {
    // yaml refuses documents that expand aliases without bound ("billion laughs").
    throw new PulsebotError('CONFIG_INVALID', `${file}: not valid YAML: ${messageOf(error)}`, { cause: error });
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PulsebotError('CONFIG_INVALID', `${file}: expected a mapping of keys at the top level`);
  }
  return parseConfig(raw, file, env);
}

export function parseConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv): PulsebotConfig {
  const origins = newEnvOrigins();
  const substituted = substituteEnv(raw, [], file, env, origins);
  const protoKey = findProtoKey(substituted, []);
  if (protoKey !== null) {
    throw new PulsebotError(
      'CONFIG_INVALID',
      `${file}: ${formatPath(protoKey)}: unknown key (not a name pulsebot uses)`,
    );
  }
  const result = configSchema.safeParse(substituted, { error: plainMessage });
  if (result.success) {
    checkRouteEnvironment(result.data, env, origins, file);
    return result.data;
  }
  // One value can fail more than one check (2.5 is neither whole nor in range): say it once.
  const lines = [...new Set(result.error.issues.flatMap((issue) => describeIssue(issue, origins)))];
  const [head, ...rest] = lines;
  throw new PulsebotError('CONFIG_INVALID', `${file}: ${head}`, {
    // zod's own error repeats each message with the value in it: not kept when a value came from the environment.
    cause: origins.byValue.size === 0 ? result.error : undefined,
    hint: rest.length > 0 ? rest.map((l) => `also ${file}: ${l}`).join('\n') : undefined,
  });
}

/** zod's records skip a `__proto__` key without a word: find it so it is an error like any unknown key. */
function findProtoKey(value: unknown, path: (string | number)[]): (string | number)[] | null {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findProtoKey(item, [...path, i]);
      if (found !== null) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '__proto__') return [...path, key];
      const found = findProtoKey(item, [...path, key]);
      if (found !== null) return found;
    }
  }
  return null;
}

const SECRET_LIKE = /(token|password|passwd|secret|api[_-]?key|credentials?|database_url|smtp_url|dsn)$/i;

function describeIssue(issue: z.core.$ZodIssue, origins: EnvOrigins): string[] {
  const at = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const full = formatPath([...issue.path, key]);
      if (SECRET_LIKE.test(key)) {
        return `${full}: secrets are not read from the config file; set them in the environment (DATABASE_URL, SLACK_BOT_TOKEN, SMTP_URL)`;
      }
      return `${full}: unknown key (check the spelling against config/pulsebot.example.yaml)`;
    });
  }
  let message = issue.message;
  const variables = origins.byPath.get(at);
  if (variables !== undefined) message = `${message.replace(/, got [\s\S]*$/, '')} (${originNote(variables)})`;
  // A message about one key may quote another's value (a cross-key check): scrub those too.
  return [oneLine(redactEnvValues(`${at || '(top level)'}: ${message}`, origins))];
}

/** A message is one line of plain text: control characters (a line break inside a quoted part) are escaped. */
function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const TYPE_NAMES: Record<string, string> = {
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  null: 'null',
};

/** zod's wording for the few checks that carry no message of their own, in the config's terms. */
function plainMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}${got(issue.input)}`;
  }
  if (issue.code === 'invalid_key') {
    // The name is the last part of the path; the key's own check says what names may be.
    return `not a valid name: ${issue.issues[0]?.message ?? 'unexpected characters'}`;
  }
  return undefined;
}
