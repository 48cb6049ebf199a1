// The schema of a duration in config ("10s", "1m30s", or a number of milliseconds), to milliseconds.
import { z } from 'zod';
import { DURATION_UNITS_TEXT, parseDuration } from './units.js';

export const duration = ({ zero = false } = {}) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || (ms === 0 && !zero)) {
      ctx.addIssue({ code: 'custom', message: `expected a ${zero ? '' : 'positive '}duration such as "10s" or "500ms" (${DURATION_UNITS_TEXT})` });
      return z.NEVER;
    }
    return ms;
  });
