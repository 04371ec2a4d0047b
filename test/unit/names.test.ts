import { isDnsLabel, isDnsSubdomain, labelValue, objectName, shortHash } from '../../lib/names.ts';

describe('objectName', () => {
  it('keeps a rendered name that is already a valid DNS label, so callers can compute it', () => {
    expect(objectName('pv-5c88a9ec5b6c2e3c4a3b2d1f-alice-default', ['5c88a9ec5b6c2e3c4a3b2d1f', 'alice', 'default'])).toBe(
      'pv-5c88a9ec5b6c2e3c4a3b2d1f-alice-default',
    );
  });

  it.each([
    ['a dot, as in john.doe', 'pvc-5c88a9ec5b6c2e3c4a3b2d1f-john.doe-default'],
    ['several dots', 'pvc-5c88a9ec5b6c2e3c4a3b2d1f-j.r.r.tolkien-default'],
    ['more than 63 characters', `pvc-5c88a9ec5b6c2e3c4a3b2d1f-${'a'.repeat(60)}-default`],
    ['exactly 253 characters', `pvc-${'a'.repeat(249)}`],
  ])('keeps a valid DNS-1123 subdomain with %s unchanged', (_what, rendered) => {
    expect(objectName(rendered, ['t', rendered, 'default'])).toBe(rendered);
  });

  it('escapes a dot where the rule is a DNS label (a Job name)', () => {
    const name = objectName('job-t-a.b', ['t', 'a.b'], 'label');
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
    const name = objectName(rendered, ['t', rendered, 'default']);
    expect(name.startsWith(start)).toBe(true);
    expect(name).toMatch(/-[a-z2-7]{10}$/);
    expect(isDnsLabel(name)).toBe(true);
    expect(isDnsSubdomain(name)).toBe(true);
  });

  it('cuts long invalid names to 63 characters and keeps them apart by their hash', () => {
    const a = objectName(`pv-t-${'A'.repeat(300)}-one`, ['t', `${'A'.repeat(300)}`, 'one']);
    const b = objectName(`pv-t-${'A'.repeat(300)}-two`, ['t', `${'A'.repeat(300)}`, 'two']);
    expect(a).toHaveLength(63);
    expect(b).toHaveLength(63);
    expect(a).not.toBe(b);
  });

  it('gives different escaped names to triples that render alike', () => {
    expect(objectName('pv-t-A-b-c', ['t', 'A-b', 'c'])).not.toBe(objectName('pv-t-A-b-c', ['t', 'A', 'b-c']));
  });

  it('is stable: the same input always gives the same name', () => {
    expect(objectName('pvc-t-Bob-default', ['t', 'Bob', 'default'])).toBe(objectName('pvc-t-Bob-default', ['t', 'Bob', 'default']));
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
});

describe('labelValue', () => {
  it('keeps a valid label value, upper case and dots included', () => {
    expect(labelValue('Alice.Smith_1')).toBe('Alice.Smith_1');
  });

  it('escapes what a label cannot hold', () => {
    expect(labelValue('alice smith')).toMatch(/^alice-smith-[a-z2-7]{10}$/);
    expect(labelValue('x'.repeat(64))).toHaveLength(63);
  });

  it('escapes alike with the same raw values as the name, so an escaped pv label equals the escaped name', () => {
    const values = ['t', 'Élodie M.', 'default'];
    expect(labelValue('pv-t-Élodie M.-default', values)).toBe(objectName('pv-t-Élodie M.-default', values));
  });
});
