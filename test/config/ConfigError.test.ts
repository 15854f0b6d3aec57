import { expect } from 'chai';
import { ConfigError } from '../../src/config/ConfigError.js';

describe('ConfigError', () => {
  it('should carry every message and list them in its own message', () => {
    const messages = ['flag --cores: `cores` must be an integer >= 1, got "two"', 'config file a.json: unknown field `hots`'];
    const error = new ConfigError(messages);
    messages.push('added later');
    expect(error).to.be.instanceOf(Error);
    expect(error.name).to.equal('ConfigError');
    expect(error.errors).to.deep.equal(messages.slice(0, 2));
    expect(Object.isFrozen(error.errors)).to.equal(true);
    expect(error.message).to.equal(
      'Invalid configuration:\n  - flag --cores: `cores` must be an integer >= 1, got "two"\n  - config file a.json: unknown field `hots`',
    );
  });
});
