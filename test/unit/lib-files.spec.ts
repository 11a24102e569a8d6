// One user-directory fallback for every node: Node-RED's own default (~/.node-red), never the
// working directory of whoever started the process.
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../../nodes/core/error-message';
import { inUserDir, nodeDataFile, userDirOf } from '../../nodes/lib/files';
import type { NodeAPI } from '../../nodes/lib/red';

const red = (settings: Record<string, unknown>): NodeAPI => ({ settings } as unknown as NodeAPI);

describe('nodes/lib files', () => {
  it('uses settings.userDir, else ~/.node-red (not the working directory)', () => {
    assert.equal(userDirOf(red({ userDir: '/srv/nr' })), '/srv/nr');
    assert.equal(userDirOf(red({})), path.join(os.homedir(), '.node-red'));
    assert.notEqual(inUserDir(red({}), 'specs.csv'), path.join(process.cwd(), 'specs.csv'));
  });

  it('resolves a file named in the editor against the user directory, absolute paths as given', () => {
    assert.equal(inUserDir(red({ userDir: '/srv/nr' }), 'specs/a.csv'), '/srv/nr/specs/a.csv');
    assert.equal(inUserDir(red({ userDir: '/srv/nr' }), '/etc/mw/a.csv'), '/etc/mw/a.csv');
    assert.equal(inUserDir(red({}), 'a.csv'), path.join(os.homedir(), '.node-red', 'a.csv'));
  });

  it('keeps node data files in <userDir>/millwright with a safe name', () => {
    assert.equal(nodeDataFile(red({ userDir: '/srv/nr' }), 'outbox', 'a/b:c'), '/srv/nr/millwright/outbox-a_b_c.db');
  });
});

describe('errorMessage', () => {
  it('says an Error by its message and anything else as text', () => {
    assert.equal(errorMessage(new TypeError('bad')), 'bad');
    assert.equal(errorMessage('plain'), 'plain');
    assert.equal(errorMessage(42), '42');
    assert.equal(errorMessage(undefined), 'undefined');
  });
});
