#!/usr/bin/env node
// The `logflow` command. TypeScript runs through tsx, resolved from this file so the command works
// from any directory.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
