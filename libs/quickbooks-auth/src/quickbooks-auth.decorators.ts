import { Inject } from '@nestjs/common';
import { QUICKBOOKS_AUTH_MODULE_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from './quickbooks-auth.constants';

/** Injects the options given to QuickBooksAuthModule.forRoot/forRootAsync. */
export const InjectQuickBooksAuthOptions = () => Inject(QUICKBOOKS_AUTH_MODULE_OPTIONS);

/** Injects the TokenStorage backend in use (maintenance jobs, custom reports). */
export const InjectTokenStorage = () => Inject(QUICKBOOKS_TOKEN_STORAGE);
