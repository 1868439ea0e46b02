// The JS API's promise of clear errors, as one assertion: the promise rejects with a MosaicError (the
// class the test loaded from the build under test) carrying `code` and a message that says something.
import assert from 'node:assert/strict';

export async function rejectsWithMosaicError(promise, code, MosaicError) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof MosaicError, `a MosaicError, not ${error}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.length > 0);
    return true;
  });
}
