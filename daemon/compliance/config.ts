/** The `compliance` section of ocsec.json: owners and due dates per check and risk, backup locations to verify, and the violation notifier. */
import { z } from 'zod';
import { CHECK_IDS, RISKS } from './check-ids.js';

const absolutePath = z.string().min(2).max(1024).startsWith('/', 'must be an absolute path').refine((p) => !p.includes('\0'), 'must not contain NUL');
const checkId = z.enum(CHECK_IDS);
const risk = z.enum(RISKS);
const owner = z.string().min(1).max(200);
const days = z.number().int().min(0).max(3650);
const argvWord = z.string().min(1).max(4096).refine((w) => !w.includes('\0'), 'must not contain NUL');

export const complianceConfigSchema = z
  .strictObject({
    /** metadata.system of openclaw-assessment.json, as the reference names it. */
    system: z.string().min(1).max(200).default('OpenClaw'),
    /** Owner of a check's findings; else owners_by_risk; else the catalog's default owner. */
    owners: z.partialRecord(checkId, owner).default({}),
    owners_by_risk: z.partialRecord(risk, owner).default({}),
    /** Days from the first run that found an item until it is due, by risk (due_days_by_check wins). */
    due_days: z
      .strictObject({
        critical: days.default(3),
        high: days.default(7),
        medium: days.default(14),
        low: days.default(30),
      })
      .prefault({}),
    due_days_by_check: z.partialRecord(checkId, days).default({}),
    /** Runs kept in the database for the trend (hourly runs: 90 days). */
    history_runs: z.number().int().min(10).max(100_000).default(2160),
    /** Where backups of the state directory land, so backup_configured can check that the newest one is recent. */
    backup: z
      .strictObject({
        paths: z.array(absolutePath).max(32).default([]),
        max_age_hours: z.number().int().min(1).max(24 * 365).default(48),
      })
      .prefault({}),
    /**
     * The notifier for new, escalated and resolved findings. OPENCLAW_VIOLATION_NOTIFY_CMD and
     * OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST in ocsecd's environment take precedence over these.
     */
    notify: z
      .strictObject({
        /** argv of the notifier: an absolute path and its arguments; it reads the message on stdin. */
        command: z.array(argvWord).min(1).max(64).nullable().default(null),
        /** Exact argv arrays allowed to run, or absolute paths (any arguments). */
        allowlist: z.array(z.union([absolutePath, z.array(argvWord).min(1).max(64)])).max(64).default([]),
        /** The message on stdin: readable text, or one JSON document. */
        format: z.enum(['text', 'json']).default('text'),
        /** Also notify when a check becomes partial (not only violations). */
        on_partial: z.boolean().default(true),
        /** Also notify when the network monitor adds or removes a finding. */
        network: z.boolean().default(true),
      })
      .prefault({}),
  })
  .prefault({});

export type ComplianceConfig = z.output<typeof complianceConfigSchema>;
