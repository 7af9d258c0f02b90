// The Slack channel: posts Block Kit messages to an incoming webhook with @slack/webhook and
// classifies Slack's answer. It never retries itself and never puts the webhook URL (a secret:
// whoever holds it can post to the channel) into an error, a log line or a result.
import { IncomingWebhook, type IncomingWebhookSendArguments } from '@slack/webhook';
import { failure, type Channel, type SendResult } from '../channel.ts';
import { classifyHttpStatus, parseRetryAfter } from '../retry.ts';
import { createScrubber } from '../scrub.ts';
import { truncate } from '../../domain/message.ts';
import { renderSlackPayload } from './blocks.ts';

/** Slack settings after `${VAR}` expansion. */
export interface SlackChannelConfig {
  webhookUrl: string;
  channel?: string;
}

/** Knobs and test seams. */
export interface SlackChannelOptions {
  /** Gives up on one request after this long. @defaultValue 10000 */
  timeoutMs?: number;
  /** The fetch to use (tests). @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('slack_')) return code;
    e = (e as { cause?: unknown }).cause ?? (e as { original?: unknown }).original;
  }
  return undefined;
}

function isAbort(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const name = (e as { name?: unknown }).name;
    if (name === 'AbortError' || name === 'TimeoutError') return true;
    e = (e as { cause?: unknown }).cause ?? (e as { original?: unknown }).original;
  }
  return false;
}

/** Creates the Slack channel for one webhook. */
export function createSlackChannel(cfg: SlackChannelConfig, opts: SlackChannelOptions = {}): Channel {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const baseFetch = opts.fetch ?? globalThis.fetch;
  const scrub = createScrubber([cfg.webhookUrl]);
  let valid = true;
  try {
    const u = new URL(cfg.webhookUrl);
    valid = u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    valid = false;
  }

  return {
    name: 'slack',
    async send(msg, signal): Promise<SendResult> {
      if (!valid) return failure(false, 'invalidConfig', 'notifications.slack.webhook_url is not an http(s) URL');
      const payload = renderSlackPayload(msg, cfg.channel ? { channel: cfg.channel } : {});
      const combined = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
      let retryAfterMs: number | undefined;
      const hook = new IncomingWebhook(cfg.webhookUrl, {
        timeout: 0,
        fetch: async (url, init) => {
          const res = await baseFetch(url, { ...init, signal: combined });
          retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
          return res;
        },
      });
      try {
        const res = await hook.send(payload as IncomingWebhookSendArguments);
        const body = (res.text ?? '').trim();
        if (body.startsWith('{')) {
          try {
            const parsed = JSON.parse(body) as { ok?: unknown; error?: unknown };
            if (parsed.ok === false) return failure(false, 'clientError', scrub(`Slack refused the message: ${truncate(String(parsed.error ?? body), 200)}`));
          } catch {
            // not JSON after all: a 2xx is success
          }
        }
        return { ok: true };
      } catch (err) {
        const e = err as { statusCode?: unknown; body?: unknown };
        if (typeof e.statusCode === 'number') {
          const r = classifyHttpStatus(e.statusCode, truncate(String(e.body ?? '').trim(), 200), retryAfterMs);
          return r.ok ? r : { ...r, error: scrub(`Slack answered ${r.error}`) };
        }
        if (isAbort(err)) return failure(true, 'timeout', signal.aborted ? 'Slack request cancelled' : `Slack did not answer within ${timeoutMs} ms`);
        const code = errorCode(err);
        return failure(true, 'connection', scrub(`cannot reach Slack${code ? ` (${code})` : ''}`));
      }
    },
  };
}
