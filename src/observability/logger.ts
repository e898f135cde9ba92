// The winston logger: JSON lines on stdout, one logger built by the composition root and passed down.
import winston from 'winston';

export type Logger = winston.Logger;

export function createLogger(options: { level: string; silent?: boolean }): Logger {
  return winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: 'gatehouse' },
    transports: [new winston.transports.Console()],
  });
}
