// /api/v1/tokens and /api/v1/whoami on the gateway: API tokens for people and portals (only their
// hashes are stored, so a token is answered once, when it is made) and who the caller is.
import { z } from 'zod';

/** What a token may do: admin writes, viewer reads. */
export const Role = z.enum(['admin', 'viewer']);
export type Role = z.infer<typeof Role>;

/** POST /api/v1/tokens (admin): who or what will use the token, and its role (viewer by default). */
export const TokenRequest = z.strictObject({ name: z.string().min(1).max(100), role: Role.default('viewer') });

/** A token as listed: never its secret. */
export const TokenInfo = z.strictObject({ id: z.string(), name: z.string(), role: Role, created_at: z.string() });
export type TokenInfo = z.infer<typeof TokenInfo>;

/** GET /api/v1/tokens (admin) */
export const TokensListResponse = z.strictObject({ tokens: z.array(TokenInfo) });
export type TokensListResponse = z.infer<typeof TokensListResponse>;

/** POST /api/v1/tokens (201): the token itself, shown this once. */
export const TokenCreateResponse = TokenInfo.extend({ token: z.string(), note: z.string() });
export type TokenCreateResponse = z.infer<typeof TokenCreateResponse>;

/** GET /api/v1/whoami: name and role of the calling token (the UI shows read-only controls to a viewer). */
export const WhoamiResponse = z.strictObject({ name: z.string(), role: Role });
export type WhoamiResponse = z.infer<typeof WhoamiResponse>;
