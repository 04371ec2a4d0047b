// The seeds' `{}` holes, filled in order as Python's str.format filled them.
import { TemplateError } from '../errors.ts';

/** Replaces each `{}` of template, left to right, with the next value; extra values are ignored, as in Python. */
export function fillHoles(template: unknown, values: readonly string[], field: string): string {
  if (typeof template !== 'string') {
    throw new TemplateError(`The template's ${field} must be a string with {} holes.`, { code: 'TEMPLATE_INVALID' });
  }
  let next = 0;
  const filled = template.replace(/\{\}/g, () => {
    if (next >= values.length) {
      throw new TemplateError(`The template's ${field} has more {} holes than the ${values.length} values it takes.`, {
        code: 'TEMPLATE_INVALID',
      });
    }
    return values[next++]!;
  });
  return filled;
}
