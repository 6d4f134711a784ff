import { UserError } from './errors';

describe('UserError', () => {
  it('is an Error with its own name', () => {
    const error = new UserError('oops');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UserError');
    expect(error.message).toBe('oops');
  });
});
