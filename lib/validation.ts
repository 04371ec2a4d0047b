// zod's issues as the service reports them: each failing field with its message, and the same as one line.
import type { z } from 'zod';

export interface FieldProblem {
  field: string;
  message: string;
}

/** The failing fields of error; an issue at the root is named root. */
export function fieldProblems(error: z.ZodError, root = ''): FieldProblem[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || root, message: i.message }));
}

/** "field: message; field: message". */
export function describeProblems(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}
