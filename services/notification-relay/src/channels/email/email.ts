// The email channel: sends the message as HTML + text over SMTP with nodemailer (STARTTLS,
// implicit TLS or plain, with or without auth) and classifies the server's answer. It never
// retries itself, and the SMTP password never reaches an error, a log line or a result.
import nodemailer from 'nodemailer';
import type { ConnectionOptions } from 'node:tls';
import { failure, type Channel, type SendResult } from '../channel.ts';
import { classifySmtpCode } from '../retry.ts';
import { createScrubber } from '../scrub.ts';
import { truncate } from '../../domain/message.ts';
import { renderEmail } from './render.ts';

/** Email settings after `${VAR}` expansion (config.yaml's notifications.email). */
export interface EmailChannelConfig {
  smtp_host: string;
  smtp_port: number;
  tls: 'starttls' | 'implicit' | 'none';
  from: string;
  to: string[];
  username?: string | undefined;
  password?: string | undefined;
}

/** Knobs and test seams. */
export interface EmailChannelOptions {
  /** Connection, greeting and socket timeout for one send. @defaultValue 10000 */
  timeoutMs?: number;
  /** Extra TLS options, e.g. a private CA (`{ ca }`) for the SMTP server's certificate. */
  tls?: ConnectionOptions;
}

const RETRY_CODES: Record<string, { retry: boolean; reason: 'timeout' | 'connection' | 'authError' | 'invalidConfig' }> = {
  ETIMEDOUT: { retry: true, reason: 'timeout' },
  EABORT: { retry: true, reason: 'timeout' },
  ECONNECTION: { retry: true, reason: 'connection' },
  ESOCKET: { retry: true, reason: 'connection' },
  EDNS: { retry: true, reason: 'connection' },
  ETLS: { retry: true, reason: 'connection' },
  EPROTOCOL: { retry: true, reason: 'connection' },
  EAUTH: { retry: false, reason: 'authError' },
  ENOAUTH: { retry: false, reason: 'authError' },
  EREQUIRETLS: { retry: false, reason: 'invalidConfig' },
  ECONFIG: { retry: false, reason: 'invalidConfig' },
};

/** Creates the email channel for one SMTP server and recipient list. */
export function createEmailChannel(cfg: EmailChannelConfig, opts: EmailChannelOptions = {}): Channel {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const secrets = [cfg.password];
  if (cfg.password) secrets.push(`\u0000${cfg.username ?? ''}\u0000${cfg.password}`, `${cfg.username ?? ''}\u0000${cfg.password}`);
  const scrub = createScrubber(secrets);
  const transport = nodemailer.createTransport({
    host: cfg.smtp_host,
    port: cfg.smtp_port,
    secure: cfg.tls === 'implicit',
    requireTLS: cfg.tls === 'starttls',
    ignoreTLS: cfg.tls === 'none',
    ...(cfg.username || cfg.password ? { auth: { user: cfg.username ?? '', pass: cfg.password ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    ...(opts.tls ? { tls: opts.tls } : {}),
  });

  return {
    name: 'email',
    async send(msg, signal): Promise<SendResult> {
      const mail = renderEmail(msg);
      try {
        await transport.sendMail({ from: cfg.from, to: cfg.to, subject: mail.subject, text: mail.text, html: mail.html, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs * 3)]) });
        return { ok: true };
      } catch (err) {
        const e = err as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown };
        const code = typeof e.code === 'string' ? e.code : undefined;
        const detail = truncate(String(e.response ?? e.message ?? '').replace(/\s+/g, ' ').trim(), 200);
        if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
          const r = classifySmtpCode(e.responseCode, detail);
          return r.ok ? r : { ...r, error: scrub(`the mail server answered ${r.error}`) };
        }
        const known = code ? RETRY_CODES[code] : undefined;
        if (known) return failure(known.retry, known.reason, scrub(`email to ${cfg.smtp_host}:${cfg.smtp_port} failed (${code}): ${detail}`));
        return failure(true, 'unexpected', scrub(`email to ${cfg.smtp_host}:${cfg.smtp_port} failed${code ? ` (${code})` : ''}: ${detail}`));
      }
    },
  };
}
