import { isDnsLabel, isDnsSubdomain, labelValue, objectName, shortHash } from '../../../lib/kube/names.ts';

const key = 'a-test-name-key-of-some-length';

describe('objectName', () => {
  it('keeps a rendered name that is already a valid DNS label, so callers can compute it', () => {
    expect(
      objectName(
        'pv-5c88a9ec5b6c2e3c4a3b2d1f-alice-default',
        ['5c88a9ec5b6c2e3c4a3b2d1f', 'alice', 'default'],
        'subdomain',
        key,
      ),
    ).toBe('pv-5c88a9ec5b6c2e3c4a3b2d1f-alice-default');
  });

  it.each([
    ['a dot, as in john.doe', 'pvc-5c88a9ec5b6c2e3c4a3b2d1f-john.doe-default'],
    ['several dots', 'pvc-5c88a9ec5b6c2e3c4a3b2d1f-j.r.r.tolkien-default'],
    ['more than 63 characters', `pvc-5c88a9ec5b6c2e3c4a3b2d1f-${'a'.repeat(60)}-default`],
    ['exactly 253 characters', `pvc-${'a'.repeat(249)}`],
  ])('keeps a valid DNS-1123 subdomain with %s unchanged', (_what, rendered) => {
    expect(objectName(rendered, ['t', rendered, 'default'], 'subdomain', key)).toBe(rendered);
  });

  it('escapes a dot where the rule is a DNS label (a Job name)', () => {
    const name = objectName('job-t-a.b', ['t', 'a.b'], 'label', key);
    expect(name).toMatch(/^job-t-a-b-[a-z2-7]{10}$/);
  });

  it.each([
    ['upper case', 'pv-t-Alice-default', 'pv-t-alice-default-'],
    ['an underscore', 'pv-t-al_ice-default', 'pv-t-al-ice-default-'],
    ['a dot at the start of a segment', 'pv-t-.alice-default', 'pv-t-alice-default-'],
    ['a space', 'pv-t-al ice-default', 'pv-t-al-ice-default-'],
    ['accents', 'pv-t-élodie-default', 'pv-t-elodie-default-'],
    ['a script without Latin letters', 'pv-t-王-default', 'pv-t-default-'],
  ])('escapes a name with %s into a readable DNS label with a hash', (_what, rendered, start) => {
    const name = objectName(rendered, ['t', rendered, 'default'], 'subdomain', key);
    expect(name.startsWith(start)).toBe(true);
    expect(name).toMatch(/-[a-z2-7]{10}$/);
    expect(isDnsLabel(name)).toBe(true);
    expect(isDnsSubdomain(name)).toBe(true);
  });

  it('cuts long invalid names to 63 characters and keeps them apart by their hash', () => {
    const a = objectName(`pv-t-${'A'.repeat(300)}-one`, ['t', `${'A'.repeat(300)}`, 'one'], 'subdomain', key);
    const b = objectName(`pv-t-${'A'.repeat(300)}-two`, ['t', `${'A'.repeat(300)}`, 'two'], 'subdomain', key);
    expect(a).toHaveLength(63);
    expect(b).toHaveLength(63);
    expect(a).not.toBe(b);
  });

  it('gives different escaped names to triples that render alike', () => {
    expect(objectName('pv-t-A-b-c', ['t', 'A-b', 'c'], 'subdomain', key)).not.toBe(
      objectName('pv-t-A-b-c', ['t', 'A', 'b-c'], 'subdomain', key),
    );
  });

  it('is stable: the same input always gives the same name', () => {
    expect(objectName('pvc-t-Bob-default', ['t', 'Bob', 'default'], 'subdomain', key)).toBe(
      objectName('pvc-t-Bob-default', ['t', 'Bob', 'default'], 'subdomain', key),
    );
  });

  it('ends an escaped name in a hash keyed with NAME_KEY, which nobody without the key can compute', () => {
    const values = ['t', 'Élodie Ü.', 'default'];
    const [mine, another] = [
      objectName('pv-t-Élodie Ü.-default', values, 'subdomain', key),
      objectName('pv-t-Élodie Ü.-default', values, 'subdomain', 'another-key-of-enough-length'),
    ];
    const legacy = objectName('pv-t-Élodie Ü.-default', values, 'subdomain', { legacy: true });
    expect(mine).toMatch(/^pv-t-elodie-u-default-[a-z2-7]{10}$/);
    expect(new Set([mine, another, legacy]).size).toBe(3);
    // The name before the key: the plain SHA-256 anyone could compute, still recognised for what it made.
    expect(legacy).toBe(`pv-t-elodie-u-default-${shortHash(values)}`);
  });
});

describe('shortHash', () => {
  it('is lower-case base32 of the given length', () => {
    expect(shortHash(['a'])).toMatch(/^[a-z2-7]{10}$/);
    expect(shortHash(['a'], 5)).toHaveLength(5);
  });

  it('joins values unambiguously', () => {
    expect(shortHash(['a-b', 'c'])).not.toBe(shortHash(['a', 'b-c']));
  });

  it('is an HMAC with a key', () => {
    expect(shortHash(['a'], 10, key)).not.toBe(shortHash(['a']));
    expect(shortHash(['a'], 10, key)).toBe(shortHash(['a'], 10, key));
  });
});

describe('labelValue', () => {
  it('keeps a valid label value, upper case and dots included', () => {
    expect(labelValue('Alice.Smith_1')).toBe('Alice.Smith_1');
  });

  it('escapes what a label cannot hold', () => {
    expect(labelValue('alice smith')).toMatch(/^alice-smith-[a-z2-7]{10}$/);
    expect(labelValue('x'.repeat(64))).toHaveLength(63);
  });

  it('escapes with the plain hash of the raw values: labels select, they name nothing', () => {
    const values = ['t', 'Élodie M.', 'default'];
    expect(labelValue('pv-t-Élodie M.-default', values)).toBe(
      objectName('pv-t-Élodie M.-default', values, 'label', { legacy: true }),
    );
  });
});
