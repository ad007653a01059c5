import { describe, expect, it } from 'vitest';
import { BusConfigError, getBus, MemoryBus, MemoryHub, NullBus, readBusEnv, resolveSocketPath, UnixBus } from '../../src/bus/index.js';

describe('getBus reads the environment', () => {
  it('defaults to the unix transport on $DECNET_HOME/bus.sock', () => {
    const bus = getBus({ name: 't', env: { DECNET_HOME: '/tmp/decnet-home-test' } });
    expect(bus).toBeInstanceOf(UnixBus);
    expect((bus as UnixBus).socketPath).toBe('/tmp/decnet-home-test/bus.sock');
  });

  it('honours DECNET_BUS_SOCKET over DECNET_HOME', () => {
    expect(resolveSocketPath({ DECNET_BUS_SOCKET: '/tmp/x.sock', DECNET_HOME: '/nope' })).toBe('/tmp/x.sock');
  });

  it.each(['false', '0', 'no', 'OFF', 'False'])('DECNET_BUS_ENABLED=%s gives the null transport whatever the type', (v) => {
    expect(getBus({ name: 't', env: { DECNET_BUS_ENABLED: v, DECNET_BUS_TYPE: 'memory' } })).toBeInstanceOf(NullBus);
  });

  it('picks memory and null by DECNET_BUS_TYPE, case-insensitively', () => {
    const hub = new MemoryHub();
    expect(getBus({ name: 't', env: { DECNET_BUS_TYPE: 'Memory' }, hub })).toBeInstanceOf(MemoryBus);
    expect(getBus({ name: 't', env: { DECNET_BUS_TYPE: 'null' } })).toBeInstanceOf(NullBus);
  });

  it('fails with the variable and the accepted values on a bad transport', () => {
    expect(() => getBus({ name: 't', env: { DECNET_BUS_TYPE: 'kafka' } })).toThrow(BusConfigError);
    expect(() => getBus({ name: 't', env: { DECNET_BUS_TYPE: 'kafka' } })).toThrow('DECNET_BUS_TYPE: expected one of unix, memory, nats, null, got "kafka"');
  });

  it('fails clearly on bad booleans and integers', () => {
    expect(() => readBusEnv({ DECNET_BUS_ENABLED: 'maybe' })).toThrow(/DECNET_BUS_ENABLED: expected a boolean/);
    expect(() => readBusEnv({ DECNET_BUS_STRICT: '2' })).toThrow(/DECNET_BUS_STRICT/);
    expect(() => readBusEnv({ DECNET_BUS_OFFLINE_BUFFER: '-5' })).toThrow(/DECNET_BUS_OFFLINE_BUFFER: expected an integer between 0 and/);
    expect(() => readBusEnv({ DECNET_BUS_HELLO_TIMEOUT_MS: '1.5' })).toThrow(/DECNET_BUS_HELLO_TIMEOUT_MS/);
  });

  it('reads strict mode and passes it to the bus', async () => {
    const bus = getBus({ name: 't', env: { DECNET_BUS_TYPE: 'memory', DECNET_BUS_STRICT: '1' }, hub: new MemoryHub() });
    await expect(bus.publish('attacker.scored', { attacker_ip: 1 } as never)).rejects.toThrow(/schema/);
    const lenient = getBus({ name: 't', env: { DECNET_BUS_TYPE: 'memory', DECNET_BUS_STRICT: '0' }, hub: new MemoryHub() });
    await expect(lenient.publish('attacker.scored', { attacker_ip: 1 } as never)).resolves.toBeUndefined();
  });

  it('refuses a socket path the kernel would truncate', () => {
    expect(() => getBus({ name: 't', env: { DECNET_BUS_SOCKET: `/tmp/${'x'.repeat(120)}.sock` } })).toThrow(/limit is 107/);
  });
});
