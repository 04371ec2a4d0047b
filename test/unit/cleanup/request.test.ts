import { parseCleanupEvent } from '../../../lib/cleanup/request.ts';
import { BadRequestError } from '../../../lib/errors.ts';

describe('parseCleanupEvent', () => {
  it("reads the schedule's EventBridge event as a scheduled run", () => {
    expect(parseCleanupEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} })).toEqual({
      action: 'scheduled',
      dryRun: false,
    });
  });

  it("reads the tenant service's TenantRemoved event", () => {
    expect(
      parseCleanupEvent({
        'detail-type': 'TenantRemoved',
        source: 'moop.tenants',
        detail: { tenant: '5c88a9ec5b6c2e3c4a3b2d1a' },
      }),
    ).toEqual({
      action: 'tenant-removed',
      tenant: '5c88a9ec5b6c2e3c4a3b2d1a',
      dryRun: false,
      force: false,
    });
  });

  it('reads a TenantRemoved event as a tenant removal, never forced, whatever else its detail holds', () => {
    const detail = {
      tenant: '5c88a9ec5b6c2e3c4a3b2d1a',
      action: 'scheduled',
      force: true,
      pvPolicy: 'delete',
      retentionSeconds: 0,
    };
    expect(parseCleanupEvent({ 'detail-type': 'TenantRemoved', source: 'moop.tenants', detail })).toEqual({
      action: 'tenant-removed',
      tenant: '5c88a9ec5b6c2e3c4a3b2d1a',
      dryRun: false,
      force: false,
    });
  });

  it("reads the schedule's event as a plain scheduled run, whatever its detail holds", () => {
    const detail = {
      action: 'tenant-removed',
      tenant: '5c88a9ec5b6c2e3c4a3b2d1a',
      force: true,
      pvPolicy: 'delete',
      retentionSeconds: 0,
    };
    expect(parseCleanupEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail })).toEqual({
      action: 'scheduled',
      dryRun: false,
    });
  });

  it('reads direct invocations with their overrides', () => {
    expect(parseCleanupEvent({ action: 'scheduled', dryRun: true, pvPolicy: 'delete', retentionSeconds: 0 })).toEqual({
      action: 'scheduled',
      dryRun: true,
      pvPolicy: 'delete',
      retentionSeconds: 0,
    });
  });

  it.each([
    [{}, /^Invalid cleanup event: action: /],
    [{ action: 'tenant-removed' }, /tenant: Invalid input: expected string/],
    [{ action: 'tenant-removed', tenant: '../x' }, /tenant: must be a MOOP tenant id/],
    [{ action: 'scheduled', pvPolicy: 'shred' }, /pvPolicy: Invalid option/],
    [{ action: 'scheduled', everything: true }, /Unrecognized key: "everything"/],
    [{ 'detail-type': 'TenantRemoved', detail: {} }, /tenant: Invalid input/],
    [null, /^Invalid cleanup event/],
  ])('refuses %j', (event, message) => {
    expect(() => parseCleanupEvent(event)).toThrow(BadRequestError);
    expect(() => parseCleanupEvent(event)).toThrow(message);
  });
});
