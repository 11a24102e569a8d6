#!/usr/bin/env node
'use strict';
const fs = require('node:fs');
const path = require('node:path');
for (const d of ['dist', 'resources', '.demo', '.bench']) fs.rmSync(path.join(__dirname, '..', d), { recursive: true, force: true });
