#!/usr/bin/env node
// The `quickbooks-auth` command (package.json `bin`): quickbooks-auth migrate | reencrypt | status.
import 'reflect-metadata';
import { runQuickBooksAuthCli } from './run-cli';

void runQuickBooksAuthCli(process.argv.slice(2)).then((code) => process.exit(code));
