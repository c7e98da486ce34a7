// The co-host table, and the one question another module asks of it.
import type { Db } from '../../adapters/db/index.ts';
import type { CohostLayout } from '../../adapters/media/mixer.ts';

export type CohostStatus = 'invited' | 'accepted' | 'declined' | 'ended';

export interface LiveCohostsTable {
  id: string;
  live_session_id: string;
  invited_by: string;
  guest_user_id: string;
  guest_shop_id: string | null;
  layout: CohostLayout;
  status: CohostStatus;
  token_hash: string | null;
  created_at: Date;
  accepted_at: Date | null;
  ended_at: Date | null;
  end_reason: string | null;
}

/** Whether `shopId` came as an accepted co-host's shop into the session: its staff may pin its products there. */
export async function cohostShopIn(db: Db, sessionId: string, shopId: string): Promise<boolean> {
  const row = await db
    .withTables<{ live_cohosts: LiveCohostsTable }>()
    .selectFrom('live_cohosts')
    .select('id')
    .where('live_session_id', '=', sessionId)
    .where('guest_shop_id', '=', shopId)
    .where('status', '=', 'accepted')
    .executeTakeFirst();
  return row !== undefined;
}
