/** One line of `pulsebot doctor`: what was checked, how it went, and how to fix it. */
export type CheckStatus = 'ok' | 'fail' | 'warn';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}
