// Removes secrets from text before it reaches a log line, an API answer or an error message.
// Libraries put their inputs into error messages in many shapes, so each secret is also hidden in
// its URL-encoded and base64 forms (SMTP AUTH sends credentials base64-encoded).

const REDACTED = '<redacted>';

/** Returns a function that replaces every occurrence of any of `secrets` (and encodings) in a string. */
export function createScrubber(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(Buffer.from(s).toString('base64').replace(/=+$/, ''));
    try {
      // A webhook URL's secret part is its path: hide the path even when printed without the host.
      const u = new URL(s);
      if (u.pathname.length > 4) forms.add(u.pathname);
      if (u.search.length > 4) forms.add(u.search);
    } catch {
      // not a URL
    }
  }
  const list = [...forms].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const f of list) out = out.split(f).join(REDACTED);
    return out;
  };
}
