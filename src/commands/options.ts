import { InvalidArgumentError } from 'commander';
import type { PulsebotConfig } from '../config/schema.js';
import { parseLocalDate, type LocalDate } from '../metrics/zoned-time.js';

/** --date YYYY-MM-DD, checked by commander so a bad date exits 2 naming the flag. */
export function localDate(value: string): LocalDate {
  try {
    return parseLocalDate(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** The report a command uses without --report: daily, else the first configured. */
export function defaultReport(config: PulsebotConfig): string {
  return config.reports.daily ? 'daily' : Object.keys(config.reports)[0]!;
}
