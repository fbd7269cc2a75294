// Versioned migrations, applied in order at start-up under a lock (migrate.ts). One list for both
// databases: a migration is written once, with the dialect's column types where they differ.
// Version 1 is the initial schema, kept as the two SQL files it shipped as (databases in the field
// were created from them); later versions are code.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Conn, Database } from '../database.ts';
import { perApplicationEvents } from './0002-per-application-events.ts';
import { formsApart } from './0003-forms-apart.ts';
import { openClocksIndex } from './0004-open-clocks-index.ts';
import { identity } from './0005-identity.ts';
import { portal } from './0006-portal.ts';
import { opsConsole } from './0007-ops-console.ts';
import { notificationEffects } from './0008-notification-effects.ts';
import { openClockStats } from './0009-open-clock-stats.ts';

export interface Migration {
  version: number;
  name: string;
  up(conn: Conn, database: Database): Promise<void>;
}

const initial: Migration = {
  version: 1,
  name: 'init',
  async up(conn, database) {
    const file = fileURLToPath(new URL(`./${database.dialect.kind}/0001_init.sql`, import.meta.url));
    await database.execScript(conn, readFileSync(file, 'utf8'));
  },
};

export const MIGRATIONS: readonly Migration[] = [initial, perApplicationEvents, formsApart, openClocksIndex, identity, portal, opsConsole, notificationEffects, openClockStats];
