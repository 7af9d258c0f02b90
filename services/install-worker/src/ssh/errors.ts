// Classified SSH failures. The executor classifies; whoever retries (the executor for connects, the
// BullMQ job for whole node runs) reads `transient`: a refused or dropped connection may heal, a
// refused key, a changed host key or a command's non-zero exit will not by trying again.

/** Why an SSH operation failed, in words an operator acts on. */
export type SshFailureKind =
  | 'unreachable' // TCP refused/reset/unroutable, or the handshake never finished
  | 'timeout' // no SSH handshake within connect_timeout_s
  | 'auth' // the server refused every key we offered
  | 'key' // our private key could not be read or decrypted
  | 'host-key-changed' // the node presented a key other than the pinned one
  | 'host-key-unknown' // ssh.host_keys is strict and the node has no pinned key
  | 'host-key-revoked' // the node presented a key listed as @revoked in known_hosts
  | 'connection-lost' // the connection dropped while a command ran
  | 'command-timeout' // a command ran past command_timeout_s
  | 'command-failed' // a command exited non-zero
  | 'protocol'; // anything else ssh2 reported

const TRANSIENT: ReadonlySet<SshFailureKind> = new Set(['unreachable', 'timeout', 'connection-lost']);

/** One classified SSH failure. `transient` says whether trying again may help. */
export class SshError extends Error {
  readonly kind: SshFailureKind;
  readonly transient: boolean;
  /** `user@host:port` of the target, for messages. */
  readonly target: string;
  constructor(kind: SshFailureKind, message: string, target: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.kind = kind;
    this.transient = TRANSIENT.has(kind);
    this.target = target;
  }
}

/** The node's host key differs from the one pinned on first use: refused, never retried. */
export class HostKeyChangedError extends SshError {
  readonly host: string;
  readonly port: number;
  readonly expectedFingerprint: string;
  readonly actualFingerprint: string;
  constructor(target: string, host: string, port: number, expected: string, actual: string, nodeName?: string) {
    const trust = nodeName ? `aami nodes trust ${nodeName}` : `aami nodes trust <node>`;
    super(
      'host-key-changed',
      `host key of ${host}:${port} has changed (pinned ${expected}, offered ${actual}); refusing to connect. ` +
        `If the node was reinstalled, check the new key and accept it with: ${trust}`,
      target,
    );
    this.host = host;
    this.port = port;
    this.expectedFingerprint = expected;
    this.actualFingerprint = actual;
  }
}

/** The host key file a node keeps for a key type, for `ssh-keygen -lf` hints. */
function hostKeyFile(type: string): string {
  const name = type === 'ssh-ed25519' ? 'ed25519' : type === 'ssh-rsa' ? 'rsa' : type.startsWith('ecdsa-') ? 'ecdsa' : '*';
  return `/etc/ssh/ssh_host_${name}_key.pub`;
}

/**
 * ssh.host_keys is strict and the node has no pinned key: the first connection is refused, and
 * the message shows the offered fingerprint and how to pin it after checking it on the node.
 */
export class HostKeyUnknownError extends SshError {
  readonly host: string;
  readonly port: number;
  readonly offeredFingerprint: string;
  /** `nodeName` undefined with `jumpHost` true: the jump host, which is pinned by editing known_hosts. */
  constructor(target: string, host: string, port: number, offered: { type: string; fingerprint: string }, nodeName?: string, jumpHost = false) {
    const who = jumpHost ? `the jump host ${host}:${port}` : `node ${nodeName ?? `${host}:${port}`}${nodeName ? ` (${host}:${port})` : ''}`;
    const how = jumpHost
      ? 'add its key to the known_hosts file of the install worker (the jump host is not a node, so aami nodes trust does not pin it)'
      : `pin it with: aami nodes trust ${nodeName ?? '<node>'} --fingerprint ${offered.fingerprint}`;
    super(
      'host-key-unknown',
      `${who} has no pinned host key, and ssh.host_keys is "strict", so the connection was refused. ` +
        `It offers ${offered.type} ${offered.fingerprint}. Check that fingerprint on the node (ssh-keygen -lf ${hostKeyFile(offered.type)}), then ${how}`,
      target,
    );
    this.host = host;
    this.port = port;
    this.offeredFingerprint = offered.fingerprint;
  }
}

/** The node offered a key that an `@revoked` line of known_hosts lists: refused, never retried. */
export class HostKeyRevokedError extends SshError {
  readonly host: string;
  readonly port: number;
  readonly offeredFingerprint: string;
  constructor(target: string, host: string, port: number, offered: { type: string; fingerprint: string }, nodeName?: string) {
    super(
      'host-key-revoked',
      `host key of ${host}:${port} (${offered.type} ${offered.fingerprint}) is listed as @revoked in known_hosts; refusing to connect. ` +
        `The node needs a new host key; check it on the node, then accept it with: aami nodes trust ${nodeName ?? '<node>'}`,
      target,
    );
    this.host = host;
    this.port = port;
    this.offeredFingerprint = offered.fingerprint;
  }
}

/** A command exited non-zero; keeps its exit code and output for the reason shown to users. */
export class CommandFailedError extends SshError {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  constructor(target: string, command: string, code: number | null, stdout: string, stderr: string) {
    const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-5).join('\n');
    super('command-failed', `${command} exited with ${code ?? 'a signal'}${tail ? `: ${tail}` : ''}`, target);
    this.code = code;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

const SOCKET_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host down',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
};

/** Turns whatever ssh2 or the socket threw into an SshError with a kind and a readable message. */
export function classifySshError(err: unknown, target: string): SshError {
  if (err instanceof SshError) return err;
  const e = (err ?? {}) as { message?: string; code?: string; level?: string };
  const message = e.message ?? String(err);
  const code = e.code ?? '';
  if (code === 'ENOTFOUND') return new SshError('unreachable', `${target}: host name not found`, target, { cause: err });
  if (code in SOCKET_CODES) return new SshError('unreachable', `${target}: ${SOCKET_CODES[code]}`, target, { cause: err });
  if (e.level === 'client-authentication' || /All configured authentication methods failed/i.test(message)) {
    return new SshError('auth', `${target}: the node refused our SSH key (check ssh_user and ssh_key, and the node's authorized_keys)`, target, { cause: err });
  }
  if (e.level === 'client-timeout' || /Timed out while waiting for handshake/i.test(message)) {
    return new SshError('timeout', `${target}: no SSH handshake within the connect timeout`, target, { cause: err });
  }
  if (/Cannot parse privateKey|Encrypted private OpenSSH key detected|bad passphrase|Unsupported key format|no passphrase/i.test(message)) {
    return new SshError('key', `${target}: cannot use the private key: ${message} (set AAMI_SSH_KEY_PASSPHRASE for an encrypted key)`, target, { cause: err });
  }
  if (/Connection lost before handshake|Connection closed|Not connected|No response from server|socket hang up|Keepalive timeout/i.test(message) || e.level === 'client-socket') {
    return new SshError('unreachable', `${target}: ${message}`, target, { cause: err });
  }
  return new SshError('protocol', `${target}: ${message}`, target, { cause: err });
}
