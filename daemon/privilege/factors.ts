/** Approval factors: an scrypt-hashed token and a TOTP secret, with a growing lockout after repeated failures. */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import type { AuditTrail, Actor } from '../audit/trail.js';
import type { Clock } from '../clock.js';
import { RpcError } from '../errors.js';
import type { Db } from '../store/db.js';

export const MAX_FAILURES = 5;
const BASE_LOCKOUT_MS = 60_000;
const MAX_LOCKOUT_MS = 60 * 60_000;
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, keyLength: 32 };

interface FactorRow {
  token_hash: string | null;
  totp_secret: string | null;
  totp_pending_secret: string | null;
  totp_last_step: number | null;
  failures: number;
  lockouts: number;
  locked_until: string | null;
}

export function hashToken(token: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(token, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function isTokenMatch(token: string, stored: string): boolean {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(token, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

function isEqualConstantTime(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  // Compare equal-length buffers so the time does not reveal where they differ; length still differs in time.
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function totpFor(secretBase32: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: 'ocsec', label: 'approvals', algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(secretBase32) });
}

export class ApprovalFactors {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
    /** OPENCLAW_APPROVAL_TOKEN from the daemon's environment: accepted for compatibility when no token is stored. */
    private readonly envToken: string | undefined,
  ) {}

  private row(): FactorRow {
    return this.db.prepare('SELECT * FROM approval_factors WHERE id = 1').get() as FactorRow;
  }

  configured(): Array<'token' | 'totp'> {
    const row = this.row();
    const out: Array<'token' | 'totp'> = [];
    if (row.token_hash || this.envToken) out.push('token');
    if (row.totp_secret) out.push('totp');
    return out;
  }

  status() {
    const row = this.row();
    const locked = row.locked_until && Date.parse(row.locked_until) > this.clock.now() ? row.locked_until : null;
    return {
      token: row.token_hash !== null || this.envToken !== undefined,
      tokenFromEnv: row.token_hash === null && this.envToken !== undefined,
      totp: row.totp_secret !== null,
      totpPending: row.totp_pending_secret !== null,
      lockedUntil: locked,
      failures: row.failures,
    };
  }

  /** Whether the factor matches; a TOTP code also returns its time step, which may be used only once. */
  private matches(row: FactorRow, presented: string): { ok: boolean; totpStep?: number } {
    if (row.token_hash && isTokenMatch(presented, row.token_hash)) return { ok: true };
    if (!row.token_hash && this.envToken && isEqualConstantTime(presented, this.envToken)) return { ok: true };
    if (row.totp_secret && /^\d{6}$/.test(presented)) {
      const now = this.clock.now();
      const delta = totpFor(row.totp_secret).validate({ token: presented, timestamp: now, window: 1 });
      if (delta === null) return { ok: false };
      const step = Math.floor(now / 30_000) + delta;
      // A code seen once (by us, or by whoever watched it being typed) is spent.
      return row.totp_last_step !== null && step <= row.totp_last_step ? { ok: false } : { ok: true, totpStep: step };
    }
    return { ok: false };
  }

  /**
   * Checks the presented factor when any is configured. A failure is audited (and counted toward a
   * lockout) in its own committed transaction before the error is thrown, so refusals are never lost.
   */
  verify(presented: string | undefined, actor: Actor, context: Record<string, unknown>): 'none' | 'ok' {
    if (this.configured().length === 0) return 'none';
    const row = this.row();
    const now = this.clock.now();
    if (row.locked_until && Date.parse(row.locked_until) > now) {
      this.audit.append({ action: 'approval_locked_out', actor, subject: 'approval-factor', data: { ...context, locked_until: row.locked_until } });
      throw new RpcError('FactorLocked', `approvals are locked until ${row.locked_until} after ${MAX_FAILURES} failed factor attempts`);
    }
    const match = presented === undefined ? { ok: false } : this.matches(row, presented);
    if (match.ok) {
      this.audit.transact((record) => {
        this.db.prepare('UPDATE approval_factors SET failures = 0, lockouts = 0, locked_until = NULL, totp_last_step = coalesce(?, totp_last_step) WHERE id = 1').run(match.totpStep ?? null);
        record({ action: 'approval_token_ok', actor, subject: 'approval-factor', data: context });
      });
      return 'ok';
    }
    let lockedUntil: string | null = null;
    this.audit.transact((record) => {
      const failures = row.failures + 1;
      if (failures >= MAX_FAILURES) {
        const ms = Math.min(MAX_LOCKOUT_MS, BASE_LOCKOUT_MS * 2 ** row.lockouts);
        lockedUntil = new Date(now + ms).toISOString();
        this.db.prepare('UPDATE approval_factors SET failures = 0, lockouts = lockouts + 1, locked_until = ? WHERE id = 1').run(lockedUntil);
      } else {
        this.db.prepare('UPDATE approval_factors SET failures = ? WHERE id = 1').run(failures);
      }
      record({ action: 'approval_token_failed', actor, subject: 'approval-factor', data: { ...context, failures, missing: presented === undefined } });
      if (lockedUntil) record({ action: 'approval_lockout', actor, subject: 'approval-factor', data: { ...context, locked_until: lockedUntil } });
    });
    if (lockedUntil) throw new RpcError('FactorLocked', `too many failed attempts: approvals are locked until ${lockedUntil}`);
    throw new RpcError('FactorInvalid', presented === undefined ? 'an approval token or TOTP code is required' : 'the approval token or TOTP code is wrong');
  }

  /** Changing or removing a factor needs the current one, or an agent could replace it with one it knows. */
  private requireCurrent(current: string | undefined, actor: Actor, what: string): void {
    this.verify(current, actor, { change: what });
  }

  setToken(token: string, current: string | undefined, actor: Actor): void {
    this.requireCurrent(current, actor, 'token.set');
    const hash = hashToken(token);
    this.audit.transact((record) => {
      this.db.prepare('UPDATE approval_factors SET token_hash = ? WHERE id = 1').run(hash);
      record({ action: 'approval_factor_changed', actor, subject: 'approval-factor', data: { factor: 'token', change: 'set' } });
    });
  }

  clearToken(current: string, actor: Actor): void {
    this.requireCurrent(current, actor, 'token.clear');
    this.audit.transact((record) => {
      this.db.prepare('UPDATE approval_factors SET token_hash = NULL WHERE id = 1').run();
      record({ action: 'approval_factor_changed', actor, subject: 'approval-factor', data: { factor: 'token', change: 'cleared' } });
    });
  }

  enrollTotp(current: string | undefined, actor: Actor): { uri: string; secret: string } {
    this.requireCurrent(current, actor, 'totp.enroll');
    const secret = new OTPAuth.Secret({ size: 20 }).base32;
    this.audit.transact((record) => {
      this.db.prepare('UPDATE approval_factors SET totp_pending_secret = ? WHERE id = 1').run(secret);
      record({ action: 'approval_factor_changed', actor, subject: 'approval-factor', data: { factor: 'totp', change: 'enrollment-started' } });
    });
    return { uri: totpFor(secret).toString(), secret };
  }

  confirmTotp(code: string, actor: Actor): void {
    const row = this.row();
    if (!row.totp_pending_secret) throw new RpcError('RequestNotFound', 'no TOTP enrollment is pending; run `ocsecctl totp enroll` first');
    if (totpFor(row.totp_pending_secret).validate({ token: code, timestamp: this.clock.now(), window: 1 }) === null) {
      throw new RpcError('FactorInvalid', 'that code does not match the enrolled secret; check the authenticator clock and try the next code');
    }
    this.audit.transact((record) => {
      this.db.prepare('UPDATE approval_factors SET totp_secret = totp_pending_secret, totp_pending_secret = NULL WHERE id = 1').run();
      record({ action: 'approval_factor_changed', actor, subject: 'approval-factor', data: { factor: 'totp', change: 'enrolled' } });
    });
  }

  clearTotp(current: string, actor: Actor): void {
    this.requireCurrent(current, actor, 'totp.clear');
    this.audit.transact((record) => {
      this.db.prepare('UPDATE approval_factors SET totp_secret = NULL, totp_pending_secret = NULL WHERE id = 1').run();
      record({ action: 'approval_factor_changed', actor, subject: 'approval-factor', data: { factor: 'totp', change: 'cleared' } });
    });
  }
}
