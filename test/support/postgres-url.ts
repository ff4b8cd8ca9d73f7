import { randomBytes } from 'node:crypto';

/** TEST_DATABASE_URL names a server (and a database to connect to for CREATE DATABASE). */
export function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  return url;
}

export function databaseUrl(database: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

export function runId(): string {
  return `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
}
