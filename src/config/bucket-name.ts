// A bucket name the config accepts: valid on AWS too (lowercase, digits, dots, hyphens; 3-63).
import { z } from 'zod';

export const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name');
