package dev.fastchat.app;

import dev.fastchat.protocol.ProtocolVersion;
import dev.fastchat.server.FastChatServer;
import picocli.CommandLine.IVersionProvider;

/** {@code fastchat --version}. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"fastchat " + FastChatServer.VERSION + " (protocol " + ProtocolVersion.CURRENT + ", Java "
                + Runtime.version() + ")"};
    }
}
