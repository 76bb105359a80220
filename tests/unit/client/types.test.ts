/**
 * The package spells out its types so that its declarations stand alone; these checks keep each one
 * exactly the type the service validates against. `npx tsc --noEmit` fails on any drift.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Booking, Context, Patch, Session, Source, UserExport } from '../../../lib/client/index.ts';
import type { Booking as ServiceBooking, Context as ServiceContext } from '../../../lib/session/schema.ts';
import { patchSchema, type SessionPatch, type SOURCES } from '../../../lib/session/schema.ts';
import type * as model from '../../../lib/session/session.ts';

describe('the types of @session-service/client', () => {
  it('are exactly the service’s Session, Booking, Context, Source, patch and export', () => {
    expectTypeOf<Session>().toEqualTypeOf<model.Session>();
    expectTypeOf<Booking>().toEqualTypeOf<ServiceBooking>();
    expectTypeOf<Context>().toEqualTypeOf<ServiceContext>();
    expectTypeOf<Patch>().toEqualTypeOf<SessionPatch>();
    expectTypeOf<Source>().toEqualTypeOf<(typeof SOURCES)[number]>();
    expectTypeOf<UserExport>().toEqualTypeOf<model.UserExport>();
  });

  it('describe a patch the schema accepts, with every field set or removed', () => {
    const patch: Patch = {
      step: 'pick_time',
      booking: { date: '2026-12-03', time: '14:30', partySize: 2, notes: null },
      context: { lastIntent: 'book', removed: null },
    };

    expect(patchSchema.safeParse(patch).success).toBe(true);
    expect(patchSchema.safeParse({ step: null, booking: null, context: null } satisfies Patch).success).toBe(
      true,
    );
  });
});
