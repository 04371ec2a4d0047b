import { TemplateError } from '../../../lib/errors.ts';
import { fillHoles } from '../../../lib/templates/fill.ts';

describe('fillHoles', () => {
  it('fills holes left to right', () => {
    expect(fillHoles('pv-{}-{}-{}', ['t', 'u', 'g'], 'name')).toBe('pv-t-u-g');
  });

  it('ignores extra values, as str.format did', () => {
    expect(fillHoles('{}{}', ['/prefix/', 'path', 'extra'], 'path')).toBe('/prefix/path');
  });

  it('inserts values literally, holes inside them included', () => {
    expect(fillHoles('a-{}-{}', ['{}', 'b'], 'name')).toBe('a-{}-b');
  });

  it('refuses a template with more holes than values', () => {
    expect(() => fillHoles('{}-{}-{}', ['a'], 'pv metadata.name')).toThrow(
      new TemplateError("The template's pv metadata.name has more {} holes than the 1 values it takes.", {
        code: 'TEMPLATE_INVALID',
      }),
    );
  });

  it('refuses a field that is not a string', () => {
    expect(() => fillHoles(42, ['a'], 'pv spec.nfs.path')).toThrow(/pv spec.nfs.path must be a string/);
  });
});
