// The daemon's logger: pino JSON with credential-shaped keys redacted wherever they appear, so a
// mistake elsewhere cannot print a secret.
import pino from 'pino';
import type { Logger } from './types.js';

export const REDACTED_PATHS = [
  'apiKey',
  '*.apiKey',
  'apiToken',
  '*.apiToken',
  'privateKey',
  '*.privateKey',
  'publicKey',
  '*.publicKey',
  'clientId',
  '*.clientId',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'credentials',
  '*.credentials',
  'authorization',
  '*.authorization',
  'Authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  level?: LogLevel;
  /** Where JSON lines go. @default stdout */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): pino.Logger & Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'ticketbridge' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
