// The name of a target or a replication: a label value and part of key prefixes.
import { z } from 'zod';

export const configName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, '1-64 characters of letters, digits, "_", ".", ":", "-"');
