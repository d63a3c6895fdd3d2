import { EventEmitter2 } from '@nestjs/event-emitter';
import { findHostEventEmitter } from './host-event-emitter';

const notFound = (request: string) =>
  Object.assign(new Error(`Cannot find module '${request}'\nRequire stack:\n- x.js`), { code: 'MODULE_NOT_FOUND' });

describe('findHostEventEmitter', () => {
  const emitter = new EventEmitter2();
  const withEmitter = { get: jest.fn(() => emitter) };

  it('returns the host EventEmitter2 when the package and EventEmitterModule are there', () => {
    expect(findHostEventEmitter(withEmitter as never)).toEqual({ emitter });
    expect(withEmitter.get).toHaveBeenCalledWith(EventEmitter2, { strict: false });
  });

  it('is null, "package_not_installed", when @nestjs/event-emitter itself cannot be found', () => {
    const load = () => {
      throw notFound('@nestjs/event-emitter');
    };
    expect(findHostEventEmitter(withEmitter as never, load)).toEqual({ emitter: null, reason: 'package_not_installed' });
  });

  it('rethrows when the package is installed but something it needs is missing', () => {
    const load = () => {
      throw notFound('eventemitter2');
    };
    expect(() => findHostEventEmitter(withEmitter as never, load)).toThrow("Cannot find module 'eventemitter2'");
  });

  it('is null, "module_not_imported", when no EventEmitter2 provider exists', () => {
    const none = {
      get: () => {
        throw new Error('Nest could not find EventEmitter2 element');
      },
    };
    expect(findHostEventEmitter(none as never)).toEqual({ emitter: null, reason: 'module_not_imported' });
  });
});
