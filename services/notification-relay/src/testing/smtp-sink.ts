// A local SMTP server for tests (the smtp-server package) that parses every accepted mail with
// mailparser. It can require STARTTLS or implicit TLS and a login, and can be told to reject the
// next messages with a given SMTP code.
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { testCertificate } from './tls.ts';

/** How the sink is set up. */
export interface SmtpSinkOptions {
  tls?: 'starttls' | 'implicit' | 'none';
  username?: string;
  password?: string;
  /** On a failed login, put the offered password into the reply (to prove the relay hides it). */
  echoCredentials?: boolean;
  /** Where to listen (default 127.0.0.1 on a free port). */
  bind?: string;
  port?: number;
  /** Oldest mails are dropped beyond this many (default: all kept). */
  maxMails?: number;
}

/** The running sink. */
export interface SmtpSink {
  port: number;
  /** Mails accepted, parsed. */
  mails: ParsedMail[];
  /** Login attempts that failed. */
  authFailures: number;
  /** The next `n` messages are refused at DATA with `code`. */
  rejectNext(n: number, code: number, message?: string): void;
  waitFor(pred: (mails: ParsedMail[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts the sink (by default on 127.0.0.1 with a free port). */
export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const mode = opts.tls ?? 'none';
  const mails: ParsedMail[] = [];
  const rejections: Array<{ code: number; message: string }> = [];
  let authFailures = 0;
  const cert = mode === 'none' ? undefined : await testCertificate();
  const options: SMTPServerOptions = {
    secure: mode === 'implicit',
    logger: false,
    disableReverseLookup: true,
    authOptional: !opts.username,
    allowInsecureAuth: mode === 'none',
    disabledCommands: mode === 'none' ? ['STARTTLS'] : [],
    closeTimeout: 200,
    ...(cert ? { key: cert.key, cert: cert.cert } : {}),
    onAuth(auth, _session, callback) {
      if (auth.username === opts.username && auth.password === opts.password) return callback(null, { user: auth.username });
      authFailures++;
      const err = Object.assign(new Error(opts.echoCredentials ? `Invalid login for ${auth.username ?? ''} with ${auth.password ?? ''}` : 'Invalid username or password'), { responseCode: 535 });
      return callback(err);
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const reject = rejections.shift();
        if (reject) return callback(Object.assign(new Error(reject.message), { responseCode: reject.code }));
        simpleParser(Buffer.concat(chunks))
          .then((mail) => {
            mails.push(mail);
            if (opts.maxMails !== undefined && mails.length > opts.maxMails) mails.splice(0, mails.length - opts.maxMails);
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => {
    // client disconnects and TLS noise are expected in fault tests
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.bind ?? '127.0.0.1', () => resolve()));
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    mails,
    get authFailures() {
      return authFailures;
    },
    rejectNext(n, code, message = 'Requested action aborted') {
      for (let i = 0; i < n; i++) rejections.push({ code, message });
    },
    async waitFor(pred, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(mails)) {
        if (Date.now() > deadline) throw new Error(`smtp sink: condition not met within ${timeoutMs} ms (${mails.length} mails so far)`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
