package dev.fastchat.server.transport;

import dev.fastchat.protocol.Envelopes;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.config.HostAndPort;
import dev.fastchat.server.config.ServerConfig;
import dev.fastchat.server.config.TlsConfig;
import dev.fastchat.server.session.RequestDispatcher;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-facing TCP listener: epoll where available, NIO otherwise; TLS when configured. With the web client on,
 * the same port serves browsers too (HTTPS and a WebSocket), and {@code web-listen} adds a second address.
 */
public final class TcpTransport implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcpTransport.class);

    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ChannelGroup channels;
    private final List<Channel> serverChannels;
    private final FastChatServerInitializer initializer;

    private TcpTransport(EventLoopGroup bossGroup, EventLoopGroup workerGroup, ChannelGroup channels, List<Channel> serverChannels,
                         FastChatServerInitializer initializer) {
        this.bossGroup = bossGroup;
        this.workerGroup = workerGroup;
        this.channels = channels;
        this.serverChannels = serverChannels;
        this.initializer = initializer;
    }

    /**
     * Binds the listen address and starts accepting.
     *
     * @throws IOException if the address cannot be bound (in use, not local) or the TLS files are unusable
     */
    public static TcpTransport start(ServerConfig config, RequestDispatcher dispatcher) throws IOException {
        List<HostAndPort> addresses = new ArrayList<>(List.of(config.listen()));
        config.web().extraListen().filter(extra -> config.web().enabled()).ifPresent(addresses::add);
        Optional<SslContext> tls = config.tls().isPresent() ? Optional.of(sslContext(config.tls().get(), addresses)) : Optional.empty();
        if (tls.isEmpty()) {
            log.warn("serving plain TCP without TLS (insecure-plaintext): anyone on the network can read the auth keys and"
                    + " pose as this server");
        }
        boolean epoll = Epoll.isAvailable();
        var factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, factory);
        // One event loop per core by default (Netty's own default is two): nothing blocks on them, and at 3,000-5,000
        // msgs/s on 2 cores the loops cost 10-20 % less CPU per message and the p99 at 5,000/s fell by half (docs/performance.md).
        int ioThreads = config.ioThreads() > 0 ? config.ioThreads() : Runtime.getRuntime().availableProcessors();
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(ioThreads, factory);
        try {
            DefaultChannelGroup channels = new DefaultChannelGroup("fastchat-clients", GlobalEventExecutor.INSTANCE);
            Optional<WebContent> web = Optional.empty();
            if (config.web().enabled()) {
                web = Optional.of(new WebContent(TcpTransport.class.getClassLoader()));
                if (!web.get().available()) {
                    log.warn("this build has no web client (the web module was not built): browsers get a page that says so");
                }
            }
            FastChatServerInitializer initializer = new FastChatServerInitializer(tls, config.limits(), dispatcher, channels, web);
            ServerBootstrap bootstrap = new ServerBootstrap();
            if (config.limits().socketSendBufferBytes() > 0) {
                bootstrap.childOption(ChannelOption.SO_SNDBUF, config.limits().socketSendBufferBytes());
            }
            bootstrap
                    .group(boss, workers)
                    .channel(channelType)
                    .option(ChannelOption.SO_BACKLOG, 4096) // the kernel caps it (net.core.somaxconn): room for bursts of connections
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    // Unpooled: a buffer's memory goes back as soon as it is sent. Pooled chunks stay held while
                    // any buffer in them waits for a client that does not read, which under attack multiplied
                    // the memory behind the queued replies several times over.
                    .childOption(ChannelOption.ALLOCATOR, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                            config.limits().writeBufferLowBytes(), config.limits().writeBufferHighBytes()))
                    .childHandler(initializer);
            List<Channel> servers = new ArrayList<>();
            try {
                for (HostAndPort address : addresses) {
                    servers.add(bootstrap.bind(new InetSocketAddress(address.host(), address.port())).syncUninterruptibly().channel());
                }
            } catch (RuntimeException e) {
                servers.forEach(server -> server.close().syncUninterruptibly());
                throw e;
            }
            TcpTransport transport = new TcpTransport(boss, workers, channels, List.copyOf(servers), initializer);
            log.info("listening on {} ({}{}{})", transport.address(), epoll ? "epoll" : "nio", tls.isPresent() ? ", TLS" : "",
                    web.isPresent() ? ", web client at " + (tls.isPresent() ? "https" : "http") + "://" + transport.address() + "/" : "");
            if (servers.size() > 1) {
                log.info("also serving the web client and native clients on {}", transport.webAddress().orElseThrow());
            }
            return transport;
        } catch (RuntimeException e) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("cannot listen on " + config.listen() + ": " + e.getMessage(), e);
        }
    }

    private static SslContext sslContext(TlsConfig tls, List<HostAndPort> addresses) throws IOException {
        List<String> hosts = addresses.stream().map(HostAndPort::host).distinct().toList();
        if (tls.selfSigned() && SelfSignedCertificate.ensure(tls.certificateChain(), tls.privateKey(), hosts)) {
            log.info("made a self-signed TLS certificate in {}: clients pin it on their first connection", tls.certificateChain());
        }
        try {
            SslContext context = SslContextBuilder.forServer(tls.certificateChain().toFile(), tls.privateKey().toFile()).build();
            if (tls.selfSigned()) {
                log.info("TLS certificate fingerprint {} (self-signed: clients show it on first connection; compare it there)",
                        fingerprint(tls.certificateChain()));
            }
            return context;
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot use TLS certificate " + tls.certificateChain() + " with key " + tls.privateKey()
                    + " (PEM, PKCS#8 key expected): " + e.getMessage(), e);
        }
    }

    /** The fingerprint of the first certificate in a PEM file. */
    static String fingerprint(java.nio.file.Path pem) throws IOException {
        try (var in = java.nio.file.Files.newInputStream(pem)) {
            var certificate = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
            return dev.fastchat.protocol.CertificateFingerprint.of(certificate.getEncoded());
        } catch (java.security.cert.CertificateException e) {
            throw new IOException("cannot read the certificate " + pem + ": " + e.getMessage(), e);
        }
    }

    /** The bound address (with the real port when configured with port 0). */
    public HostAndPort address() {
        return addressOf(serverChannels.getFirst());
    }

    /** The bound {@code web-listen} address, when there is one. */
    public Optional<HostAndPort> webAddress() {
        return serverChannels.size() > 1 ? Optional.of(addressOf(serverChannels.get(1))) : Optional.empty();
    }

    private static HostAndPort addressOf(Channel server) {
        InetSocketAddress bound = (InetSocketAddress) server.localAddress();
        return new HostAndPort(bound.getAddress().getHostAddress(), bound.getPort());
    }

    /** Open client connections. */
    public int connectionCount() {
        return channels.size();
    }

    /** Bytes of replies and pushes written to clients and not yet sent (bounded by {@code max-queued-bytes}). */
    public long queuedBytes() {
        return initializer.queuedBytes();
    }

    /** Direct memory Netty holds (its buffers are not counted by the JVM's buffer pools). */
    public long directMemoryBytes() {
        return io.netty.util.internal.PlatformDependent.usedDirectMemory();
    }

    /** Stops accepting new connections; existing ones stay open. */
    public void stopAccepting() {
        serverChannels.forEach(server -> server.close().syncUninterruptibly());
    }

    /** Tells every client the server is going away, then closes all connections and the event loops. */
    @Override
    public void close() {
        close(Envelopes.error(0, ErrorCode.UNAVAILABLE, "the server is shutting down; reconnect later"));
    }

    /** Stops, sending {@code last} (a push) to every client before closing its connection. */
    public void close(Envelope last) {
        stopAccepting();
        for (Channel channel : channels) {
            channel.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
        }
        channels.newCloseFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
        channels.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
