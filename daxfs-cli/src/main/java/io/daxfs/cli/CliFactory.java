package io.daxfs.cli;

import picocli.CommandLine;
import picocli.CommandLine.IFactory;

import java.lang.reflect.Constructor;

/**
 * Creates command objects for picocli, handing the {@link CliEnv} to those that take it, so
 * commands never reach for System.out or System.console() themselves and tests can run them
 * against in-memory streams.
 */
final class CliFactory implements IFactory {
    private final CliEnv env;

    CliFactory(CliEnv env) {
        this.env = env;
    }

    @Override
    public <K> K create(Class<K> cls) throws Exception {
        for (Constructor<?> c : cls.getDeclaredConstructors()) {
            if (c.getParameterCount() == 1 && c.getParameterTypes()[0] == CliEnv.class) {
                c.setAccessible(true);
                return cls.cast(c.newInstance(env));
            }
        }
        return CommandLine.defaultFactory().create(cls);
    }
}
