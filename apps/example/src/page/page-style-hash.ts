import { createHash } from 'node:crypto';
import { PAGE_CSS } from './page.styles';

/** CSP source for the page's one inline stylesheet: allows exactly that text, not 'unsafe-inline'. */
export const PAGE_STYLE_SOURCE = `'sha256-${createHash('sha256').update(PAGE_CSS, 'utf8').digest('base64')}'`;
