// Slack's incoming-webhook payload rules, checked by the test sink on every request so a message
// Slack would refuse fails our tests instead of a customer's 3 a.m. page. Written from Slack's
// published Block Kit limits.

const BLOCK_TYPES = new Set(['actions', 'context', 'divider', 'file', 'header', 'image', 'input', 'markdown', 'rich_text', 'section', 'video']);
const COLOUR = /^(#?[0-9a-fA-F]{6}|good|warning|danger)$/;

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function textOf(v: unknown): string | undefined {
  return isObj(v) && typeof v.text === 'string' ? v.text : undefined;
}

function checkBlocks(blocks: unknown, where: string, problems: string[]): void {
  if (!Array.isArray(blocks)) {
    problems.push(`${where} must be an array`);
    return;
  }
  if (blocks.length > 50) problems.push(`${where} has ${blocks.length} blocks (at most 50)`);
  blocks.forEach((b, i) => {
    const at = `${where}[${i}]`;
    if (!isObj(b) || typeof b.type !== 'string') {
      problems.push(`${at} has no type`);
      return;
    }
    if (!BLOCK_TYPES.has(b.type)) problems.push(`${at}.type "${b.type}" is not a Block Kit block`);
    if (b.type === 'header') {
      const t = textOf(b.text);
      if (!isObj(b.text) || b.text.type !== 'plain_text') problems.push(`${at}.text must be plain_text`);
      if (t === undefined || t.length === 0) problems.push(`${at}.text is empty`);
      else if (t.length > 150) problems.push(`${at}.text is ${t.length} chars (at most 150)`);
    }
    if (b.type === 'section') {
      const t = textOf(b.text);
      if (b.text === undefined && b.fields === undefined) problems.push(`${at} needs text or fields`);
      if (b.text !== undefined && (t === undefined || t.length === 0)) problems.push(`${at}.text is empty`);
      if (t !== undefined && t.length > 3000) problems.push(`${at}.text is ${t.length} chars (at most 3000)`);
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields)) problems.push(`${at}.fields must be an array`);
        else {
          if (b.fields.length > 10) problems.push(`${at}.fields has ${b.fields.length} items (at most 10)`);
          b.fields.forEach((f, j) => {
            const ft = textOf(f);
            if (ft === undefined || ft.length === 0) problems.push(`${at}.fields[${j}] is empty`);
            else if (ft.length > 2000) problems.push(`${at}.fields[${j}] is ${ft.length} chars (at most 2000)`);
          });
        }
      }
    }
    if (b.type === 'context') {
      if (!Array.isArray(b.elements) || b.elements.length === 0) problems.push(`${at}.elements must be a non-empty array`);
      else if (b.elements.length > 10) problems.push(`${at}.elements has ${b.elements.length} items (at most 10)`);
    }
  });
}

/** Every way `body` breaks Slack's incoming-webhook rules; empty when Slack would accept it. */
export function slackPayloadProblems(body: unknown): string[] {
  const problems: string[] = [];
  if (!isObj(body)) return ['body is not a JSON object'];
  const hasText = typeof body.text === 'string' && body.text.trim() !== '';
  const hasBlocks = Array.isArray(body.blocks) && body.blocks.length > 0;
  if (!hasText && !hasBlocks) problems.push('neither text nor blocks is present');
  if (body.text !== undefined && typeof body.text !== 'string') problems.push('text must be a string');
  if (body.blocks !== undefined) checkBlocks(body.blocks, 'blocks', problems);
  if (body.attachments !== undefined) {
    if (!Array.isArray(body.attachments)) problems.push('attachments must be an array');
    else {
      if (body.attachments.length > 100) problems.push('more than 100 attachments');
      body.attachments.forEach((a, i) => {
        if (!isObj(a)) {
          problems.push(`attachments[${i}] is not an object`);
          return;
        }
        if (a.color !== undefined && (typeof a.color !== 'string' || !COLOUR.test(a.color))) problems.push(`attachments[${i}].color "${String(a.color)}" is not a hex colour or good/warning/danger`);
        if (a.blocks !== undefined) checkBlocks(a.blocks, `attachments[${i}].blocks`, problems);
      });
    }
  }
  return problems;
}

/** What a Slack incoming webhook would object to in one request, and the parsed body if it is JSON. */
export function slackRequestProblems(req: { method?: string; contentType?: string; raw: string }): { problems: string[]; body: unknown } {
  const problems: string[] = [];
  let body: unknown;
  if (req.method !== undefined && req.method !== 'POST') problems.push(`method ${req.method} (want POST)`);
  if (!/^application\/json/.test(req.contentType ?? '')) problems.push(`content-type "${req.contentType ?? ''}" (want application/json)`);
  try {
    body = JSON.parse(req.raw);
    problems.push(...slackPayloadProblems(body));
  } catch {
    problems.push('body is not JSON');
  }
  return { problems, body };
}
